#include "util/jsonl_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "glyph/error.h"
#include "glyph/file_write.h"

namespace glyph {
using nlohmann::json;

void fail_io(const std::string& what, const std::string& path, int error) {
    throw IoError("cannot " + what + " " + path + ": " + std::strerror(error));
}

LineReader::LineReader(const std::string& path, const std::string& what, size_t max_line_bytes)
    : path_(path), what_(what), max_line_bytes_(max_line_bytes) {
    fd_ = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw InputError("cannot read " + what + " " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
        close_fd();
        throw InputError(what + " " + path + " is a folder; expected a JSONL file");
    }
}

LineReader::~LineReader() { close_fd(); }

bool LineReader::next(std::string& line, bool& too_long) {
    line.clear();
    too_long = false;
    terminated_ = false;
    bool any = false;
    for (;;) {
        if (pos_ == len_ && !fill()) return any;
        any = true;
        const char* begin = buf_ + pos_;
        const char* nl = static_cast<const char*>(std::memchr(begin, '\n', len_ - pos_));
        const size_t n = nl ? size_t(nl - begin) : len_ - pos_;
        if (!too_long && line.size() + n > max_line_bytes_) {
            too_long = true;
            line.clear();
            line.shrink_to_fit();
        }
        if (!too_long) line.append(begin, n);
        pos_ += n;
        consumed_ += n;
        if (nl) {
            ++pos_;
            ++consumed_;
            terminated_ = true;
            return true;
        }
    }
}

bool LineReader::fill() {
    for (;;) {
        const ssize_t n = ::read(fd_, buf_, sizeof buf_);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw InputError("cannot read " + what_ + " " + path_ + ": " + std::strerror(errno));
        pos_ = 0;
        len_ = size_t(n);
        return n > 0;
    }
}

void LineReader::close_fd() {
    if (fd_ > STDIN_FILENO) ::close(fd_);
    fd_ = -1;
}

json parse_json_bounded(const std::string& text, int max_depth) {
    const json::parser_callback_t depth_guard = [max_depth](int depth, json::parse_event_t, json&) {
        if (depth > max_depth) throw std::length_error("nested deeper than " + std::to_string(max_depth) + " levels");
        return true;
    };
    return json::parse(text, depth_guard);
}

AppendLedger::AppendLedger(std::string path, KeyOf key_of, const RowVisitor& on_row)
    : path_(std::move(path)), key_of_(std::move(key_of)) {
    load(on_row);
}

AppendLedger::~AppendLedger() {
    if (fd_ >= 0) ::close(fd_);
}

// Also finds where the last whole row ends and how the file's tail looks.
void AppendLedger::load(const RowVisitor& on_row) {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
        if (errno == ENOENT) return;
        fail_io("read", path_, errno);
    }
    LineReader reader(path_, "ledger");
    std::string line;
    bool too_long = false;
    while (reader.next(line, too_long)) {
        json row = too_long ? json() : json::parse(line, nullptr, false);
        const bool whole = row.is_object();
        if (!reader.terminated()) {
            tail_ = whole ? Tail::Unterminated : Tail::Torn;
            if (!whole) break;
        }
        complete_bytes_ = reader.consumed();
        if (!whole) continue;
        if (auto key = key_of_(row)) done_.insert(std::move(*key));
        if (on_row) on_row(row);
    }
}

void AppendLedger::open_for_append() {
    if (fd_ >= 0) return;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) fail_io("write", path_, errno);
    if (tail_ == Tail::Torn && (::ftruncate(fd_, off_t(complete_bytes_)) != 0 || ::fsync(fd_) != 0))
        fail_io("repair", path_, errno);
    if (tail_ == Tail::Unterminated) write_all("\n", complete_bytes_);
    tail_ = Tail::Clean;
}

void AppendLedger::append(const nlohmann::ordered_json& row) {
    if (broken_) throw std::runtime_error(path_ + " could not be restored after a failed write; not recording");
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail_io("write", path_, errno);
    write_all(row.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", size_t(st.st_size));
}

// Writes `text` at the end (the file is `size` bytes now); on a failure
// cuts the file back to `size` so no torn row stays behind.
void AppendLedger::write_all(const std::string& text, size_t size) {
    size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd_, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) restore(size, n < 0 ? errno : ENOSPC);
        written += size_t(n);
    }
    if (::fsync(fd_) != 0) restore(size, errno);
}

void AppendLedger::restore(size_t size, int error) {
    if (::ftruncate(fd_, off_t(size)) != 0 || ::fsync(fd_) != 0) broken_ = true;
    fail_io("write", path_, error);
}

FolderLock::FolderLock(const std::string& dir, const std::string& what_runs, Mode mode)
    : FolderLock(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), dir, what_runs, mode) {}

FolderLock FolderLock::file(const std::string& path, const std::string& what_runs) {
    return FolderLock(::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644), path, what_runs, Mode::Exclusive);
}

FolderLock::FolderLock(int fd, const std::string& path, const std::string& what_runs, Mode mode) : fd_(fd) {
    if (fd_ < 0) fail_io("open", path, errno);
    if (::flock(fd_, (mode == Mode::Shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        const int error = errno;
        ::close(fd_);
        if (error == EWOULDBLOCK) throw std::runtime_error("another " + what_runs + " into " + path + "; wait for it to end");
        fail_io("lock", path, error);
    }
}

FolderLock::~FolderLock() {
    if (fd_ >= 0) ::close(fd_);
}

void write_rows_or_remove(const std::string& path, const std::string& rows) {
    if (rows.empty()) {
        // (unlink fails on a read-only mount even when there is nothing to remove)
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0 && ::unlink(path.c_str()) != 0) fail_io("remove the stale", path, errno);
        return;
    }
    write_file_durable(path, rows.data(), rows.size());
}

}  // namespace glyph
