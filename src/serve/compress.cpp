#include "serve/compress.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "glyph/encode.h"
#include "glyph/render.h"

namespace glyph::serve {

namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Encodes pages on `threads` threads; each page is independent.
std::vector<SegmentPage> encode_pages(const std::vector<Page>& pages, int threads) {
    std::vector<SegmentPage> out(pages.size());
    auto work = [&](size_t first) {
        for (size_t i = first; i < pages.size(); i += size_t(threads)) {
            const auto png = encode_png(pages[i].image, 1);
            out[i] = {pages[i].image.width, pages[i].image.height, std::string(png.begin(), png.end())};
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads && size_t(t) < pages.size(); ++t) pool.emplace_back(work, size_t(t));
    work(0);
    for (auto& t : pool) t.join();
    return out;
}

nlohmann::json image_part(const SegmentPage& page) {
    return {{"type", "image_url"},
            {"image_url",
             {{"url", "data:image/png;base64," +
                          base64_encode(reinterpret_cast<const uint8_t*>(page.png.data()), page.png.size())}}}};
}

// A trailing paragraph longer than this is document, not a question.
constexpr size_t kMaxQuestionBytes = 2000;

bool role_allowed(const ProxyPolicy& policy, const std::string& role) {
    return std::find(policy.roles.begin(), policy.roles.end(), role) != policy.roles.end();
}

}  // namespace

SegmentRenderer::Result SegmentRenderer::render(std::string_view text, const RenderConfig& config) {
    Result r;
    std::string keyed = to_json(config).dump();
    keyed += "\npng-1\n";
    keyed.append(text);
    r.key = sha256_hex(keyed);
    if ((r.segment = cache_.find(r.key))) {
        r.cached = true;
        return r;
    }
    const auto start = std::chrono::steady_clock::now();
    RenderOptions options;
    options.threads = threads_;
    const RenderResult rendered = render_text(text, config, options);
    auto segment = std::make_shared<Segment>();
    segment->pages = encode_pages(rendered.pages, std::max(1, threads_));
    segment->render_ms = ms_since(start);
    segment->missing = rendered.missing;
    r.segment = segment;
    cache_.store(r.key, segment);
    return r;
}

RenderConfig policy_render_config(const ProxyPolicy& policy, std::string_view document) {
    return apply_config(policy.config, preset_for_text(policy.preset, document));
}

nlohmann::json CompressionReport::to_json() const {
    return {{"text_tokens", text_tokens},         {"vision_tokens", vision_tokens},
            {"tokens_saved", tokens_saved()},     {"pages", pages},
            {"segments_rendered", segments_rendered}, {"segments_cached", segments_cached},
            {"render_ms", render_ms},
            {"missing_glyphs", missing_glyphs}};
}

size_t question_split(std::string_view text) {
    size_t end = text.size();
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' ')) --end;
    const size_t blank = text.rfind("\n\n", end == 0 ? 0 : end - 1);
    const size_t blank_crlf = text.rfind("\r\n\r\n", end == 0 ? 0 : end - 1);
    if (blank == std::string_view::npos && blank_crlf == std::string_view::npos) return std::string_view::npos;
    if (blank_crlf != std::string_view::npos && (blank == std::string_view::npos || blank_crlf + 2 > blank))
        return blank_crlf + 4;
    return blank + 2;
}

CompressionReport compress_messages(nlohmann::json& messages, const ProxyPolicy& policy,
                                    const VisionProfile& profile, const TextTokenCounter& count_tokens,
                                    SegmentRenderer& renderer) {
    if (!messages.is_array() || messages.empty())
        throw ServeError("\"messages\" must be a non-empty array");
    CompressionReport report;
    if (!policy.enabled) return report;

    size_t last_user = messages.size();
    for (size_t i = 0; i < messages.size(); ++i) {
        const auto& m = messages[i];
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
            throw ServeError("messages[" + std::to_string(i) + "] must be an object with a string \"role\"");
        if (m["role"] == "user") last_user = i;
    }
    const auto start = std::chrono::steady_clock::now();

    for (size_t i = 0; i < messages.size(); ++i) {
        auto& message = messages[i];
        if (!role_allowed(policy, message["role"].get<std::string>()) || !message.contains("content")) continue;
        auto& content = message["content"];
        const bool as_string = content.is_string();
        if (!as_string && !content.is_array()) continue;
        nlohmann::json parts = as_string ? nlohmann::json::array({{{"type", "text"}, {"text", content}}}) : content;

        size_t last_text = parts.size();
        for (size_t k = 0; k < parts.size(); ++k)
            if (parts[k].is_object() && parts[k].value("type", "") == "text") last_text = k;

        nlohmann::json rewritten = nlohmann::json::array();
        bool changed = false;
        for (size_t k = 0; k < parts.size(); ++k) {
            const auto& part = parts[k];
            if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
                !part["text"].is_string()) {
                rewritten.push_back(part);
                continue;
            }
            const std::string& text = part["text"].get_ref<const std::string&>();
            std::string_view document = text;
            std::string_view question;
            if (policy.keep_question) {
                // Every message splits the same way whether or not it is the last one,
                // so its pages stay the same segment as the conversation grows.
                const size_t split = question_split(text);
                const bool is_question = i == last_user && k == last_text;
                if (split != std::string_view::npos && (is_question || text.size() - split <= kMaxQuestionBytes)) {
                    document = document.substr(0, split);
                    question = std::string_view(text).substr(split);
                } else if (is_question) {
                    rewritten.push_back(part);
                    continue;
                }
            }
            // Byte-level BPE never makes more tokens than bytes: short parts skip the count.
            const long long tokens =
                document.size() <= size_t(policy.min_tokens) ? 0 : count_tokens(document);
            if (tokens <= policy.min_tokens) {
                rewritten.push_back(part);
                continue;
            }
            const auto r = renderer.render(document, policy_render_config(policy, document));
            for (const auto& page : r.segment->pages) {
                rewritten.push_back(image_part(page));
                report.vision_tokens += profile.per_image_total(page.width, page.height);
            }
            if (!question.empty()) rewritten.push_back({{"type", "text"}, {"text", question}});
            report.text_tokens += tokens;
            report.pages += int(r.segment->pages.size());
            report.missing_glyphs += r.segment->missing.count;
            if (report.warning.empty()) report.warning = missing_glyph_warning(r.segment->missing);
            (r.cached ? report.segments_cached : report.segments_rendered) += 1;
            changed = true;
        }
        if (changed) content = std::move(rewritten);
    }
    report.render_ms = ms_since(start);
    return report;
}

}  // namespace glyph::serve
