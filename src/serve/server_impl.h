// The server's state and its request handlers, shared by server.cpp (the
// web app, routing, limits, lifecycle) and proxy_routes.cpp (the proxy:
// compressed routes, the relay of every other route, /health, /metrics).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include <httplib.h>

#include "glyph/serve.h"
#include "serve/compress.h"
#include "serve/connection_pool.h"
#include "serve/guarded_http.h"
#include "serve/metrics.h"
#include "serve/passthrough.h"
#include "serve/segment_cache.h"
#include "serve/upstream.h"
#include "serve/work_gate.h"

namespace glyph::serve {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

ConnectionLimits connection_limits(const ServeOptions& o);

struct Server::Impl {
    ServeOptions options;
    TextTokenCounter count_tokens;
    GuardedHttpServer http;
    WorkGate gate;
    SegmentCache cache;
    SegmentRenderer renderer;
    Metrics metrics;
    std::set<std::string> asset_paths;  // the web app's files: open without a key
    std::atomic<bool> draining{false};
    std::atomic<int> listen_fd{-1};
    std::atomic<ConnectionPool*> pool{nullptr};
    std::atomic<bool> abort_streams{false};  // the shutdown grace period is over
    std::mutex log_mutex;
    std::mutex model_mutex;
    std::string upstream_model;  // learned from the upstream's /models
    // max_model_len per model from the upstream's /models (0: it says
    // nothing; asked again after a minute).
    // The upstream's /models reply, for max_model_len: asked at most once a
    // minute, whatever model names clients send.
    nlohmann::json upstream_models;
    Clock::time_point upstream_models_at{};
    // The upstream's health as /health last found it: asked at most once a
    // second, however often /health (open without a key) is called.
    std::mutex health_mutex;
    std::pair<bool, nlohmann::json> upstream_health;
    Clock::time_point upstream_health_at{};
    std::pair<bool, nlohmann::json> check_upstream_health();
    int bound_port = -1;

    std::mutex stop_mutex;
    std::condition_variable stop_cv;
    bool finished = false;
    std::thread grace_timer;

    Impl(ServeOptions o, TextTokenCounter counter)
        : options(std::move(o)),
          count_tokens(std::move(counter)),
          http(connection_limits(options)),
          gate(options.workers, options.queue),
          cache(options.cache_bytes, options.cache_dir),
          renderer(cache, render_threads()) {}

    int connection_threads() const {
        return options.connection_threads > 0 ? options.connection_threads : options.max_connections + 16;
    }
    // Called on the request's connection thread: the budget also watches that
    // connection, so a render stops when its client leaves.
    RenderBudget request_budget() const {
        const int socket = GuardedHttpServer::current_socket();
        std::function<bool()> client_gone;
        if (socket >= 0) client_gone = [socket] { return GuardedHttpServer::peer_closed(socket); };
        return RenderBudget(options.max_request_pages, (long long)(options.max_request_megapixels * 1e6),
                            options.max_text_bytes, std::move(client_gone));
    }
    std::shared_ptr<WorkGate::Ticket> acquire() {
        return gate.acquire(std::chrono::milliseconds(long(options.queue_timeout_s * 1000)));
    }
    const VisionProfile& proxy_profile() const {
        return find_profile(options.policy.profile.empty() ? default_profile_name() : options.policy.profile);
    }
    UpstreamTarget target(const std::string& base, const std::string& key, const std::string& path) const {
        return {upstream_url(base, path), key, options.upstream_connect_timeout_s, options.upstream_idle_timeout_s};
    }
    // The client's Authorization goes upstream unless the proxy has a key of
    // its own (then that header is the proxy's credential) or an upstream
    // key replaces it.
    bool forward_client_authorization() const { return options.api_key.empty() && options.upstream_api_key.empty(); }
    UpstreamRequest relayed_request(const httplib::Request& req, std::string body) const {
        UpstreamRequest r{req.method, forwarded_request_headers(req, forward_client_authorization()), std::move(body)};
        return r;
    }
    void send_upstream_failure(httplib::Response& res, const UpstreamCall& call) const {
        send_error(res, call.timed_out() && !call.connect_failed() ? 504 : 502,
                   "upstream " + options.upstream + ": " + call.error(), "upstream_error");
    }

    void install_routes();
    void log_request(const httplib::Request& req, const httplib::Response& res);
    void send_busy(httplib::Response& res);  // 503 server_busy, counted
    bool authorized(const httplib::Request& req) const;

    void handle_info(httplib::Response& res);
    // A web-app request's text as pages; on a user error the reply is sent
    // (413 over the budget, 499 the client left, 400 bad text or config) and
    // nothing is returned.
    std::optional<SegmentRenderer::Result> render_for_app(std::string_view text, const RenderConfig& config,
                                                          httplib::Response& res);
    void handle_render(const httplib::Request& req, httplib::Response& res);
    void handle_page(const httplib::Request& req, httplib::Response& res);
    void handle_zip(const httplib::Request& req, httplib::Response& res);
    void handle_ask(const httplib::Request& req, httplib::Response& res);
    enum class Api { kChat, kResponses };
    void handle_compressed(const httplib::Request& req, httplib::Response& res, Api api);
    void handle_passthrough(const httplib::Request& req, httplib::Response& res);
    void handle_health(httplib::Response& res);
    std::pair<long long, std::string> context_limit(const httplib::Request& req, const std::string& model);
    void handle_metrics(httplib::Response& res);
    std::string resolve_model(const std::string& endpoint, const std::string& key, const std::string& configured);
};

}  // namespace glyph::serve
