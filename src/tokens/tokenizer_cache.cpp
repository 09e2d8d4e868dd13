#include "tokens/tokenizer_cache.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <utility>

#include "tokens/model_image.h"

namespace glyph::tokens {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'G', 'L', 'Y', 'P', 'H', 'T', 'O', 'K'};
constexpr const char* kSuffix = ".glyph-cache";
// Images beyond this are not ours (the largest tokenizer here compiles to ~40 MiB).
constexpr uint64_t kMaxImageBytes = uint64_t(1) << 30;
// A timestamp this close to "now" may still be shared by a later write
// (file systems keep coarse clocks): such an identity proves nothing yet.
constexpr int64_t kRacyWindowNs = int64_t(3) * 1000000000;

// The fixed-size header in front of an image (little-endian, as written by this machine).
struct Header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;
    uint64_t file_size;
    uint64_t payload_checksum;  // XXH3-64 of the bytes after the header
    uint64_t source_size;
    int64_t source_mtime_ns;
    int64_t source_ctime_ns;
    uint64_t source_inode;
    uint64_t source_device;
    unsigned char source_hash[16];  // XXH3-128 of the source's bytes, canonical (big-endian) form
    uint32_t identity_trusted;      // 1: the identity alone proves the source unchanged
    uint32_t unused0;
    uint64_t unused[3];
    uint64_t header_checksum;  // XXH3-64 of every byte above
};
static_assert(sizeof(Header) == 128);

int64_t nanoseconds(const struct timespec& t) { return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec; }

bool same_identity(const Header& h, const struct stat& st) {
    return h.source_size == uint64_t(st.st_size) && h.source_mtime_ns == nanoseconds(st.st_mtim) &&
           h.source_ctime_ns == nanoseconds(st.st_ctim) && h.source_inode == uint64_t(st.st_ino) &&
           h.source_device == uint64_t(st.st_dev);
}

bool same_file_version(const struct stat& a, const struct stat& b) {
    return a.st_size == b.st_size && nanoseconds(a.st_mtim) == nanoseconds(b.st_mtim) &&
           nanoseconds(a.st_ctim) == nanoseconds(b.st_ctim) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

std::string content_hash(std::string_view bytes) {
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits(bytes.data(), bytes.size()));
    return std::string(reinterpret_cast<const char*>(canonical.digest), sizeof canonical.digest);
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// Reads exactly `size` bytes at `offset`; false on a short read or an error.
bool read_exactly(int fd, void* into, size_t size, off_t offset) {
    auto* p = static_cast<char*>(into);
    while (size > 0) {
        const ssize_t n = ::pread(fd, p, size, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        offset += n;
        size -= size_t(n);
    }
    return true;
}

bool write_all(int fd, const void* from, size_t size) {
    const auto* p = static_cast<const char*>(from);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        size -= size_t(n);
    }
    return true;
}

// The header of `fd` if it is one of ours, of this image version, intact.
bool read_header(int fd, Header& h) {
    if (!read_exactly(fd, &h, sizeof h, 0)) return false;
    return std::memcmp(h.magic, kMagic, sizeof kMagic) == 0 && h.version == kModelImageVersion &&
           h.header_size == sizeof(Header) && h.file_size >= sizeof(Header) && h.file_size <= kMaxImageBytes &&
           h.header_checksum == XXH3_64bits(&h, offsetof(Header, header_checksum));
}

std::string user_cache_folder() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') return std::string(xdg) + "/glyph/tokenizers";
    if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/glyph/tokenizers";
    return "";
}

}  // namespace

std::vector<std::string> CompiledCache::locations(const std::string& path) {
    std::vector<std::string> out{path + kSuffix};
    const std::string folder = user_cache_folder();
    if (!folder.empty()) {
        // One image per source file: named by the hash of its absolute path.
        std::error_code ec;
        const std::string absolute = fs::absolute(path, ec).lexically_normal().string();
        char name[17];
        std::snprintf(name, sizeof name, "%016llx", (unsigned long long)XXH3_64bits(absolute.data(), absolute.size()));
        out.push_back(folder + "/" + name + "-" + fs::path(path).filename().string() + kSuffix);
    }
    return out;
}

CompiledCache::CompiledCache(const std::string& path) : path_(path) {
    have_stat_ = ::stat(path.c_str(), &stat_) == 0 && S_ISREG(stat_.st_mode);
    if (have_stat_) locations_ = locations(path);
}

std::shared_ptr<Tokenizer::Model> CompiledCache::find_by_identity() {
    for (const std::string& file : locations_) {
        Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
        Header h;
        if (fd.get() < 0 || !read_header(fd.get(), h) || !h.identity_trusted || !same_identity(h, stat_)) continue;
        if (auto model = open_image(file, false)) return model;
    }
    return nullptr;
}

std::shared_ptr<Tokenizer::Model> CompiledCache::find_by_content(std::string_view source_bytes) {
    if (!have_stat_) return nullptr;
    content_hash_ = content_hash(source_bytes);
    for (const std::string& file : locations_) {
        Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
        Header h;
        if (fd.get() < 0 || !read_header(fd.get(), h) ||
            std::memcmp(h.source_hash, content_hash_.data(), sizeof h.source_hash) != 0)
            continue;
        if (auto model = open_image(file, true)) return model;
    }
    return nullptr;
}

std::shared_ptr<Tokenizer::Model> CompiledCache::open_image(const std::string& file, bool refresh) {
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    Header h;
    struct stat st;
    if (fd.get() < 0 || !read_header(fd.get(), h) || ::fstat(fd.get(), &st) != 0 || uint64_t(st.st_size) != h.file_size)
        return nullptr;
    // Read, not mapped: a mapping faults (SIGBUS) when another process truncates the file.
    const size_t payload_size = size_t(h.file_size - sizeof(Header));
    std::shared_ptr<uint64_t[]> words(new uint64_t[payload_size / 8 + 1]);
    if (!read_exactly(fd.get(), words.get(), payload_size, sizeof(Header))) return nullptr;
    if (XXH3_64bits(words.get(), payload_size) != h.payload_checksum) return nullptr;
    const std::string_view image(reinterpret_cast<const char*>(words.get()), payload_size);
    std::shared_ptr<Tokenizer::Model> model;
    try {
        model = decode_model_image(words, image, path_);
    } catch (const TokenizerError&) {
        return nullptr;  // e.g. a pattern that no longer compiles: rebuild from the JSON
    }
    if (!model) return nullptr;
    image_path_ = file;
    if (refresh) write_image(file, image, h.source_hash);
    return model;
}

void CompiledCache::store(const Tokenizer::Model& model, std::string_view source_bytes) {
    if (!have_stat_) return;
    if (content_hash_.empty()) content_hash_ = content_hash(source_bytes);
    const std::string payload = encode_model_image(model);
    for (const std::string& file : locations_) {
        if (write_image(file, payload, reinterpret_cast<const unsigned char*>(content_hash_.data()))) {
            image_path_ = file;
            return;
        }
    }
}

bool CompiledCache::write_image(const std::string& file, std::string_view payload, const unsigned char* source_hash) {
    // The identity is trusted only if the source did not change while it was
    // read and its timestamps are old enough that no later write can share them.
    struct stat now_stat;
    const bool unchanged = ::stat(path_.c_str(), &now_stat) == 0 && same_file_version(now_stat, stat_);
    struct timespec now;
    ::clock_gettime(CLOCK_REALTIME, &now);
    const int64_t settled = nanoseconds(now) - kRacyWindowNs;

    Header h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.version = kModelImageVersion;
    h.header_size = sizeof(Header);
    h.file_size = sizeof(Header) + payload.size();
    h.payload_checksum = XXH3_64bits(payload.data(), payload.size());
    h.source_size = uint64_t(stat_.st_size);
    h.source_mtime_ns = nanoseconds(stat_.st_mtim);
    h.source_ctime_ns = nanoseconds(stat_.st_ctim);
    h.source_inode = uint64_t(stat_.st_ino);
    h.source_device = uint64_t(stat_.st_dev);
    std::memcpy(h.source_hash, source_hash, sizeof h.source_hash);
    h.identity_trusted = unchanged && h.source_mtime_ns < settled && h.source_ctime_ns < settled;
    h.header_checksum = XXH3_64bits(&h, offsetof(Header, header_checksum));

    const fs::path target(file);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    // A temporary name in the same folder, renamed over the old image when complete.
    std::string temp = target.parent_path().string();
    temp += "/.";
    temp += target.filename().string();
    temp += ".XXXXXX";
    Fd fd(::mkstemp(temp.data()));
    if (fd.get() < 0) return false;
    const bool written = ::fchmod(fd.get(), 0644) == 0 && write_all(fd.get(), &h, sizeof h) &&
                         write_all(fd.get(), payload.data(), payload.size());
    const bool closed = ::close(fd.release()) == 0;
    if (!written || !closed || ::rename(temp.c_str(), file.c_str()) != 0) {
        ::unlink(temp.c_str());
        return false;
    }
    return true;
}

}  // namespace glyph::tokens
