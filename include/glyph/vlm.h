// Client for OpenAI-compatible chat servers (vLLM, SGLang, hosted APIs): text
// and image messages, streaming with reasoning deltas, timeouts, retries.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "glyph/error.h"

namespace glyph::vlm {

// One part of a message's content: text, or an image given by URL (a data URL
// for local pages).
struct ContentPart {
    enum class Type { Text, ImageUrl };
    Type type = Type::Text;
    std::string value;  // the text, or the image URL

    static ContentPart text(std::string t) { return {Type::Text, std::move(t)}; }
    static ContentPart image_url(std::string url) { return {Type::ImageUrl, std::move(url)}; }
};

// "data:<mime>;base64,<bytes>".
std::string data_url(const std::vector<uint8_t>& bytes, std::string_view mime);

struct Message {
    std::string role;  // "system", "user" or "assistant"
    std::vector<ContentPart> content;
};

// Glyph's message layout, the one ask, serve and eval send (docs/ask.md): one
// user message, the page images first in page order, the question last as a
// text part.
Message pages_message(std::vector<std::string> page_urls, std::string question);
// The same question over the plain text, for a text model: the document, a
// blank line and the question in one text part.
Message text_message(std::string_view document, std::string_view question);

// Unset fields are left out of the request, so the server's defaults apply.
struct SamplingParams {
    std::optional<int> max_tokens;
    std::optional<double> temperature;
    std::optional<double> top_p;
    std::optional<int> top_k;
    std::optional<double> repetition_penalty;
    std::vector<int> stop_token_ids;
    std::optional<bool> skip_special_tokens;
    std::optional<bool> include_stop_str_in_output;
};

// The request fields Glyph's own clients send for a model family: for
// "glm-4.1v" (Glyph) the stop ids and greedy-like sampling of its
// vlm_inference.py; for other profiles only max_tokens.
SamplingParams default_sampling(std::string_view profile);

struct ChatRequest {
    std::string model;
    std::vector<Message> messages;
    SamplingParams sampling;
    // A JSON object's text merged into the body last (RFC 7386: its keys
    // override, a null removes one); empty: nothing. Not an object: VlmError
    // of kind InvalidRequest.
    std::string extra_json;
    bool stream = true;
};

// The exact JSON body sent to /chat/completions.
std::string request_body(const ChatRequest& request);

struct Usage {
    long long prompt_tokens = -1;  // -1: the server did not report it
    long long completion_tokens = -1;
    long long total_tokens = -1;
};

struct ChatResponse {
    std::string content;
    std::string reasoning;  // reasoning_content (the model's thinking), if any
    std::string finish_reason;
    std::string model;
    Usage usage;
    double first_token_ms = -1;  // from the call to chat(), retries included
    double total_ms = 0;         // from the first attempt to the end, retries included
    int attempts = 0;
};

enum class ErrorKind {
    Unreachable,      // cannot connect (refused, unknown host, connect timeout)
    Timeout,          // connected, but nothing arrived for read_timeout_s
    ServerError,      // 5xx / 429 / dropped connections, still failing after retries
    Rejected,         // 4xx other than 429: the request itself is refused
    BadReply,         // not JSON, no choices, malformed server-sent events
    TruncatedStream,  // the stream stopped before its end, after output was shown
    Cancelled,        // the cancel flag was raised (Ctrl-C)
    InvalidRequest,   // bad endpoint URL or option, found before sending
};
std::string error_kind_name(ErrorKind kind);

// One line; never contains the API key or request headers. As a glyph::Error
// its kind is Endpoint (Cancelled for ErrorKind::Cancelled); the member
// `kind` says how the endpoint failed.
struct VlmError : glyph::Error {
    ErrorKind kind;
    int http_status = 0;
    VlmError(ErrorKind k, const std::string& message, int status = 0)
        : glyph::Error(k == ErrorKind::Cancelled ? glyph::ErrorKind::Cancelled : glyph::ErrorKind::Endpoint, message),
          kind(k),
          http_status(status) {}
};

// ---- server-sent events ---------------------------------------------------

struct SseEvent {
    std::string event;  // "" when the server gave no event name
    std::string data;   // data lines joined with '\n'
    std::string id;
};

// Incremental parser for a text/event-stream body: feed any chunking of the
// bytes, get one callback per complete event (after its blank line).
class SseParser {
public:
    // A line (or an event's data) longer than `max_line_bytes` is not kept:
    // the parser stops and overflowed() turns true.
    static constexpr size_t kDefaultMaxLineBytes = 16u << 20;
    explicit SseParser(std::function<void(const SseEvent&)> on_event,
                       size_t max_line_bytes = kDefaultMaxLineBytes);
    void feed(std::string_view bytes);
    bool overflowed() const { return overflowed_; }
    // End of body: an event not yet closed by a blank line is dropped, as the
    // SSE specification says; returns true if such a partial event was pending.
    bool finish();

private:
    void line(std::string_view l);
    std::function<void(const SseEvent&)> on_event_;
    std::string buffer_;
    SseEvent pending_;
    bool has_data_ = false;
    bool pending_fields_ = false;
    bool skip_lf_ = false;
    size_t max_line_bytes_;
    bool overflowed_ = false;
};

// ---- retries ---------------------------------------------------------------

struct RetryPolicy {
    int max_retries = 3;            // attempts = max_retries + 1
    double base_delay_s = 0.5;      // first backoff; doubles per retry
    double max_delay_s = 20;        // cap of the exponential backoff
    double max_retry_after_s = 120; // a longer Retry-After gives up instead of waiting
};

// 429 and 5xx (but not 501, 505: they will not change on retry).
bool is_retryable_status(int status);

// Retry-After as delta-seconds or an HTTP-date relative to `now`; nullopt
// when absent or unparsable. Past dates give 0.
std::optional<double> parse_retry_after(std::string_view value, std::time_t now);

// Delay before retry number `retry` (0-based): base * 2^retry capped at
// max_delay, scaled into [0.5, 1.0] by `jitter01` in [0, 1) so that many
// clients do not retry in lockstep.
double backoff_delay(const RetryPolicy& policy, int retry, double jitter01);

// What to do after a retryable failure when `retries_done` retries were
// already made: the delay before the next attempt, or nullopt to give up.
// A server's Retry-After replaces the backoff (it is the server's wish).
std::optional<double> next_retry_delay(const RetryPolicy& policy, int retries_done,
                                       std::optional<double> retry_after_s, double jitter01);

// ---- client ----------------------------------------------------------------

struct RetryEvent {
    int failed_attempt = 0;  // 1-based
    double delay_s = 0;
    std::string reason;      // e.g. "HTTP 503", "connection dropped"
};

struct ClientOptions {
    std::string endpoint;  // base URL ("http://host:8000/v1") or the full chat/completions URL
    std::string api_key;   // sent as "Authorization: Bearer"; empty: no header
    double connect_timeout_s = 10;
    double read_timeout_s = 600;  // longest silence allowed, first byte included
    RetryPolicy retry;
    int max_concurrent = 4;  // requests in flight through one Client
    const std::atomic<bool>* cancel = nullptr;  // raised -> abort with ErrorKind::Cancelled
    // A streamed line or event longer than this ends the reply as a BadReply.
    size_t max_sse_line_bytes = SseParser::kDefaultMaxLineBytes;
    std::function<void(const RetryEvent&)> on_retry;
};

// Called with each streamed delta as it arrives.
struct StreamHandler {
    std::function<void(std::string_view)> on_content;
    std::function<void(std::string_view)> on_reasoning;
};

// The OpenAI API root an endpoint names, every route hangs below it:
// "http://h:8000" -> "http://h:8000/v1" (a bare server root means /v1);
// "http://h:8000/v1/", ".../v1/chat/completions", ".../v1/models" ->
// "http://h:8000/v1"; any other path is kept. Throws
// VlmError(InvalidRequest) for anything but http(s) URLs.
std::string api_base_url(std::string_view endpoint);
// api_base_url(endpoint) + "/chat/completions".
std::string chat_completions_url(std::string_view endpoint);

// Thread-safe: one Client may serve many threads; at most max_concurrent
// requests run at once, the others wait for a slot.
class Client {
public:
    explicit Client(ClientOptions options);
    // Streams when request.stream is set (deltas go to `handler` as they
    // arrive). Throws VlmError.
    ChatResponse chat(const ChatRequest& request, const StreamHandler& handler = {});
    // The context length the server's /models reports for `model` (vLLM's
    // and SGLang's max_model_len; its only model's when no id matches), or 0
    // when it reports none or cannot be asked. One attempt, no retries.
    long long max_model_len(const std::string& model);
    const std::string& url() const { return url_; }
    const ClientOptions& options() const { return options_; }

private:
    bool cancelled() const { return options_.cancel && options_.cancel->load(); }
    void acquire_slot();
    void release_slot();

    ClientOptions options_;
    std::string url_;
    std::mutex slot_mutex_;
    std::condition_variable slot_cv_;
    int in_flight_ = 0;
};

}  // namespace glyph::vlm
