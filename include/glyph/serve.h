// `glyph serve`: the web app (render, count, ask) and an OpenAI-compatible
// compression proxy that turns long message text into page images upstream.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace glyph::serve {

// Text tokens of a string, by the tokenizer the server counts with. Called
// from many threads at once.
using TextTokenCounter = std::function<long long(std::string_view)>;

// A bad option or a request-policy field out of range: one line.
struct ServeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Which parts of a chat request become page images. Per server via flags,
// per request via the body's "glyph" object (see parse_policy_overrides).
struct ProxyPolicy {
    bool enabled = true;
    long long min_tokens = 1000;              // parts with more text tokens are rendered
    // Roles whose text parts may be rendered ("system" also covers the
    // Responses API's "developer"): system prompts are where RAG puts documents.
    std::vector<std::string> roles{"user", "system"};
    bool keep_question = true;                // the question of a part stays text (serve/render_policy.h)
    std::string question_separator;           // "": blank line / question mark rules only
    std::string question;  // per request: the last user text ends with this question; "" = found by the rules
    std::string preset = "auto";  // auto: en or zh per document (glyph::auto_preset_name)
    nlohmann::json config = nlohmann::json::object();  // Glyph config keys over the preset
    std::string profile;                      // vision-token profile; "" = default
    // What the config module accepted but doubted in this request's
    // "glyph".config (an unknown alignment renders as JUSTIFY, as the
    // reference does); relayed as X-Glyph-Warning headers.
    std::vector<std::string> warnings;
};

// Apply a request's "glyph" object onto the server's policy. Throws ServeError
// naming the field for unknown fields or bad values.
ProxyPolicy apply_policy_overrides(const ProxyPolicy& base, const nlohmann::json& overrides);

struct ServeOptions {
    std::string host = "127.0.0.1";
    int port = 8080;  // 0: any free port (see Server::port())

    // Bounded work: `workers` requests render or talk upstream at once, at most
    // `queue` more wait up to `queue_timeout_s` for a slot; beyond that: 503.
    int workers = 8;
    int queue = 32;
    double queue_timeout_s = 10;
    // Open connections: in total, and from one client address (0 = no
    // per-address cap, for use behind a reverse proxy). Beyond a cap a
    // connection may only ask /healthz, then it is closed.
    int max_connections = 512;
    int max_connections_per_address = 64;
    // Connection threads; extra connections wait in a bounded backlog.
    int connection_threads = 0;  // 0: max_connections + 16 (every open connection can have one; started on demand)
    double header_timeout_s = 10;  // a request's line and headers, all of them, within this

    size_t max_body_bytes = 32u << 20;  // request bodies (413 beyond)
    // What one request may have rendered (or taken from the cache), in pages
    // and in their pixels (413 beyond). 200 pages of Glyph's 72 dpi A4 fill a
    // 128K-token VLM context; see worst_case_request_bytes for the memory.
    int max_request_pages = 200;
    double max_request_megapixels = 100;
    size_t max_text_bytes = 8u << 20;   // text a request may have rendered (web app and proxy)
    double read_timeout_s = 30;         // client socket reads and writes
    // An upstream reply (non-streamed) or one streamed event larger than this is
    // not relayed (502 / an in-band error event): the proxy holds each whole.
    size_t max_upstream_reply_bytes = 64u << 20;
    double upstream_connect_timeout_s = 10;
    double upstream_idle_timeout_s = 300;   // longest silence from upstream mid-reply
    double shutdown_grace_s = 60;           // in-flight streams get this long after SIGTERM

    std::string api_key;  // clients must send "Authorization: Bearer <key>"; "" = open

    // Upstream VLM (proxy and web app "ask"); "" = none configured.
    std::string upstream;
    std::string upstream_api_key;
    std::string model;  // default model for the web app; "" = the upstream's first model
    // Text-only endpoint for the web app's side-by-side comparison; "" = none.
    std::string text_endpoint;
    std::string text_api_key;
    std::string text_model;

    ProxyPolicy policy;
    // The model's context in tokens: a request that would not fit is sent
    // denser (serve/context_fit.h) or refused, never forwarded. 0: the
    // upstream's /v1/models max_model_len, when it reports one.
    long long max_context = 0;

    std::string cache_dir;             // rendered segments on disk; "" = memory only
    size_t cache_bytes = 256u << 20;   // in-memory segment cache budget

    // One line per request; nullptr = no access log.
    std::FILE* access_log = stderr;
};

// Validate option values; throws ServeError naming the option.
void validate(const ServeOptions& options);

// Upper bound of the memory one request within the budgets can take, in
// bytes: the body as received and parsed, the layout of max_text_bytes of
// text, its pages as PNG (never larger than raw RGB), their base64 in the
// rewritten messages and again in the upstream body, plus one page raster
// and its cropped copy per render thread. Text pages compress to a small
// fraction of raw, so real requests stay far below it.
double worst_case_request_bytes(const ServeOptions& options);
// The render threads one request uses (all cores).
int render_threads();

class Server {
public:
    Server(ServeOptions options, TextTokenCounter count_text_tokens);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Bind the listening socket (throws ServeError when it cannot).
    void bind();
    // The bound port (after bind()).
    int port() const;
    // Serve until stop(); returns after in-flight requests have finished or
    // the shutdown grace period has passed.
    void run();
    // Graceful: stop accepting, let in-flight streams finish. Safe from any thread.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace glyph::serve
