// Atomic file output: write a temporary file beside the target, then rename.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "glyph/error.h"
#include "glyph/file_write.h"

namespace glyph {
namespace {

std::string temp_name_for(const std::string& path) {
    static std::atomic<unsigned> counter{0};
    return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
    throw IoError("cannot " + what + " " + path + ": " + std::strerror(error));
}

// Creates `path` (which must be new) and writes all of `data` to it; on a
// failure the file is removed and the error thrown.
void write_whole(const std::string& path, const void* data, size_t size, bool durable) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) fail("create", path, errno);

    const auto* bytes = static_cast<const uint8_t*>(data);
    size_t written = 0;
    while (written < size) {
        const ssize_t n = ::write(fd, bytes + written, size - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int error = n < 0 ? errno : EIO;
            ::close(fd);
            ::unlink(path.c_str());
            fail("write", path, error);
        }
        written += size_t(n);
    }
    if ((durable && ::fsync(fd) != 0) || ::close(fd) != 0) {
        const int error = errno;
        if (durable) ::close(fd);
        ::unlink(path.c_str());
        fail("write", path, error);
    }
}

// Without `durable` there is no fsync: the guarantee is that a reader never
// sees a partial file under the final name, not durability across power
// loss, and an fsync per file would cost more than writing it. Ledgers
// (batch failures) ask for durability: the data is on disk before the
// rename, and the rename is on disk before we return.
void write_through_temp(const std::string& path, const void* data, size_t size, bool durable) {
    const std::string temp = temp_name_for(path);
    write_whole(temp, data, size, durable);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temp.c_str());
        fail("rename to", path, error);
    }
    if (durable) sync_folder_of(path);
}

}  // namespace

void write_file_atomic(const std::string& path, const void* data, size_t size) { write_through_temp(path, data, size, false); }

void write_file_durable(const std::string& path, const void* data, size_t size) { write_through_temp(path, data, size, true); }

void write_new_file(const std::string& path, const void* data, size_t size) { write_whole(path, data, size, false); }

void sync_folder_of(const std::string& path) {
    const size_t slash = path.rfind('/');
    const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail("open folder", folder, errno);
    const int rc = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (rc != 0) fail("sync folder", folder, error);
}

}  // namespace glyph
