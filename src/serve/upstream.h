// One request forwarded to the upstream VLM server, byte for byte: the reply
// body is pulled as it arrives, so a streamed reply can be relayed unchanged
// and a client that goes away stops the upstream transfer too.
#pragma once

#include <atomic>
#include <functional>
#include <string>

namespace glyph::serve {

struct UpstreamTarget {
    std::string url;      // full URL, e.g. http://127.0.0.1:8000/v1/chat/completions
    std::string api_key;  // "" = no Authorization header
    double connect_timeout_s = 10;
    double idle_timeout_s = 300;
};

// "http://h:8000/v1" + "/models" -> "http://h:8000/v1/models"; a base without
// /v1 gets it. Throws ServeError for non-http(s) URLs.
std::string upstream_url(const std::string& base, const std::string& path);

class UpstreamCall {
public:
    // body empty = GET, else POST application/json.
    UpstreamCall(const UpstreamTarget& target, std::string body);
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
    void* headers_ = nullptr;
    std::string request_body_;
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
