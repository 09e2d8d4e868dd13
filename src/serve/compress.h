// The proxy's policy applied to a chat request: which message text parts
// become page images, rendering them (through the segment cache) and the
// token saving that results.
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "glyph/config.h"
#include "glyph/serve.h"
#include "glyph/vision_tokens.h"
#include "serve/render_policy.h"
#include "serve/segment_cache.h"

namespace glyph::serve {

// A request may restyle its pages, but not make pages that cost the server
// far more memory than Glyph's (595x842 pt at 72-96 dpi is 0.5-0.9 MP): the
// renderer itself allows 200 MP for command-line use.
constexpr double kMaxRequestPageMegapixels = 16;

// A request asked for more pages or pixels than its budget allows (413).
struct BudgetExceeded : ServeError {
    explicit BudgetExceeded(const std::string& message) : ServeError(message) {}
};

// What one request may make the server produce, counted page by page as
// pages are rendered or taken from the cache. Safe from several threads.
class RenderBudget {
public:
    // `client_gone`, when set, tells that the client has left: rendering for
    // this request then stops (glyph::Cancelled) instead of finishing pages
    // nobody will read.
    RenderBudget(long long max_pages, long long max_pixels, size_t max_text_bytes,
                 std::function<bool()> client_gone = {})
        : client_gone_(std::move(client_gone)),
          max_pages_(max_pages),
          max_pixels_(max_pixels),
          max_text_bytes_(max_text_bytes) {}
    // Counts one page of `pixels`; throws BudgetExceeded naming the budget once it is spent.
    void charge(long long pixels);
    // Counts text about to be laid out (layout memory grows with it, before
    // any page exists); throws BudgetExceeded beyond max_text_bytes.
    void charge_text(size_t bytes);
    bool watched() const { return bool(client_gone_); }
    bool abandoned() const { return client_gone_ && client_gone_(); }

private:
    std::function<bool()> client_gone_;
    const long long max_pages_, max_pixels_;
    const size_t max_text_bytes_;
    std::atomic<long long> pages_{0}, pixels_{0};
    std::atomic<size_t> text_bytes_{0};
};

// Renders text into a segment once per (text, config); later calls hit the
// cache, and concurrent calls for the same segment wait for one render.
class SegmentRenderer {
public:
    SegmentRenderer(SegmentCache& cache, int threads) : cache_(cache), threads_(threads) {}

    struct Result {
        std::string key;
        std::shared_ptr<const Segment> segment;
        bool cached = false;
    };
    // Throws InputError / ConfigError (user errors) from the renderer, and
    // BudgetExceeded as soon as the pages overrun `budget` (rendering stops).
    Result render(std::string_view text, const RenderConfig& config, RenderBudget& budget);
    std::shared_ptr<const Segment> find(const std::string& key) { return cache_.find(key); }
    SegmentCache& cache() { return cache_; }
    long long renders() const { return renders_.load(); }  // segments actually rendered

private:
    std::shared_ptr<const Segment> render_new(std::string_view text, const RenderConfig& config,
                                              RenderBudget& budget);

    SegmentCache& cache_;
    int threads_;
    std::atomic<long long> renders_{0};
    std::mutex inflight_mutex_;
    std::map<std::string, std::shared_future<std::shared_ptr<const Segment>>> inflight_;
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
    Decision decision = Decision::kNoTextPart;
    std::set<std::string> presets;   // the presets its documents were rendered with (auto resolved)
    std::string rendering = "preset";  // the context ladder's rung the pages were made with
    long long tokens_saved() const { return text_tokens - vision_tokens; }
    nlohmann::json to_json() const;
};

// How an API spells message parts: chat completions' "text" and
// "image_url": {"url"}, or the Responses API's "input_text" and
// "input_image" with "image_url" a string.
struct MessageFormat {
    const char* text_type;
    const char* image_type;
    bool image_url_object;
    bool items_without_role;  // Responses input items other than messages (function call output, ...) pass as they are
};
extern const MessageFormat kChatFormat;
extern const MessageFormat kResponsesFormat;

// Rewrite `messages` (an OpenAI messages array) in place. Throws ServeError
// for a malformed messages array, InputError/ConfigError from rendering.
CompressionReport compress_messages(nlohmann::json& messages, const ProxyPolicy& policy,
                                    const VisionProfile& profile, const TextTokenCounter& count_tokens,
                                    SegmentRenderer& renderer, RenderBudget& budget,
                                    const MessageFormat& format = kChatFormat);

// The same for a Responses API body's "input" (a string is one user message;
// it stays a string when nothing in it is rendered).
CompressionReport compress_responses_input(nlohmann::json& body, const ProxyPolicy& policy,
                                           const VisionProfile& profile, const TextTokenCounter& count_tokens,
                                           SegmentRenderer& renderer, RenderBudget& budget);

}  // namespace glyph::serve
