#include "serve/upstream.h"

#include <curl/curl.h>

#include <cctype>

#include "glyph/serve.h"
#include "glyph/vlm.h"
#include "vlm/curl_global.h"

namespace glyph::serve {

namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

}  // namespace

std::string upstream_url(const std::string& base, const std::string& path) {
    try {
        return vlm::api_base_url(base) + path;
    } catch (const vlm::VlmError& e) {
        throw ServeError(std::string("upstream: ") + e.what());
    }
}

std::string passthrough_url(const std::string& base, const std::string& target) {
    const std::string v1 = upstream_url(base, "");
    if (target == "/v1" || target.rfind("/v1/", 0) == 0 || target.rfind("/v1?", 0) == 0)
        return v1 + target.substr(3);
    std::string root = v1;
    if (root.size() > 3 && root.compare(root.size() - 3, 3, "/v1") == 0) root.resize(root.size() - 3);
    return root + target;
}

namespace {

UpstreamRequest json_request(std::string body) {
    UpstreamRequest r;
    r.headers.emplace_back("Accept", "application/json, text/event-stream");
    if (!body.empty()) {
        r.method = "POST";
        r.headers.emplace_back("Content-Type", "application/json");
    }
    r.body = std::move(body);
    return r;
}

bool equals_ci(std::string_view a, std::string_view b) {
    return a.size() == b.size() && starts_with_ci(a, b);
}

}  // namespace

UpstreamCall::UpstreamCall(const UpstreamTarget& target, std::string body)
    : UpstreamCall(target, json_request(std::move(body))) {}

UpstreamCall::UpstreamCall(const UpstreamTarget& target, UpstreamRequest request)
    : request_body_(std::move(request.body)) {
    vlm::init_curl_once();
    CURL* easy = curl_easy_init();
    CURLM* multi = curl_multi_init();
    if (!easy || !multi) {
        if (easy) curl_easy_cleanup(easy);
        if (multi) curl_multi_cleanup(multi);
        error_ = "cannot start an HTTP transfer (libcurl)";
        finished_ = true;
        return;
    }
    easy_ = easy;
    multi_ = multi;
    curl_slist* headers = nullptr;
    // Without "Expect:" libcurl would wait for a 100 Continue before large bodies.
    headers = curl_slist_append(headers, "Expect:");
    for (const auto& [name, value] : request.headers) {
        if (!target.api_key.empty() && equals_ci(name, "authorization")) continue;
        headers = curl_slist_append(headers, (name + ": " + value).c_str());
    }
    if (!target.api_key.empty())
        headers = curl_slist_append(headers, ("Authorization: Bearer " + target.api_key).c_str());
    request_headers_ = headers;

    curl_easy_setopt(easy, CURLOPT_URL, target.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, long(target.connect_timeout_s * 1000));
    // Upstream silence longer than the idle timeout ends the transfer.
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, long(std::max(1.0, target.idle_timeout_s)));
    // Any encoding the upstream picks is decoded here (and counted decoded
    // against the reply limits); the client's own is cpp-httplib's business.
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &UpstreamCall::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &UpstreamCall::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
    if (request.method == "POST" || !request_body_.empty()) {
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request_body_.data());
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request_body_.size()));
    }
    if (request.method == "HEAD") curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    else if (request.method != "GET" && request.method != "POST")
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_multi_add_handle(multi, easy);
}

UpstreamCall::~UpstreamCall() {
    if (multi_ && easy_) curl_multi_remove_handle(static_cast<CURLM*>(multi_), static_cast<CURL*>(easy_));
    if (easy_) curl_easy_cleanup(static_cast<CURL*>(easy_));
    if (multi_) curl_multi_cleanup(static_cast<CURLM*>(multi_));
    if (request_headers_) curl_slist_free_all(static_cast<curl_slist*>(request_headers_));
}

size_t UpstreamCall::on_header(char* data, size_t size, size_t count, void* self) {
    auto* call = static_cast<UpstreamCall*>(self);
    const size_t n = size * count;
    std::string_view line(data, n);
    call->reply_header_bytes_ += n;
    if (call->reply_header_bytes_ > kMaxUpstreamHeaderBytes || call->reply_headers_.size() > kMaxUpstreamHeaderLines) {
        call->error_ = "the upstream sent more than " + std::to_string(kMaxUpstreamHeaderLines) + " header lines or " +
                       std::to_string(kMaxUpstreamHeaderBytes) + " bytes of headers";
        return 0;  // libcurl ends the transfer
    }
    if (line.rfind("HTTP/", 0) == 0) {
        call->content_type_.clear();
        call->retry_after_.clear();
        call->reply_headers_.clear();
        call->reply_header_bytes_ = n;
        const size_t sp = line.find(' ');
        call->status_ = sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
    } else if (starts_with_ci(line, "content-type:")) {
        call->content_type_ = trim(line.substr(13));
    } else if (starts_with_ci(line, "retry-after:")) {
        call->retry_after_ = trim(line.substr(12)).substr(0, 64);
    } else if (trim(line).empty() && call->status_ >= 200) {
        call->headers_done_ = true;  // informational (1xx) blocks are followed by the real one
    }
    const size_t colon = line.find(':');
    if (line.rfind("HTTP/", 0) != 0 && colon != std::string_view::npos && colon > 0 && line.front() != ' ' &&
        line.front() != '\t')
        call->reply_headers_.emplace_back(std::string(line.substr(0, colon)), trim(line.substr(colon + 1)));
    return n;
}

size_t UpstreamCall::on_body(char* data, size_t size, size_t count, void* self) {
    auto* call = static_cast<UpstreamCall*>(self);
    call->headers_done_ = true;
    call->buffer_.append(data, size * count);
    return size * count;
}

void UpstreamCall::pump(const std::atomic<bool>& abort, const std::function<bool()>& client_gone) {
    if (finished_) return;
    auto* multi = static_cast<CURLM*>(multi_);
    int running = 0;
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        finished_ = true;
        headers_done_ = true;
        const CURLcode rc = msg->data.result;
        if (rc == CURLE_OK) continue;
        if (!error_.empty()) continue;  // set by a callback that ended the transfer
        timed_out_ = rc == CURLE_OPERATION_TIMEDOUT;
        // A timeout before the connection was made is a connect failure; after
        // it, the upstream is there but silent (a gateway timeout).
        curl_off_t connected_us = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_CONNECT_TIME_T, &connected_us);
        connect_failed_ = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                          (timed_out_ && connected_us == 0);
        error_ = connect_failed_ && timed_out_ ? "cannot connect to the upstream in time"
                 : timed_out_ ? (status_ == 0 ? "upstream did not answer in time" : "upstream went silent mid-reply")
                              : std::string("upstream transfer failed: ") + curl_easy_strerror(rc);
    }
    if (finished_) return;
    if (abort.load() || (client_gone && client_gone())) {
        finished_ = true;
        error_ = "cancelled";
        return;
    }
    if (running > 0 && buffer_.empty() && !headers_done_) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
}

bool UpstreamCall::wait_headers(const std::atomic<bool>& abort, const std::function<bool()>& client_gone) {
    while (!headers_done_ && !finished_) pump(abort, client_gone);
    return !failed();
}

bool UpstreamCall::read(std::string& out, const std::atomic<bool>& abort, const std::function<bool()>& client_gone) {
    while (buffer_.empty() && !finished_) {
        pump(abort, client_gone);
        if (buffer_.empty() && !finished_)
            curl_multi_poll(static_cast<CURLM*>(multi_), nullptr, 0, 100, nullptr);
    }
    const bool got = !buffer_.empty();
    out += buffer_;
    buffer_.clear();
    return got;
}

bool UpstreamCall::read_all(std::string& out, size_t max_bytes, const std::atomic<bool>& abort,
                            const std::function<bool()>& client_gone) {
    while (read(out, abort, client_gone)) {
        if (out.size() > max_bytes) {
            error_ = "the upstream reply is larger than " + std::to_string(max_bytes) +
                     " bytes, the most the proxy relays (--max-upstream-reply)";
            finished_ = true;
            return false;
        }
    }
    return !failed();
}

}  // namespace glyph::serve
