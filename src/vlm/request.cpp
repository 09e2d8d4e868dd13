// Building the OpenAI chat-completions request: URL, content parts, sampling.
#include <cctype>

#include <nlohmann/json.hpp>

#include "glyph/encode.h"
#include "glyph/vlm.h"
#include "util/jsonl_files.h"

namespace glyph::vlm {

std::string data_url(const std::vector<uint8_t>& bytes, std::string_view mime) {
    return "data:" + std::string(mime) + ";base64," + base64_encode(bytes.data(), bytes.size());
}

Message pages_message(std::vector<std::string> page_urls, std::string question) {
    Message message{"user", {}};
    message.content.reserve(page_urls.size() + 1);
    for (std::string& url : page_urls) message.content.push_back(ContentPart::image_url(std::move(url)));
    message.content.push_back(ContentPart::text(std::move(question)));
    return message;
}

Message text_message(std::string_view document, std::string_view question) {
    std::string text;
    text.reserve(document.size() + 2 + question.size());
    text.append(document).append("\n\n").append(question);
    return {"user", {ContentPart::text(std::move(text))}};
}

SamplingParams default_sampling(std::string_view profile) {
    SamplingParams s;
    s.max_tokens = 8192;
    if (profile == "glm-4.1v" || profile == "glyph") {
        // Glyph's scripts/vlm_inference.py, except include_stop_str_in_output:
        // the answer is shown to a person, so the stop token's text stays out
        // of it (as in Glyph's demo apps).
        s.temperature = 0.0001;
        s.top_p = 1.0;
        s.top_k = 1;
        s.repetition_penalty = 1.1;
        s.stop_token_ids = {151329, 151348, 151336};
        s.skip_special_tokens = false;
        s.include_stop_str_in_output = false;
    }
    return s;
}

namespace {

nlohmann::json content_json(const std::vector<ContentPart>& parts) {
    // A lone text part goes as a plain string: text-only servers that do not
    // accept content arrays still understand it.
    if (parts.size() == 1 && parts.front().type == ContentPart::Type::Text) return parts.front().value;
    nlohmann::json array = nlohmann::json::array();
    for (const ContentPart& p : parts) {
        if (p.type == ContentPart::Type::Text)
            array.push_back({{"type", "text"}, {"text", p.value}});
        else
            array.push_back({{"type", "image_url"}, {"image_url", {{"url", p.value}}}});
    }
    return array;
}

nlohmann::json extra_object(const std::string& text) {
    nlohmann::json extra;
    try {
        extra = parse_json_bounded(text, 64);
    } catch (const std::exception&) {
        throw VlmError(ErrorKind::InvalidRequest, "the request's extra fields are not valid JSON (at most 64 levels deep)");
    }
    if (!extra.is_object())
        throw VlmError(ErrorKind::InvalidRequest, "the request's extra fields must be a JSON object, got " +
                                                      std::string(extra.type_name()));
    return extra;
}

}  // namespace

std::string request_body(const ChatRequest& request) {
    nlohmann::json body;
    body["model"] = request.model;
    body["messages"] = nlohmann::json::array();
    for (const Message& m : request.messages)
        body["messages"].push_back({{"role", m.role}, {"content", content_json(m.content)}});
    const SamplingParams& s = request.sampling;
    if (s.max_tokens) body["max_tokens"] = *s.max_tokens;
    if (s.temperature) body["temperature"] = *s.temperature;
    if (s.top_p) body["top_p"] = *s.top_p;
    if (s.top_k) body["top_k"] = *s.top_k;
    if (s.repetition_penalty) body["repetition_penalty"] = *s.repetition_penalty;
    if (!s.stop_token_ids.empty()) body["stop_token_ids"] = s.stop_token_ids;
    if (s.skip_special_tokens) body["skip_special_tokens"] = *s.skip_special_tokens;
    if (s.include_stop_str_in_output) body["include_stop_str_in_output"] = *s.include_stop_str_in_output;
    body["stream"] = request.stream;
    if (request.stream) body["stream_options"] = {{"include_usage", true}};
    // RFC 7386 merge: extra keys override, a null removes a key.
    if (!request.extra_json.empty()) body.merge_patch(extra_object(request.extra_json));
    return body.dump();
}

namespace {

bool starts_with_ci(std::string_view s, std::string_view lower_prefix) {
    if (s.size() < lower_prefix.size()) return false;
    for (size_t i = 0; i < lower_prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != lower_prefix[i]) return false;
    return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string api_base_url(std::string_view endpoint) {
    std::string url(endpoint);
    size_t scheme_end = std::string::npos;
    if (starts_with_ci(url, "http://")) scheme_end = 7;
    else if (starts_with_ci(url, "https://")) scheme_end = 8;
    if (scheme_end == std::string::npos || url.size() == scheme_end)
        throw VlmError(ErrorKind::InvalidRequest,
                       "endpoint '" + url + "' is not an http:// or https:// URL (e.g. http://127.0.0.1:8000/v1)");
    while (url.size() > scheme_end && url.back() == '/') url.pop_back();
    for (std::string_view route : {"/chat/completions", "/models"})
        if (ends_with(url, route)) url.resize(url.size() - route.size());
    // "http://host:port" alone means the server root: OpenAI servers live under /v1.
    if (url.find('/', scheme_end) == std::string::npos) url += "/v1";
    return url;
}

std::string chat_completions_url(std::string_view endpoint) { return api_base_url(endpoint) + "/chat/completions"; }

std::string error_kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Unreachable: return "unreachable";
        case ErrorKind::Timeout: return "timeout";
        case ErrorKind::ServerError: return "server-error";
        case ErrorKind::Rejected: return "rejected";
        case ErrorKind::BadReply: return "bad-reply";
        case ErrorKind::TruncatedStream: return "truncated-stream";
        case ErrorKind::Cancelled: return "cancelled";
        case ErrorKind::InvalidRequest: return "invalid-request";
    }
    return "unknown";
}

}  // namespace glyph::vlm
