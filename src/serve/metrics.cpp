#include "serve/metrics.h"

#include <cstdio>

namespace glyph::serve {

namespace {

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const std::string& name, double value) { out += name + " " + number(value) + "\n"; }

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double seconds) {
    size_t i = 0;
    while (i < bounds_.size() && seconds > bounds_[i]) ++i;
    std::lock_guard lock(mutex_);
    ++counts_[i];
    sum_ += seconds;
    ++count_;
}

void Histogram::write(std::string& out, const std::string& name) const {
    std::lock_guard lock(mutex_);
    long long cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
        cumulative += counts_[i];
        out += name + "_bucket{le=\"" + number(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
    sample(out, name + "_sum", sum_);
    out += name + "_count " + std::to_string(count_) + "\n";
}

std::string route_label(std::string_view path) {
    static const char* known[] = {
        "/v1/chat/completions", "/v1/completions", "/v1/responses", "/v1/embeddings", "/v1/models",
        "/v1/audio/transcriptions", "/v1/audio/translations", "/v1/rerank", "/v1/score", "/v1/tokenize",
        "/v1/detokenize", "/tokenize", "/detokenize", "/pooling", "/classify", "/score", "/rerank", "/version",
        "/ping", "/health", "/healthz", "/metrics", "/api/info", "/api/render", "/api/ask", "/"};
    for (const char* k : known)
        if (path == k) return k;
    if (path.rfind("/api/segments/", 0) == 0) return "/api/segments";
    if (path.rfind("/v1/models/", 0) == 0) return "/v1/models/{id}";
    if (path.rfind("/v1/responses/", 0) == 0) return "/v1/responses/{id}";
    return "other";
}

Metrics::Metrics()
    : render_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}),
      upstream_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}) {}

void Metrics::count_request(std::string_view path, int status) {
    std::lock_guard lock(mutex_);
    ++requests_[{route_label(path), status}];
}

void Metrics::count_compression(const std::string& decision, long long pages, long long text_tokens,
                                long long vision_tokens, double render_seconds) {
    {
        std::lock_guard lock(mutex_);
        ++decisions_[decision];
    }
    pages_ += pages;
    text_tokens_ += text_tokens;
    vision_tokens_ += vision_tokens;
    if (pages > 0) render_.observe(render_seconds);
}

std::string Metrics::exposition(const Gauges& g) const {
    std::string out;
    header(out, "glyph_requests_total", "counter", "Requests answered, by route and HTTP status code.");
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, n] : requests_)
            out += "glyph_requests_total{route=\"" + key.first + "\",code=\"" + std::to_string(key.second) + "\"} " +
                   std::to_string(n) + "\n";
        header(out, "glyph_compression_decisions_total", "counter",
               "Compressible requests (chat completions, responses) by what the proxy decided.");
        for (const auto& [decision, n] : decisions_)
            out += "glyph_compression_decisions_total{decision=\"" + decision + "\"} " + std::to_string(n) + "\n";
    }
    header(out, "glyph_pages_total", "counter", "Page images sent upstream in place of text.");
    sample(out, "glyph_pages_total", double(pages_.load()));
    header(out, "glyph_text_tokens_replaced_total", "counter", "Text tokens of the text that became pages.");
    sample(out, "glyph_text_tokens_replaced_total", double(text_tokens_.load()));
    header(out, "glyph_vision_tokens_sent_total", "counter", "Vision tokens those pages cost (the request's profile).");
    sample(out, "glyph_vision_tokens_sent_total", double(vision_tokens_.load()));
    header(out, "glyph_render_seconds", "histogram", "Time a compressed request spent rendering (cache hits included).");
    render_.write(out, "glyph_render_seconds");
    header(out, "glyph_upstream_latency_seconds", "histogram", "Time from sending a request upstream to its reply headers.");
    upstream_.write(out, "glyph_upstream_latency_seconds");
    header(out, "glyph_cache_hits_total", "counter", "Segment cache lookups answered (memory or disk).");
    sample(out, "glyph_cache_hits_total", double(g.cache.hits));
    header(out, "glyph_cache_misses_total", "counter", "Segment cache lookups that had to render.");
    sample(out, "glyph_cache_misses_total", double(g.cache.misses));
    header(out, "glyph_cache_segments", "gauge", "Segments held in memory.");
    sample(out, "glyph_cache_segments", double(g.cache.entries));
    header(out, "glyph_cache_bytes", "gauge", "Bytes of segments held in memory.");
    sample(out, "glyph_cache_bytes", double(g.cache.bytes));
    header(out, "glyph_workers", "gauge", "Work slots (--workers).");
    sample(out, "glyph_workers", g.workers);
    header(out, "glyph_workers_busy", "gauge", "Work slots taken.");
    sample(out, "glyph_workers_busy", g.busy);
    header(out, "glyph_queue_depth", "gauge", "Requests waiting for a work slot.");
    sample(out, "glyph_queue_depth", g.waiting);
    header(out, "glyph_open_connections", "gauge", "Client connections open.");
    sample(out, "glyph_open_connections", g.connections);
    header(out, "glyph_busy_rejections_total", "counter", "503 server_busy answers: every slot taken and the queue full.");
    sample(out, "glyph_busy_rejections_total", double(busy_rejections_.load()));
    return out;
}

}  // namespace glyph::serve
