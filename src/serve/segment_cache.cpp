#include "serve/segment_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "glyph/encode.h"
#include "glyph/serve.h"

namespace glyph::serve {

namespace fs = std::filesystem;

size_t Segment::bytes() const {
    size_t n = sizeof(Segment);
    for (const auto& p : pages) n += sizeof(SegmentPage) + p.png.size();
    return n;
}

std::vector<PageExtent> Segment::extents() const {
    std::vector<PageExtent> out;
    out.reserve(pages.size());
    for (const SegmentPage& p : pages) out.push_back({int(out.size()) + 1, p.width, p.height, 0, 0});
    return out;
}

std::string sha256_hex(std::string_view data) { return source_digest(data); }

bool is_segment_key(std::string_view key) {
    if (key.size() != 64) return false;
    for (char c : key)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

SegmentCache::SegmentCache(size_t max_bytes, std::string dir) : max_bytes_(max_bytes), dir_(std::move(dir)) {
    if (dir_.empty()) return;
    std::error_code error;
    fs::create_directories(dir_, error);
    if (error || !fs::is_directory(dir_))
        throw ServeError("cannot create --cache-dir " + dir_ + ": " +
                         (error ? error.message() : std::string("not a directory")));
}

std::string SegmentCache::file_path(const std::string& key) const {
    // Only validated hex keys reach here, so the path cannot leave dir_.
    return dir_ + "/" + key + ".seg";
}

std::shared_ptr<const Segment> SegmentCache::find(const std::string& key) {
    {
        std::lock_guard lock(mutex_);
        auto it = index_.find(key);
        if (it != index_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second);
            ++stats_.hits;
            return it->second->second;
        }
    }
    if (!dir_.empty() && is_segment_key(key)) {
        if (auto seg = load_file(key)) {
            remember(key, seg);
            std::lock_guard lock(mutex_);
            ++stats_.disk_hits;
            return seg;
        }
    }
    std::lock_guard lock(mutex_);
    ++stats_.misses;
    return nullptr;
}

void SegmentCache::store(const std::string& key, std::shared_ptr<const Segment> segment) {
    if (!dir_.empty() && is_segment_key(key)) save_file(key, *segment);
    remember(key, std::move(segment));
}

void SegmentCache::remember(const std::string& key, std::shared_ptr<const Segment> segment) {
    const size_t size = segment->bytes();
    std::lock_guard lock(mutex_);
    if (size > max_bytes_) return;  // would evict everything else for one entry
    auto it = index_.find(key);
    if (it != index_.end()) {
        bytes_ -= it->second->second->bytes();
        lru_.erase(it->second);
        index_.erase(it);
    }
    lru_.emplace_front(key, std::move(segment));
    index_[key] = lru_.begin();
    bytes_ += size;
    while (bytes_ > max_bytes_ && !lru_.empty()) {
        bytes_ -= lru_.back().second->bytes();
        index_.erase(lru_.back().first);
        lru_.pop_back();
    }
}

SegmentCache::Stats SegmentCache::stats() const {
    std::lock_guard lock(mutex_);
    Stats s = stats_;
    s.entries = index_.size();
    s.bytes = bytes_;
    return s;
}

// File layout: one JSON line (render_ms, page sizes and byte lengths), then
// the PNG bytes of every page back to back.
void SegmentCache::save_file(const std::string& key, const Segment& segment) const {
    nlohmann::json meta;
    meta["render_ms"] = segment.render_ms;
    if (segment.missing.count)
        meta["missing_glyphs"] = {{"count", segment.missing.count},
                                  {"examples", segment.missing.examples},
                                  {"font", segment.missing.font_path}};
    meta["pages"] = nlohmann::json::array();
    size_t total = 0;
    for (const auto& p : segment.pages) {
        meta["pages"].push_back({{"width", p.width}, {"height", p.height}, {"bytes", p.png.size()}});
        total += p.png.size();
    }
    std::string data = meta.dump();
    data.push_back('\n');
    data.reserve(data.size() + total);
    for (const auto& p : segment.pages) data += p.png;
    try {
        write_file_atomic(file_path(key), data.data(), data.size());
    } catch (const std::exception&) {
        // A full or read-only disk only costs re-rendering later; memory still has it.
    }
}

namespace {

// A cache file's bytes, or nothing. Only a plain file counts: a symlink, FIFO
// or device planted in the folder would otherwise redirect, block or stream
// forever; one larger than `cap` is not one we wrote.
std::optional<std::string> read_cache_file(const std::string& path, size_t cap) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::optional<std::string> data;
    struct stat st{};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && size_t(st.st_size) <= cap) {
        std::string bytes(size_t(st.st_size), '\0');
        size_t got = 0;
        while (got < bytes.size()) {
            const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += size_t(n);
        }
        if (got == bytes.size()) data = std::move(bytes);
    }
    ::close(fd);
    return data;
}

}  // namespace

std::shared_ptr<const Segment> SegmentCache::load_file(const std::string& key) const {
    // A segment is never larger than the memory budget would keep.
    const auto data = read_cache_file(file_path(key), max_bytes_);
    if (!data) return nullptr;
    const size_t nl = data->find('\n');
    if (nl == std::string::npos) return nullptr;
    auto meta = nlohmann::json::parse(std::string_view(*data).substr(0, nl), nullptr, false);
    if (meta.is_discarded() || !meta.is_object() || !meta.contains("pages") || !meta["pages"].is_array())
        return nullptr;
    auto seg = std::make_shared<Segment>();
    size_t offset = nl + 1;
    try {
        seg->render_ms = meta.value("render_ms", 0.0);
        if (meta.contains("missing_glyphs")) {
            const auto& m = meta["missing_glyphs"];
            seg->missing.count = m.at("count").get<size_t>();
            seg->missing.examples = m.at("examples").get<std::string>();
            seg->missing.font_path = m.at("font").get<std::string>();
        }
        for (const auto& p : meta["pages"]) {
            SegmentPage page;
            page.width = p.at("width").get<int>();
            page.height = p.at("height").get<int>();
            const size_t n = p.at("bytes").get<size_t>();
            if (n > data->size() - offset) return nullptr;
            page.png = data->substr(offset, n);
            offset += n;
            seg->pages.push_back(std::move(page));
        }
    } catch (const nlohmann::json::exception&) {
        return nullptr;  // a damaged file is a miss, and gets rewritten
    }
    return seg;
}

}  // namespace glyph::serve
