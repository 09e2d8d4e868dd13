#include "serve/compress.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "glyph/config_json.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "serve/untrusted_json.h"

namespace glyph::serve {

namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

nlohmann::json image_part(const SegmentPage& page, const MessageFormat& format) {
    std::string url =
        "data:image/png;base64," + base64_encode(reinterpret_cast<const uint8_t*>(page.png.data()), page.png.size());
    if (format.image_url_object) return {{"type", format.image_type}, {"image_url", {{"url", std::move(url)}}}};
    return {{"type", format.image_type}, {"image_url", std::move(url)}};
}

// A content part of the format's text type; parts of any other shape pass through untouched.
bool is_text_part(const nlohmann::json& part, const MessageFormat& format) {
    if (!part.is_object()) return false;
    const auto type = part.find("type");
    return type != part.end() && type->is_string() && *type == format.text_type;
}

// The Responses API's "developer" messages are system messages by another name.
bool role_allowed(const ProxyPolicy& policy, const std::string& role) {
    const std::string& as = role == "developer" ? std::string("system") : role;
    return std::find(policy.roles.begin(), policy.roles.end(), as) != policy.roles.end();
}

bool role_could_be_enabled(const std::string& role) {
    return role == "user" || role == "system" || role == "developer";
}

}  // namespace

void RenderBudget::charge(long long pixels) {
    const long long pages = ++pages_;
    const long long total = pixels_ += pixels;
    if (pages > max_pages_)
        throw BudgetExceeded("the request needs more than " + std::to_string(max_pages_) +
                             " pages; a request may make at most " + std::to_string(max_pages_) +
                             " (--max-request-pages)");
    if (total > max_pixels_)
        throw BudgetExceeded("the request's pages need more than " + std::to_string(max_pixels_ / 1000000) +
                             " megapixels; a request may make at most " + std::to_string(max_pixels_ / 1000000) +
                             " (--max-request-megapixels)");
}

void RenderBudget::charge_text(size_t bytes) {
    const size_t total = text_bytes_ += bytes;
    if (total > max_text_bytes_)
        throw BudgetExceeded("the request has " + std::to_string(total) + " bytes of text to render; at most " +
                             std::to_string(max_text_bytes_) + " are rendered per request (--max-text)");
}

namespace {

// While a render runs, looks at the client's connection every 50 ms and
// raises the render's stop flag once the client has gone.
class ClientWatch {
public:
    ClientWatch(const RenderBudget& budget, std::atomic<bool>& stop) {
        if (!budget.watched()) return;
        thread_ = std::thread([this, &budget, &stop] {
            std::unique_lock lock(mutex_);
            while (!done_) {
                if (budget.abandoned()) {
                    stop = true;
                    return;
                }
                wake_.wait_for(lock, std::chrono::milliseconds(50));
            }
        });
    }
    ~ClientWatch() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    ClientWatch(const ClientWatch&) = delete;
    ClientWatch& operator=(const ClientWatch&) = delete;

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;
    std::thread thread_;
};

}  // namespace

SegmentRenderer::Result SegmentRenderer::render(std::string_view text, const RenderConfig& config,
                                                RenderBudget& budget) {
    Result r;
    std::string keyed = to_json(config).dump();
    keyed += "\npng-1\n";
    keyed.append(text);
    r.key = sha256_hex(keyed);
    r.segment = cache_.find(r.key);
    if (!r.segment) budget.charge_text(text.size());
    while (!r.segment) {
        std::promise<std::shared_ptr<const Segment>> mine;
        std::shared_future<std::shared_ptr<const Segment>> theirs;
        {
            std::lock_guard lock(inflight_mutex_);
            auto it = inflight_.find(r.key);
            if (it != inflight_.end()) theirs = it->second;
            else if ((r.segment = cache_.find(r.key))) break;  // finished since the first look
            else inflight_.emplace(r.key, mine.get_future().share());
        }
        if (theirs.valid()) {
            try {
                r.segment = theirs.get();
            } catch (const BudgetExceeded&) {
                // That render ran under another request's budget: try under ours.
            } catch (const Cancelled&) {
                // Its client left; ours has not: render under ours.
            }
            continue;
        }
        try {
            r.segment = render_new(text, config, budget);
            cache_.store(r.key, r.segment);
            mine.set_value(r.segment);
        } catch (...) {
            mine.set_exception(std::current_exception());  // waiters get the same user error
            std::lock_guard lock(inflight_mutex_);
            inflight_.erase(r.key);
            throw;
        }
        std::lock_guard lock(inflight_mutex_);
        inflight_.erase(r.key);
        return r;  // its pages were charged as they were rendered
    }
    r.cached = true;
    for (const auto& page : r.segment->pages) budget.charge((long long)page.width * page.height);
    return r;
}

std::shared_ptr<const Segment> SegmentRenderer::render_new(std::string_view text, const RenderConfig& config,
                                                            RenderBudget& budget) {
    const auto start = std::chrono::steady_clock::now();
    auto segment = std::make_shared<Segment>();
    std::mutex pages_mutex;
    // Each page is encoded as soon as it is rasterized and its pixels are
    // dropped, so a request never holds more than one raster per thread.
    RenderOptions options;
    options.threads = threads_;
    std::atomic<bool> stop{false};
    options.cancel = &stop;
    options.on_page = [&](const Page& page) {
        budget.charge((long long)page.image.width * page.image.height);
        const auto png = encode_png(page.image, 1);
        SegmentPage encoded{page.image.width, page.image.height, std::string(png.begin(), png.end())};
        std::lock_guard lock(pages_mutex);
        if (segment->pages.size() < size_t(page.number)) segment->pages.resize(size_t(page.number));
        segment->pages[size_t(page.number) - 1] = std::move(encoded);
    };
    RenderResult rendered;
    {
        const ClientWatch watch(budget, stop);
        rendered = render_text(text, config, options);
    }
    segment->pages.resize(rendered.pages.size());
    segment->render_ms = ms_since(start);
    segment->missing = rendered.missing;
    ++renders_;
    return segment;
}

RenderConfig policy_render_config(const ProxyPolicy& policy, std::string_view document) {
    return apply_config(policy.config, preset_for_text(policy.preset, document));
}

nlohmann::json CompressionReport::to_json() const {
    return {{"text_tokens", text_tokens},         {"vision_tokens", vision_tokens},
            {"tokens_saved", tokens_saved()},     {"pages", pages},
            {"segments_rendered", segments_rendered}, {"segments_cached", segments_cached},
            {"render_ms", render_ms},
            {"missing_glyphs", missing_glyphs},   {"decision", decision_name(decision)},
            {"rendering", rendering}};
}

const MessageFormat kChatFormat{"text", "image_url", true, false};
const MessageFormat kResponsesFormat{"input_text", "input_image", false, true};

namespace {

// What the parts of one request looked like, for the decision.
struct Findings {
    bool text_part = false, below = false, role_blocked = false, no_saving = false;
    Decision decision(bool rendered) const {
        if (rendered) return Decision::kRendered;
        if (no_saving) return Decision::kNoSaving;
        if (role_blocked) return Decision::kRoleNotEnabled;
        if (below) return Decision::kBelowThreshold;
        return text_part ? Decision::kBelowThreshold : Decision::kNoTextPart;
    }
};

}  // namespace

CompressionReport compress_messages(nlohmann::json& messages, const ProxyPolicy& policy,
                                    const VisionProfile& profile, const TextTokenCounter& count_tokens,
                                    SegmentRenderer& renderer, RenderBudget& budget, const MessageFormat& format) {
    if (!messages.is_array() || messages.empty())
        throw ServeError("\"messages\" must be a non-empty array");
    CompressionReport report;
    if (!policy.enabled) {
        report.decision = Decision::kDisabledByRequest;
        return report;
    }

    auto has_role = [](const nlohmann::json& m) { return m.is_object() && m.contains("role") && m["role"].is_string(); };
    size_t last_user = messages.size();
    for (size_t i = 0; i < messages.size(); ++i) {
        const auto& m = messages[i];
        if (!has_role(m)) {
            if (format.items_without_role) continue;
            throw ServeError("messages[" + std::to_string(i) + "] must be an object with a string \"role\"");
        }
        if (m["role"] == "user") last_user = i;
    }
    const auto start = std::chrono::steady_clock::now();
    // Byte-level BPE never makes more tokens than bytes: short parts skip the count.
    auto tokens_over_threshold = [&](std::string_view text) -> long long {
        return text.size() <= size_t(policy.min_tokens) ? 0 : count_tokens(text);
    };
    Findings found;

    for (size_t i = 0; i < messages.size(); ++i) {
        auto& message = messages[i];
        if (!has_role(message) || !message.contains("content")) continue;
        const std::string role = message["role"].get<std::string>();
        auto& content = message["content"];
        const bool as_string = content.is_string();
        if (!as_string && !content.is_array()) continue;
        nlohmann::json parts =
            as_string ? nlohmann::json::array({{{"type", format.text_type}, {"text", content}}}) : content;

        size_t last_text = parts.size();
        for (size_t k = 0; k < parts.size(); ++k) {
            const auto& part = parts[k];
            if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
                throw ServeError("messages[" + std::to_string(i) + "].content[" + std::to_string(k) +
                                 "] must be an object with a string \"type\", got " +
                                 (part.is_object() && part.contains("type") ? "type " + brief_json(part["type"])
                                                                            : brief_json(part)));
            if (is_text_part(part, format)) last_text = k;
        }

        const bool allowed = role_allowed(policy, role);
        nlohmann::json rewritten = nlohmann::json::array();
        bool changed = false;
        for (size_t k = 0; k < parts.size(); ++k) {
            const auto& part = parts[k];
            if (!is_text_part(part, format) || !part.contains("text") || !part["text"].is_string()) {
                rewritten.push_back(part);
                continue;
            }
            found.text_part = true;
            const std::string& text = part["text"].get_ref<const std::string&>();
            if (!allowed) {
                if (role_could_be_enabled(role) && tokens_over_threshold(text) > policy.min_tokens)
                    found.role_blocked = true;
                rewritten.push_back(part);
                continue;
            }
            std::string_view document = text;
            std::string_view question;
            const bool is_question = i == last_user && k == last_text;
            // A system prompt asks nothing: all of it is document.
            if (policy.keep_question && role == "user") {
                size_t split = std::string_view::npos;
                if (is_question && !policy.question.empty()) {
                    split = explicit_question_split(text, policy.question);
                    if (split == std::string_view::npos)
                        throw ServeError("\"glyph\".question is not how the last user message's text ends");
                } else {
                    split = question_split(text, policy.question_separator, is_question);
                }
                if (split != std::string_view::npos) {
                    document = document.substr(0, split);
                    question = std::string_view(text).substr(split);
                }
            }
            const long long tokens = tokens_over_threshold(document);
            if (tokens <= policy.min_tokens) {
                found.below = true;
                rewritten.push_back(part);
                continue;
            }
            const auto r = renderer.render(document, policy_render_config(policy, document), budget);
            report.presets.insert(policy.preset == "auto" ? auto_preset_name(document) : policy.preset);
            const long long vision = count_vision(r.segment->extents(), profile).tokens;
            (r.cached ? report.segments_cached : report.segments_rendered) += 1;
            if (vision >= tokens) {
                found.no_saving = true;  // pages would cost more than the text: it stays text
                rewritten.push_back(part);
                continue;
            }
            for (const auto& page : r.segment->pages) rewritten.push_back(image_part(page, format));
            if (!question.empty()) rewritten.push_back({{"type", format.text_type}, {"text", question}});
            report.vision_tokens += vision;
            report.text_tokens += tokens;
            report.pages += int(r.segment->pages.size());
            report.missing_glyphs += r.segment->missing.count;
            if (report.warning.empty()) report.warning = missing_glyph_warning(r.segment->missing);
            changed = true;
        }
        if (changed) content = std::move(rewritten);
    }
    report.decision = found.decision(report.pages > 0);
    report.render_ms = ms_since(start);
    return report;
}

CompressionReport compress_responses_input(nlohmann::json& body, const ProxyPolicy& policy,
                                           const VisionProfile& profile, const TextTokenCounter& count_tokens,
                                           SegmentRenderer& renderer, RenderBudget& budget) {
    auto input = body.find("input");
    if (input == body.end()) throw ServeError("request body must be a JSON object with \"input\"");
    if (input->is_string()) {
        nlohmann::json messages = nlohmann::json::array({{{"role", "user"}, {"content", *input}}});
        CompressionReport report =
            compress_messages(messages, policy, profile, count_tokens, renderer, budget, kResponsesFormat);
        if (report.pages > 0) *input = std::move(messages);
        return report;
    }
    if (!input->is_array() || input->empty())
        throw ServeError("\"input\" must be a string or a non-empty array of input items");
    return compress_messages(*input, policy, profile, count_tokens, renderer, budget, kResponsesFormat);
}

}  // namespace glyph::serve
