#include "glyph/accounting.h"
#include "glyph/accounting_manifest.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "util/utf8.h"

namespace glyph {

using nlohmann::json;

namespace {

int64_t manifest_integer(const json& page, const char* key, size_t index) {
    const std::string where = "manifest page " + std::to_string(index + 1);
    if (!page.is_object() || !page.contains(key)) throw InputError(where + " has no \"" + key + "\"");
    const json& v = page[key];
    if (!v.is_number_integer()) throw InputError(where + ": \"" + key + "\" is not an integer");
    return v.get<int64_t>();
}

}  // namespace

std::vector<PageExtent> page_extents(const RenderResult& result) {
    std::vector<PageExtent> out;
    out.reserve(result.pages.size());
    for (const Page& p : result.pages)
        out.push_back({p.number, p.image.width, p.image.height, p.text_begin, p.text_end});
    return out;
}

std::vector<PageExtent> page_extents(const json& manifest) {
    if (!manifest.is_object() || !manifest.contains("pages") || !manifest["pages"].is_array())
        throw InputError("manifest has no \"pages\" array");
    std::vector<PageExtent> out;
    const json& pages = manifest["pages"];
    for (size_t i = 0; i < pages.size(); ++i) {
        PageExtent e;
        e.number = int(i + 1);
        e.width = manifest_integer(pages[i], "width", i);
        e.height = manifest_integer(pages[i], "height", i);
        const int64_t begin = manifest_integer(pages[i], "text_begin", i);
        const int64_t end = manifest_integer(pages[i], "text_end", i);
        if (begin < 0 || end < begin)
            throw InputError("manifest page " + std::to_string(i + 1) + ": text span [" + std::to_string(begin) +
                             ", " + std::to_string(end) + ") is not a valid byte range");
        e.text_begin = size_t(begin);
        e.text_end = size_t(end);
        out.push_back(e);
    }
    return out;
}

TextCount count_text(std::string_view text, const std::vector<PageExtent>& pages, const Tokenizer& tokenizer,
                     WorkPool* pool, std::optional<int64_t> text_tokens, const Tokenizer::WordMemo* text_words) {
    TextCount c;
    c.bytes = text.size();
    c.chars = count_code_points(text);
    for (const PageExtent& p : pages) {
        if (p.text_end > text.size() || p.text_begin > p.text_end)
            throw InputError("page " + std::to_string(p.number) + " shows bytes [" + std::to_string(p.text_begin) +
                             ", " + std::to_string(p.text_end) + ") but the text has " +
                             std::to_string(text.size()) + " bytes");
    }
    // Consecutive pages share most of their words, so a run of them is
    // counted with one word cache (Tokenizer::count_each). On one thread the
    // whole text goes first in the same run, and the pages after it are
    // nearly all cache hits; on more, the whole text (when not known yet) is
    // a task of its own beside the runs of pages. Words the caller's count of
    // the whole text merged (text_words) are shared by every run.
    if (text_tokens) c.tokens = *text_tokens;
    const bool whole_apart = pool && pool->threads() > 1 && !text_tokens;
    const size_t threads = pool ? size_t(std::max(pool->threads(), 1)) : 1;
    const size_t runs = std::max<size_t>(1, std::min(pages.size(), whole_apart ? threads - 1 : threads));
    c.page_tokens.resize(pages.size());
    auto count_run = [&](size_t run) {
        const size_t first = pages.size() * run / runs, last = pages.size() * (run + 1) / runs;
        const bool with_whole = run == 0 && !text_tokens && !whole_apart;
        std::vector<std::string_view> texts;
        texts.reserve(last - first + 1);
        if (with_whole) texts.push_back(text);
        for (size_t i = first; i < last; ++i)
            texts.push_back(text.substr(pages[i].text_begin, pages[i].text_end - pages[i].text_begin));
        const std::vector<size_t> counts = text_words ? tokenizer.count_each(texts, *text_words) : tokenizer.count_each(texts);
        size_t k = 0;
        if (with_whole) c.tokens = int64_t(counts[k++]);
        for (size_t i = first; i < last; ++i) c.page_tokens[i] = int64_t(counts[k++]);
    };
    if (!pool || (runs == 1 && !whole_apart)) {
        count_run(0);
        return c;
    }
    WorkPool::Group counts;
    if (whole_apart) pool->submit(counts, [&] { c.tokens = int64_t(tokenizer.count(text)); });
    for (size_t run = 0; run < runs; ++run) pool->submit(counts, [&count_run, run] { count_run(run); });
    pool->wait(counts);
    return c;
}

VisionCount count_vision(const std::vector<PageExtent>& pages, const VisionProfile& profile) {
    VisionCount v;
    v.profile = profile.name;
    v.pages.reserve(pages.size());
    for (const PageExtent& p : pages) {
        ImageTokenCount n;
        try {
            n = profile.count(p.width, p.height);
        } catch (const VisionTokenError& e) {
            throw VisionTokenError("page " + std::to_string(p.number) + ": " + e.what());
        }
        v.image_tokens += n.image;
        v.tokens += n.total();
        v.pages.push_back(n);
    }
    return v;
}

double compression_ratio(int64_t text_tokens, int64_t vision_tokens) {
    return text_tokens > 0 && vision_tokens > 0 ? double(text_tokens) / double(vision_tokens) : 0.0;
}

CompressionStats account(std::string_view text, const RenderResult& result, const Tokenizer& tokenizer,
                         const VisionProfile& profile, WorkPool* pool, std::optional<int64_t> text_tokens,
                         const Tokenizer::WordMemo* text_words) {
    const std::vector<PageExtent> pages = page_extents(result);
    return {count_text(text, pages, tokenizer, pool, text_tokens, text_words), count_vision(pages, profile)};
}

void add_to_manifest(json& manifest, const CompressionStats& stats, const std::string& tokenizer_name) {
    json& pages = manifest.at("pages");
    if (pages.size() != stats.vision.pages.size() || pages.size() != stats.text.page_tokens.size())
        throw InputError("manifest has " + std::to_string(pages.size()) + " pages but the counts cover " +
                         std::to_string(stats.vision.pages.size()));
    for (size_t i = 0; i < pages.size(); ++i) {
        pages[i]["text_tokens"] = stats.text.page_tokens[i];
        pages[i]["vision_tokens"] = stats.vision.pages[i].total();
    }
    manifest["accounting"] = {{"profile", stats.vision.profile},
                              {"tokenizer", tokenizer_name},
                              {"text_tokens", stats.text.tokens},
                              {"vision_tokens", stats.vision.tokens},
                              {"image_tokens", stats.vision.image_tokens},
                              {"compression_ratio", stats.ratio()}};
}

std::string group_thousands(int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

std::string ratio_line(const CompressionStats& stats) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.2fx", stats.ratio());
    const size_t pages = stats.vision.pages.size();
    std::string line = "compression " + std::string(ratio) + ": " + group_thousands(stats.text.tokens) +
                       " text tokens -> " + group_thousands(stats.vision.tokens) + " vision tokens (" +
                       stats.vision.profile + ", " + std::to_string(pages) + (pages == 1 ? " page)" : " pages)");
    // A page has a fixed vision-token cost; a short text does not fill it.
    if (stats.vision.tokens > 0 && stats.ratio() < 1)
        line += "; the pages cost more than the text: it is too short to gain (try a longer text or a lower dpi)";
    return line;
}

}  // namespace glyph
