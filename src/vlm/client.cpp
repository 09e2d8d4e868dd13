// The HTTP side of the chat client: one libcurl exchange per attempt, SSE
// decoding of streamed replies, and the retry loop around the attempts.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "glyph/vlm.h"
#include "util/utf8.h"
#include "vlm/curl_global.h"

namespace glyph::vlm {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Bodies of error replies are only quoted, never used whole.
constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kMaxReplyBody = 256 * 1024 * 1024;
// A server's text in our messages: short enough for a terminal line.
constexpr size_t kMessageBytes = 160;

// The human part of an error reply: OpenAI's {"error": {"message": ...}},
// vLLM's {"message": ...}, or the raw body.
std::string error_detail(const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
        if (j.contains("error")) {
            const auto& e = j["error"];
            if (e.is_object() && e.contains("message") && e["message"].is_string())
                return one_line(e["message"].get<std::string>(), kMessageBytes);
            if (e.is_string()) return one_line(e.get<std::string>(), kMessageBytes);
        }
        if (j.contains("message") && j["message"].is_string()) return one_line(j["message"].get<std::string>(), kMessageBytes);
    }
    return one_line(body, kMessageBytes);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Why an attempt failed, and whether another attempt may succeed.
struct Failure {
    VlmError error;
    bool retryable = false;
    std::optional<double> retry_after_s;
    std::string reason;  // short, for RetryEvent
};

// State shared with libcurl's callbacks during one attempt.
struct Exchange {
    const ChatRequest* request = nullptr;
    const StreamHandler* handler = nullptr;
    const std::atomic<bool>* cancel = nullptr;
    double read_timeout_s = 0;
    size_t max_sse_line_bytes = SseParser::kDefaultMaxLineBytes;
    CURL* curl = nullptr;

    Clock::time_point start = Clock::now();
    Clock::time_point last_activity = Clock::now();
    curl_off_t last_upload = 0;
    bool timed_out = false;
    bool cancelled = false;

    long status = 0;
    std::string content_type;
    std::optional<std::string> retry_after;
    std::string body;
    bool body_overflow = false;

    bool sse = false;
    bool sse_decided = false;
    std::unique_ptr<SseParser> parser;
    bool saw_done = false;
    bool saw_choice = false;
    bool delivered = false;  // some delta reached the handler: a retry would repeat it
    std::string bad_event;   // set when the stream is malformed; aborts the transfer
    std::string stream_error;
    ChatResponse response;

    void on_event(const SseEvent& ev);
    void deliver(bool reasoning, std::string_view text);
};

void Exchange::deliver(bool reasoning, std::string_view text) {
    if (text.empty()) return;
    if (response.first_token_ms < 0) response.first_token_ms = ms_since(start);
    delivered = true;
    if (reasoning) {
        response.reasoning.append(text);
        if (handler && handler->on_reasoning) handler->on_reasoning(text);
    } else {
        response.content.append(text);
        if (handler && handler->on_content) handler->on_content(text);
    }
}

void read_usage(const nlohmann::json& j, Usage& usage) {
    if (!j.contains("usage") || !j["usage"].is_object()) return;
    const auto& u = j["usage"];
    auto get = [&](const char* key, long long& out) {
        if (u.contains(key) && u[key].is_number_integer()) out = u[key].get<long long>();
    };
    get("prompt_tokens", usage.prompt_tokens);
    get("completion_tokens", usage.completion_tokens);
    get("total_tokens", usage.total_tokens);
}

std::string string_field(const nlohmann::json& j, const char* key) {
    if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    return {};
}

void Exchange::on_event(const SseEvent& ev) {
    if (!bad_event.empty() || !stream_error.empty()) return;
    if (ev.data == "[DONE]") {
        saw_done = true;
        return;
    }
    auto j = nlohmann::json::parse(ev.data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        bad_event = "malformed server-sent event (data is not a JSON object): " + one_line(ev.data, 80);
        return;
    }
    if (j.contains("error")) {
        stream_error = error_detail(ev.data);
        return;
    }
    if (response.model.empty()) response.model = string_field(j, "model");
    read_usage(j, response.usage);
    if (!j.contains("choices") || !j["choices"].is_array()) return;
    for (const auto& choice : j["choices"]) {
        if (!choice.is_object()) continue;
        if (choice.contains("index") && choice["index"] != 0) continue;
        saw_choice = true;
        if (choice.contains("delta") && choice["delta"].is_object()) {
            const auto& delta = choice["delta"];
            // vLLM names the field reasoning_content; newer versions also "reasoning".
            std::string thinking = string_field(delta, "reasoning_content");
            if (thinking.empty()) thinking = string_field(delta, "reasoning");
            deliver(true, thinking);
            deliver(false, string_field(delta, "content"));
        }
        const std::string finish = string_field(choice, "finish_reason");
        if (!finish.empty()) response.finish_reason = finish;
    }
}

size_t header_callback(char* data, size_t size, size_t count, void* user) {
    auto* ex = static_cast<Exchange*>(user);
    const size_t n = size * count;
    std::string_view line(data, n);
    ex->last_activity = Clock::now();
    if (line.rfind("HTTP/", 0) == 0) {
        // A new status line (after a 100 Continue, say) starts the headers over.
        ex->content_type.clear();
        ex->retry_after.reset();
        return n;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return n;
    const std::string name = lower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    if (name == "content-type") ex->content_type = lower(value);
    else if (name == "retry-after") ex->retry_after = std::string(value);
    return n;
}

size_t write_callback(char* data, size_t size, size_t count, void* user) {
    auto* ex = static_cast<Exchange*>(user);
    const size_t n = size * count;
    ex->last_activity = Clock::now();
    if (!ex->sse_decided) {
        curl_easy_getinfo(ex->curl, CURLINFO_RESPONSE_CODE, &ex->status);
        ex->sse = ex->request->stream && ex->status / 100 == 2 &&
                  ex->content_type.rfind("text/event-stream", 0) == 0;
        if (ex->sse)
            ex->parser = std::make_unique<SseParser>([ex](const SseEvent& ev) { ex->on_event(ev); },
                                                     ex->max_sse_line_bytes);
        ex->sse_decided = true;
    }
    if (ex->sse) {
        ex->parser->feed(std::string_view(data, n));
        if (ex->parser->overflowed() && ex->bad_event.empty())
            ex->bad_event = "a streamed line or event longer than " + std::to_string(ex->max_sse_line_bytes) +
                            " bytes (ClientOptions::max_sse_line_bytes)";
        // Returning short makes libcurl stop with CURLE_WRITE_ERROR.
        return ex->bad_event.empty() && ex->stream_error.empty() ? n : 0;
    }
    const size_t limit = ex->status / 100 == 2 ? kMaxReplyBody : kMaxErrorBody;
    if (ex->body.size() + n > limit) {
        ex->body_overflow = true;
        if (ex->status / 100 == 2) return 0;
        ex->body.append(data, limit - std::min(limit, ex->body.size()));
        return n;
    }
    ex->body.append(data, n);
    return n;
}

int progress_callback(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t ulnow) {
    auto* ex = static_cast<Exchange*>(user);
    if (ex->cancel && ex->cancel->load()) {
        ex->cancelled = true;
        return 1;
    }
    // Sending a large request is activity too: only silence counts.
    if (ulnow != ex->last_upload) {
        ex->last_upload = ulnow;
        ex->last_activity = Clock::now();
    }
    if (ms_since(ex->last_activity) > ex->read_timeout_s * 1000.0) {
        ex->timed_out = true;
        return 1;
    }
    return 0;
}

struct CurlHandle {
    CURL* curl = curl_easy_init();
    curl_slist* headers = nullptr;
    ~CurlHandle() {
        curl_slist_free_all(headers);
        if (curl) curl_easy_cleanup(curl);
    }
};

std::string format_seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
}

// Parse a complete (non-streamed) chat completion.
std::optional<Failure> read_json_reply(Exchange& ex, const std::string& url) {
    auto j = nlohmann::json::parse(ex.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        const std::string type = ex.content_type.empty() ? "no content type" : ex.content_type;
        return Failure{VlmError(ErrorKind::BadReply, "reply from " + url + " is not JSON (" + type +
                                                         "): " + one_line(ex.body, 80),
                                int(ex.status)),
                       false, std::nullopt, "not JSON"};
    }
    if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty() ||
        !j["choices"][0].is_object()) {
        std::string why = "reply from " + url + " has no choices";
        if (j.contains("error")) why += ": " + error_detail(ex.body);
        return Failure{VlmError(ErrorKind::BadReply, why, int(ex.status)), false, std::nullopt, "no choices"};
    }
    const auto& choice = j["choices"][0];
    ex.response.model = string_field(j, "model");
    read_usage(j, ex.response.usage);
    ex.response.finish_reason = string_field(choice, "finish_reason");
    if (choice.contains("message") && choice["message"].is_object()) {
        const auto& m = choice["message"];
        std::string thinking = string_field(m, "reasoning_content");
        if (thinking.empty()) thinking = string_field(m, "reasoning");
        ex.deliver(true, thinking);
        ex.deliver(false, string_field(m, "content"));
    } else {
        return Failure{VlmError(ErrorKind::BadReply, "reply from " + url + " has a choice without a message",
                                int(ex.status)),
                       false, std::nullopt, "no message"};
    }
    return std::nullopt;
}

bool is_connect_failure(CURLcode rc) {
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
           rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT || rc == CURLE_SSL_CONNECT_ERROR ||
           rc == CURLE_PEER_FAILED_VERIFICATION;
}

bool is_dropped_connection(CURLcode rc) {
    return rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
           rc == CURLE_PARTIAL_FILE;
}

}  // namespace

Client::Client(ClientOptions options) : options_(std::move(options)) {
    url_ = chat_completions_url(options_.endpoint);
    if (options_.max_concurrent < 1)
        throw VlmError(ErrorKind::InvalidRequest, "max_concurrent must be at least 1");
    if (options_.connect_timeout_s <= 0 || options_.read_timeout_s <= 0)
        throw VlmError(ErrorKind::InvalidRequest, "timeouts must be positive");
    if (options_.retry.max_retries < 0) throw VlmError(ErrorKind::InvalidRequest, "retries must be >= 0");
    init_curl_once();
}

namespace {

size_t append_bounded(char* data, size_t size, size_t count, void* user) {
    auto* out = static_cast<std::string*>(user);
    if (out->size() + size * count > (1u << 20)) return 0;  // a models list is small; stop reading
    out->append(data, size * count);
    return size * count;
}

}  // namespace

long long Client::max_model_len(const std::string& model) {
    const std::string suffix = "/chat/completions";
    const std::string models_url = url_.substr(0, url_.size() - suffix.size()) + "/models";
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return 0;
    std::string body;
    curl_slist* headers = nullptr;
    if (!options_.api_key.empty())
        headers = curl_slist_append(headers, ("Authorization: Bearer " + options_.api_key).c_str());
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(headers, curl_slist_free_all);
    curl_easy_setopt(curl.get(), CURLOPT_URL, models_url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, long(options_.connect_timeout_s * 1000));
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, long(std::min(30.0, options_.read_timeout_s) * 1000));
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &append_bounded);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
    long status = 0;
    if (curl_easy_perform(curl.get()) != CURLE_OK) return 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) return 0;
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("data") || !j["data"].is_array()) return 0;
    auto length = [](const nlohmann::json& m) -> long long {
        if (!m.is_object() || !m.contains("max_model_len") || !m["max_model_len"].is_number_integer()) return 0;
        return std::max(0LL, m["max_model_len"].get<long long>());
    };
    for (const auto& m : j["data"])
        if (m.is_object() && m.contains("id") && m["id"].is_string() && m["id"] == model) return length(m);
    return j["data"].size() == 1 ? length(j["data"][0]) : 0;
}

void Client::acquire_slot() {
    std::unique_lock lock(slot_mutex_);
    while (in_flight_ >= options_.max_concurrent) {
        // Wake up now and then so that a cancel is not stuck behind a slow request.
        slot_cv_.wait_for(lock, std::chrono::milliseconds(100));
        if (cancelled()) throw VlmError(ErrorKind::Cancelled, "cancelled");
    }
    ++in_flight_;
}

void Client::release_slot() {
    {
        std::lock_guard lock(slot_mutex_);
        --in_flight_;
    }
    slot_cv_.notify_one();
}

namespace {

struct Attempt {
    std::optional<ChatResponse> response;
    std::optional<Failure> failure;
};

Attempt run_attempt(const ClientOptions& options, const std::string& url, const std::string& body,
                    const ChatRequest& request, const StreamHandler& handler, Clock::time_point start) {
    CurlHandle h;
    if (!h.curl) return {std::nullopt, Failure{VlmError(ErrorKind::Unreachable, "libcurl could not start"), false, {}, ""}};
    Exchange ex;
    ex.request = &request;
    ex.handler = &handler;
    ex.cancel = options.cancel;
    ex.read_timeout_s = options.read_timeout_s;
    ex.max_sse_line_bytes = options.max_sse_line_bytes;
    ex.curl = h.curl;
    ex.start = start;

    h.headers = curl_slist_append(h.headers, "Content-Type: application/json");
    h.headers = curl_slist_append(h.headers, request.stream ? "Accept: text/event-stream, application/json"
                                                            : "Accept: application/json");
    // Without this, libcurl waits for "100 Continue" before sending a large
    // body, which some servers never send.
    h.headers = curl_slist_append(h.headers, "Expect:");
    if (!options.api_key.empty())
        h.headers = curl_slist_append(h.headers, ("Authorization: Bearer " + options.api_key).c_str());

    char error_buffer[CURL_ERROR_SIZE] = {0};
    CURL* c = h.curl;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h.headers);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_callback);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &ex);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_callback);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &ex);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_callback);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &ex);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "glyph/0.1");

    const CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ex.status);
    if (ex.parser) ex.parser->finish();
    const std::string curl_message = error_buffer[0] ? one_line(error_buffer, kMessageBytes) : curl_easy_strerror(rc);
    const int status = int(ex.status);
    auto fail = [&](ErrorKind kind, const std::string& message, bool retryable, std::string reason) {
        std::optional<double> after;
        if (ex.retry_after) after = parse_retry_after(*ex.retry_after, std::time(nullptr));
        return Attempt{std::nullopt, Failure{VlmError(kind, message, status), retryable, after, std::move(reason)}};
    };

    if (ex.cancelled) return fail(ErrorKind::Cancelled, "cancelled", false, "");
    if (ex.timed_out)
        return fail(ErrorKind::Timeout,
                    "no reply from " + url + " for " + format_seconds(options.read_timeout_s) +
                        " s (read timeout)" + (ex.delivered ? " in the middle of the answer" : ""),
                    false, "");
    if (!ex.bad_event.empty()) return fail(ErrorKind::BadReply, ex.bad_event + " from " + url, false, "");
    if (!ex.stream_error.empty())
        return fail(ex.delivered ? ErrorKind::TruncatedStream : ErrorKind::ServerError,
                    "the server reported an error in the stream: " + ex.stream_error, false, "");
    if (rc != CURLE_OK) {
        if (is_connect_failure(rc))
            return fail(ErrorKind::Unreachable, "cannot reach " + url + ": " + curl_message, false, "");
        if (rc == CURLE_OPERATION_TIMEDOUT)
            return fail(ErrorKind::Unreachable,
                        "cannot reach " + url + ": no connection within " +
                            format_seconds(options.connect_timeout_s) + " s",
                        false, "");
        if (is_dropped_connection(rc)) {
            if (ex.delivered)
                return fail(ErrorKind::TruncatedStream,
                            "the answer stream from " + url + " broke off: " + curl_message, false, "");
            return fail(ErrorKind::ServerError, "connection to " + url + " dropped: " + curl_message, true,
                        "connection dropped");
        }
        if (rc == CURLE_WRITE_ERROR && ex.body_overflow)
            return fail(ErrorKind::BadReply, "reply from " + url + " is larger than 256 MiB", false, "");
        return fail(ErrorKind::ServerError, "request to " + url + " failed: " + curl_message, false, "");
    }
    if (status / 100 != 2) {
        const std::string detail = error_detail(ex.body);
        const std::string message =
            "HTTP " + std::to_string(status) + " from " + url + (detail.empty() ? "" : ": " + detail);
        if (is_retryable_status(status)) return fail(ErrorKind::ServerError, message, true, "HTTP " + std::to_string(status));
        return fail(ErrorKind::Rejected, message, false, "");
    }
    if (ex.sse) {
        if (!ex.saw_done && ex.response.finish_reason.empty()) {
            if (ex.delivered)
                return fail(ErrorKind::TruncatedStream,
                            "the answer stream from " + url + " ended before the answer was complete", false, "");
            return fail(ErrorKind::ServerError, "the stream from " + url + " ended before any output", true,
                        "empty stream");
        }
        if (!ex.saw_choice)
            return fail(ErrorKind::BadReply, "the stream from " + url + " has no choices", false, "");
    } else if (auto failure = read_json_reply(ex, url)) {
        return Attempt{std::nullopt, std::move(*failure)};
    }
    return Attempt{std::move(ex.response), std::nullopt};
}

}  // namespace

ChatResponse Client::chat(const ChatRequest& request, const StreamHandler& handler) {
    if (cancelled()) throw VlmError(ErrorKind::Cancelled, "cancelled");
    const auto start = Clock::now();
    acquire_slot();
    struct Release {
        Client* c;
        ~Release() { c->release_slot(); }
    } release{this};

    const std::string body = request_body(request);
    std::mt19937_64 rng(std::random_device{}());
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    for (int retries = 0;; ++retries) {
        Attempt attempt = run_attempt(options_, url_, body, request, handler, start);
        if (attempt.response) {
            attempt.response->attempts = retries + 1;
            attempt.response->total_ms = ms_since(start);
            return std::move(*attempt.response);
        }
        Failure& f = *attempt.failure;
        if (!f.retryable) throw f.error;
        const auto delay = next_retry_delay(options_.retry, retries, f.retry_after_s, jitter(rng));
        if (!delay) {
            std::string message = f.error.what();
            if (retries < options_.retry.max_retries && f.retry_after_s)
                message += " (the server asked to retry after " + format_seconds(*f.retry_after_s) +
                           " s, more than the " + format_seconds(options_.retry.max_retry_after_s) + " s allowed)";
            else
                message += " (gave up after " + std::to_string(retries + 1) + " attempts)";
            throw VlmError(ErrorKind::ServerError, message, f.error.http_status);
        }
        if (options_.on_retry) options_.on_retry(RetryEvent{retries + 1, *delay, f.reason});
        const auto wake = Clock::now() + std::chrono::duration<double>(*delay);
        while (Clock::now() < wake) {
            if (cancelled()) throw VlmError(ErrorKind::Cancelled, "cancelled");
            std::this_thread::sleep_for(std::min<Clock::duration>(
                std::chrono::milliseconds(50), std::chrono::duration_cast<Clock::duration>(wake - Clock::now())));
        }
    }
}

}  // namespace glyph::vlm
