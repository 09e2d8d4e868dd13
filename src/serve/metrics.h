// The proxy's own metrics, in Prometheus' text exposition format (0.0.4):
// requests by route and status code, what compression did (decisions, pages,
// text tokens replaced, vision tokens sent), render time and upstream
// latency histograms, the segment cache, the work queue and its refusals.
// The upstream's metrics are the upstream's: scrape it directly.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serve/segment_cache.h"

namespace glyph::serve {

// A fixed-bucket histogram of seconds; safe from any thread.
class Histogram {
public:
    explicit Histogram(std::vector<double> upper_bounds);
    void observe(double seconds);
    // `name`_bucket{le=...}, `name`_sum and `name`_count lines.
    void write(std::string& out, const std::string& name) const;

private:
    const std::vector<double> bounds_;
    mutable std::mutex mutex_;
    std::vector<long long> counts_;  // per bucket, not cumulative; the last is +Inf
    double sum_ = 0;
    long long count_ = 0;
};

// The route a request counts under: its path when it is one the proxy or an
// OpenAI / vLLM server knows, else "other" (so clients cannot grow the label set).
std::string route_label(std::string_view path);

class Metrics {
public:
    Metrics();

    void count_request(std::string_view path, int status);
    // One compressed-route request: its decision and what it rendered.
    void count_compression(const std::string& decision, long long pages, long long text_tokens,
                           long long vision_tokens, double render_seconds);
    void observe_upstream(double seconds_to_headers) { upstream_.observe(seconds_to_headers); }
    void count_busy() { ++busy_rejections_; }

    struct Gauges {
        SegmentCache::Stats cache;
        int workers = 0, busy = 0, waiting = 0;
        int connections = 0;
    };
    std::string exposition(const Gauges& gauges) const;

private:
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, int>, long long> requests_;
    std::map<std::string, long long> decisions_;
    std::atomic<long long> pages_{0}, text_tokens_{0}, vision_tokens_{0}, busy_rejections_{0};
    Histogram render_;
    Histogram upstream_;
};

}  // namespace glyph::serve
