// Compiled tokenizer images on disk: where the image of a tokenizer.json
// lives, when it may stand in for the JSON, and writing it safely.
//
// An image lives beside its source (`tokenizer.json.glyph-cache`) when that
// folder is writable, else in the per-user cache folder
// ($XDG_CACHE_HOME/glyph/tokenizers, or ~/.cache/glyph/tokenizers).
// Its header records the source's content hash (XXH3-128 of its bytes) and
// its file identity (device, inode, size, mtime, ctime). An image is used:
//  * without reading the source, when the identity matches and was recorded
//    while the source's timestamps were already in the past (an in-place
//    write then always changes ctime, a replacement changes the inode);
//  * otherwise after hashing the source, when the content hash matches (the
//    header is then refreshed, so the next load takes the first path).
// Every image is checked before use: header checksum, whole-file checksum
// (XXH3-64) and the structure of every table. It is read into memory, never
// memory-mapped, so a file truncated or rewritten by someone else while in
// use cannot fault the process. A bad or stale image is rebuilt.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokens/tokenizer_model.h"

namespace glyph::tokens {

class CompiledCache {
public:
    // Looks at the source file `path`; nothing is read yet.
    explicit CompiledCache(const std::string& path);

    // A model from an image whose recorded identity proves it current, or null.
    std::shared_ptr<Tokenizer::Model> find_by_identity();
    // A model from an image built from these source bytes, or null.
    std::shared_ptr<Tokenizer::Model> find_by_content(std::string_view source_bytes);
    // Writes the image of `model` (built from `source_bytes`) to the first
    // place that takes it; a cache that cannot be written is skipped silently.
    void store(const Tokenizer::Model& model, std::string_view source_bytes);

    // The image file used or written by the last call, "" if none.
    const std::string& image_path() const { return image_path_; }

private:
    // Where images of `path` are looked for, in order.
    static std::vector<std::string> locations(const std::string& path);

    std::shared_ptr<Tokenizer::Model> open_image(const std::string& file, bool refresh);
    bool write_image(const std::string& file, std::string_view payload, const unsigned char* content_hash);

    std::string path_;
    bool have_stat_ = false;
    struct stat stat_{};
    std::vector<std::string> locations_;
    std::string image_path_;
    std::string content_hash_;  // 16 bytes once the source has been hashed
};

}  // namespace glyph::tokens
