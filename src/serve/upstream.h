// One request forwarded to the upstream VLM server, byte for byte: the reply
// body is pulled as it arrives, so a streamed reply can be relayed unchanged
// and a client that goes away stops the upstream transfer too.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace glyph::serve {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct UpstreamTarget {
    std::string url;      // full URL, e.g. http://127.0.0.1:8000/v1/chat/completions
    std::string api_key;  // "" = no Authorization header
    double connect_timeout_s = 10;
    double idle_timeout_s = 300;
};

// A request relayed as the client sent it: any method, its end-to-end
// headers, its body. The target's api_key, when set, replaces any
// Authorization header among them.
struct UpstreamRequest {
    std::string method = "GET";
    HeaderList headers;
    std::string body;
};

// The most reply headers the proxy takes from an upstream (beyond: the call fails).
constexpr size_t kMaxUpstreamHeaderBytes = 64 * 1024;
constexpr size_t kMaxUpstreamHeaderLines = 100;

// "http://h:8000/v1" + "/models" -> "http://h:8000/v1/models"; a base without
// /v1 gets it. Throws ServeError for non-http(s) URLs.
std::string upstream_url(const std::string& base, const std::string& path);
// Where a client's request target (path and query, as on its request line)
// goes upstream: /v1/... under the upstream's /v1 base, anything else under
// the server root that base sits in ("http://h:8000/v1" -> "http://h:8000").
std::string passthrough_url(const std::string& base, const std::string& target);

class UpstreamCall {
public:
    // body empty = GET, else POST application/json.
    UpstreamCall(const UpstreamTarget& target, std::string body);
    UpstreamCall(const UpstreamTarget& target, UpstreamRequest request);
    ~UpstreamCall();
    UpstreamCall(const UpstreamCall&) = delete;
    UpstreamCall& operator=(const UpstreamCall&) = delete;

    // Drive the transfer until the response headers are in (true) or it failed
    // (false; see error()). `abort` raised, or `client_gone` (asked every
    // 100 ms while waiting) returning true, stops it.
    bool wait_headers(const std::atomic<bool>& abort, const std::function<bool()>& client_gone = {});
    // Append the body bytes that have arrived to `out`, waiting for some;
    // false once nothing is left (complete, or failed: see failed()).
    bool read(std::string& out, const std::atomic<bool>& abort, const std::function<bool()>& client_gone = {});
    // Read the whole body into `out`; fails (see error()) beyond `max_bytes`.
    bool read_all(std::string& out, size_t max_bytes, const std::atomic<bool>& abort,
                  const std::function<bool()>& client_gone = {});

    long status() const { return status_; }
    const std::string& content_type() const { return content_type_; }
    const std::string& retry_after() const { return retry_after_; }  // "" when the upstream sent none
    // Every header of the final reply header block, in order, as received.
    const HeaderList& headers() const { return reply_headers_; }
    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }
    bool timed_out() const { return timed_out_; }
    bool connect_failed() const { return connect_failed_; }

private:
    static size_t on_header(char* data, size_t size, size_t count, void* self);
    static size_t on_body(char* data, size_t size, size_t count, void* self);
    void pump(const std::atomic<bool>& abort, const std::function<bool()>& client_gone);

    void* multi_ = nullptr;
    void* easy_ = nullptr;
    void* request_headers_ = nullptr;
    std::string request_body_;
    HeaderList reply_headers_;
    size_t reply_header_bytes_ = 0;
    std::string buffer_;
    std::string content_type_;
    std::string retry_after_;
    std::string error_;
    long status_ = 0;
    bool headers_done_ = false;
    bool finished_ = false;
    bool timed_out_ = false;
    bool connect_failed_ = false;
};

}  // namespace glyph::serve
