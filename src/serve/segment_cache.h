// Rendered segments (the page images of one piece of text under one render
// config), addressed by a SHA-256 of what produced them. Memory first (LRU,
// byte budget), then an optional folder shared by any number of servers.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "glyph/accounting.h"
#include "glyph/render.h"

namespace glyph::serve {

struct SegmentPage {
    int width = 0, height = 0;
    std::string png;  // encoded bytes
};

struct Segment {
    std::vector<SegmentPage> pages;
    double render_ms = 0;  // what producing it cost the first time
    MissingGlyphs missing;  // characters its pages draw as boxes
    size_t bytes() const;
    // The pages' sizes, for accounting (a segment keeps no text spans).
    std::vector<PageExtent> extents() const;
};

// Lowercase hex SHA-256.
std::string sha256_hex(std::string_view data);
// True for exactly 64 lowercase hex digits: the only keys that name a file.
bool is_segment_key(std::string_view key);

class SegmentCache {
public:
    // dir "" = memory only. The folder is created if missing.
    SegmentCache(size_t max_bytes, std::string dir);

    std::shared_ptr<const Segment> find(const std::string& key);
    void store(const std::string& key, std::shared_ptr<const Segment> segment);

    struct Stats {
        long long hits = 0, misses = 0, disk_hits = 0;
        size_t entries = 0, bytes = 0;
    };
    Stats stats() const;

private:
    void remember(const std::string& key, std::shared_ptr<const Segment> segment);
    std::shared_ptr<const Segment> load_file(const std::string& key) const;
    void save_file(const std::string& key, const Segment& segment) const;
    std::string file_path(const std::string& key) const;

    const size_t max_bytes_;
    const std::string dir_;
    mutable std::mutex mutex_;
    std::list<std::pair<std::string, std::shared_ptr<const Segment>>> lru_;  // front = newest
    std::unordered_map<std::string, decltype(lru_)::iterator> index_;
    size_t bytes_ = 0;
    Stats stats_;
};

}  // namespace glyph::serve
