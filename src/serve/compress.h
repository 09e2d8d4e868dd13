// The proxy's policy applied to a chat request: which message text parts
// become page images, rendering them (through the segment cache) and the
// token saving that results.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "glyph/config.h"
#include "glyph/serve.h"
#include "glyph/vision_tokens.h"
#include "serve/segment_cache.h"

namespace glyph::serve {

// Renders text into a segment once per (text, config); later calls hit the cache.
class SegmentRenderer {
public:
    SegmentRenderer(SegmentCache& cache, int threads) : cache_(cache), threads_(threads) {}

    struct Result {
        std::string key;
        std::shared_ptr<const Segment> segment;
        bool cached = false;
    };
    // Throws InputError / ConfigError (user errors) from the renderer.
    Result render(std::string_view text, const RenderConfig& config);
    std::shared_ptr<const Segment> find(const std::string& key) { return cache_.find(key); }
    SegmentCache& cache() { return cache_; }

private:
    SegmentCache& cache_;
    int threads_;
};

// The render config a policy names: its preset with its config keys on top.
RenderConfig policy_render_config(const ProxyPolicy& policy, std::string_view document);

// What compressing one request did.
struct CompressionReport {
    long long text_tokens = 0;    // tokens of the parts that were rendered
    long long vision_tokens = 0;  // what their pages cost instead
    int pages = 0;
    int segments_rendered = 0;
    int segments_cached = 0;
    double render_ms = 0;
    size_t missing_glyphs = 0;  // characters drawn as boxes, over every rendered part
    std::string warning;        // the first part's missing-glyph warning, "" when none
    long long tokens_saved() const { return text_tokens - vision_tokens; }
    nlohmann::json to_json() const;
};

// Rewrite `messages` (an OpenAI messages array) in place. Throws ServeError
// for a malformed messages array, InputError/ConfigError from rendering.
CompressionReport compress_messages(nlohmann::json& messages, const ProxyPolicy& policy,
                                    const VisionProfile& profile, const TextTokenCounter& count_tokens,
                                    SegmentRenderer& renderer);

// Where a long last user message splits into document and question: the
// offset after the last blank line, or npos when it has none.
size_t question_split(std::string_view text);

}  // namespace glyph::serve
