#include "serve/context_fit.h"

#include "glyph/encode.h"

namespace glyph::serve {

namespace {

// The pixel size in a PNG data URL's IHDR chunk (its first 24 bytes), or 0x0.
std::pair<int64_t, int64_t> png_data_url_size(std::string_view url) {
    constexpr std::string_view prefix = "data:image/png;base64,";
    if (url.rfind(prefix, 0) != 0 || url.size() < prefix.size() + 32) return {0, 0};
    std::vector<uint8_t> head;
    try {
        head = base64_decode(url.substr(prefix.size(), 32));
    } catch (const std::exception&) {
        return {0, 0};
    }
    if (head.size() < 24 || head[0] != 0x89 || head[1] != 'P' || head[12] != 'I' || head[13] != 'H') return {0, 0};
    auto be32 = [&](size_t i) { return (int64_t(head[i]) << 24) | (head[i + 1] << 16) | (head[i + 2] << 8) | head[i + 3]; };
    return {be32(16), be32(20)};
}

long long image_cost(const nlohmann::json& part, const VisionProfile& profile) {
    const auto it = part.find("image_url");
    if (it == part.end()) return 0;
    const nlohmann::json& url = it->is_object() && it->contains("url") ? (*it)["url"] : *it;
    if (!url.is_string()) return 0;
    const auto [w, h] = png_data_url_size(url.get_ref<const std::string&>());
    if (w <= 0 || h <= 0) return 0;
    try {
        return profile.per_image_total(w, h);
    } catch (const VisionTokenError&) {
        return 0;  // the upstream will refuse that image on its own terms
    }
}

long long integer_field(const nlohmann::json& body, const char* name) {
    const auto it = body.find(name);
    return it != body.end() && it->is_number_integer() && it->get<long long>() > 0 ? it->get<long long>() : 0;
}

}  // namespace

PromptCount count_request(const nlohmann::json& body, const MessageFormat& format, const VisionProfile& profile,
                          const TextTokenCounter& count_tokens) {
    PromptCount c;
    long long text = 0;
    const nlohmann::json* items = nullptr;
    nlohmann::json one;
    const char* key = format.items_without_role ? "input" : "messages";
    if (body.contains(key)) {
        if (body[key].is_string()) {
            one = nlohmann::json::array({{{"role", "user"}, {"content", body[key]}}});
            items = &one;
        } else if (body[key].is_array()) {
            items = &body[key];
        }
    }
    if (body.contains("instructions") && body["instructions"].is_string()) {
        text += count_tokens(body["instructions"].get_ref<const std::string&>());
        c.template_tokens += kTemplateTokensPerMessage;
    }
    for (const auto& m : items ? *items : nlohmann::json::array()) {
        if (!m.is_object()) continue;
        c.template_tokens += kTemplateTokensPerMessage;
        const auto content = m.find("content");
        if (content == m.end()) continue;
        if (content->is_string()) {
            text += count_tokens(content->get_ref<const std::string&>());
            continue;
        }
        if (!content->is_array()) continue;
        for (const auto& part : *content) {
            if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) continue;
            if (part["type"] == format.text_type && part.contains("text") && part["text"].is_string())
                text += count_tokens(part["text"].get_ref<const std::string&>());
            else if (part["type"] == format.image_type)
                c.vision += image_cost(part, profile);
        }
    }
    c.text = text_tokens_with_margin(text);
    c.template_tokens += kTemplateTokensPerRequest;
    for (const char* name : {"max_tokens", "max_completion_tokens", "max_output_tokens"})
        c.max_tokens = std::max(c.max_tokens, integer_field(body, name));
    return c;
}

long long max_model_len(const nlohmann::json& reply, const std::string& model) {
    if (!reply.is_object() || !reply.contains("data") || !reply["data"].is_array()) return 0;
    const auto& data = reply["data"];
    auto length = [](const nlohmann::json& m) -> long long {
        const auto it = m.find("max_model_len");
        return it != m.end() && it->is_number_integer() && it->get<long long>() > 0 ? it->get<long long>() : 0;
    };
    for (const auto& m : data)
        if (m.is_object() && m.contains("id") && m["id"].is_string() && m["id"] == model) return length(m);
    return data.size() == 1 && data[0].is_object() ? length(data[0]) : 0;
}

nlohmann::json context_error(long long limit, const std::string& limit_source, const PromptCount& count,
                             const std::string& tried) {
    const std::string message = "the request needs " + count.describe() + " tokens but the model's context is " +
                                std::to_string(limit) + " tokens (" + limit_source + "); tried: " + tried +
                                ". Send a shorter document, a smaller max_tokens, or a denser rendering "
                                "(\"glyph\": {\"dpi\": ...})";
    return {{"error",
             {{"message", message},
              {"type", "invalid_request_error"},
              {"param", "messages"},
              {"code", "context_length_exceeded"}}}};
}

}  // namespace glyph::serve
