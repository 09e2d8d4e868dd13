// Files a long job keeps beside its output so that it can be killed and
// resumed: bounded JSONL reading, an append-only ledger of finished items
// (a torn last row is cut off, never a good row lost), and a lock that keeps
// two runs out of one folder. Batch rendering and `eval run` share them.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace glyph {

// Lines of a file (or standard input for "-"), each at most `max_line_bytes`:
// a longer line is reported as too long and skipped, never held whole.
// Throws InputError when the file cannot be opened or read, or is a folder.
class LineReader {
public:
    static constexpr size_t kDefaultMaxLineBytes = size_t(256) << 20;
    // `what` names the file in errors ("batch file").
    LineReader(const std::string& path, const std::string& what, size_t max_line_bytes = kDefaultMaxLineBytes);
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    // The next line without its newline; false at the end. `too_long` is set
    // (and `line` left empty) for a line over the bound.
    bool next(std::string& line, bool& too_long);
    // Whether the line last returned ended in a newline (only the file's
    // last line can lack one).
    bool terminated() const { return terminated_; }
    // Bytes read up to the end of the line last returned.
    size_t consumed() const { return consumed_; }
    size_t max_line_bytes() const { return max_line_bytes_; }

private:
    bool fill();
    void close_fd();

    std::string path_, what_;
    size_t max_line_bytes_;
    int fd_ = -1;
    char buf_[1 << 16];
    size_t pos_ = 0, len_ = 0, consumed_ = 0;
    bool terminated_ = false;
};

// A JSON value nested at most `max_depth` levels; throws json::parse_error
// for bad JSON and std::length_error for deeper nesting.
nlohmann::json parse_json_bounded(const std::string& text, int max_depth = 64);

// An append-only JSONL file of finished items. Rows are only ever appended;
// the file is never rewritten, so a failed write can cost at most the row
// being written. `key_of` names the item a row finishes (nullopt: a row
// that finishes none); done() holds those names.
class AppendLedger {
public:
    using KeyOf = std::function<std::optional<std::string>(const nlohmann::json& row)>;
    using RowVisitor = std::function<void(const nlohmann::json& row)>;
    // Reads what is there, showing each whole row to `on_row` in file order
    // (throws std::runtime_error when the file cannot be read).
    AppendLedger(std::string path, KeyOf key_of, const RowVisitor& on_row = {});
    ~AppendLedger();
    AppendLedger(const AppendLedger&) = delete;
    AppendLedger& operator=(const AppendLedger&) = delete;

    const std::set<std::string>& done() const { return done_; }

    // Opens the file for appending. A last row without its newline is
    // completed when it is whole JSON and cut off when torn (a crash
    // mid-write): cutting needs no free space, unlike a rewrite.
    void open_for_append();
    // Appends one row, whole and durably, or throws and leaves the file as
    // it was. Callers serialize.
    void append(const nlohmann::ordered_json& row);
    const std::string& path() const { return path_; }

private:
    enum class Tail { Clean, Unterminated, Torn };
    void load(const RowVisitor& on_row);
    void write_all(const std::string& text, size_t size);
    [[noreturn]] void restore(size_t size, int error);

    std::string path_;
    KeyOf key_of_;
    int fd_ = -1;
    std::set<std::string> done_;
    size_t complete_bytes_ = 0;  // up to the end of the last whole row's newline
    Tail tail_ = Tail::Clean;
    bool broken_ = false;
};

// Holds a folder for one run (flock on the folder). Released when the
// process ends, so a killed run never leaves it held. Throws
// std::runtime_error naming `what_runs` when another run holds it. Shared
// holders (the parts of one sharded batch) exclude only exclusive ones;
// `file`: lock that file (created when missing) instead of a folder.
class FolderLock {
public:
    enum class Mode { Exclusive, Shared };
    FolderLock(const std::string& dir, const std::string& what_runs, Mode mode = Mode::Exclusive);
    static FolderLock file(const std::string& path, const std::string& what_runs);
    FolderLock(FolderLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    ~FolderLock();
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;

private:
    FolderLock(int fd, const std::string& path, const std::string& what_runs, Mode mode);
    int fd_ = -1;
};

// Writes `rows` (JSONL) durably via a temporary name, or removes `path` when
// there are none: the file then describes the run that just ended.
void write_rows_or_remove(const std::string& path, const std::string& rows);

[[noreturn]] void fail_io(const std::string& what, const std::string& path, int error);

}  // namespace glyph
