// Compression accounting: text tokens of each page's source span against the
// vision tokens its image costs under a VLM profile, and the resulting ratio.
// Reading and annotating a manifest.json is glyph/accounting_manifest.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glyph/render.h"
#include "glyph/tokenizer.h"
#include "glyph/vision_tokens.h"
#include "glyph/work_pool.h"

namespace glyph {

// What accounting needs of a page: its pixel size and the bytes of the source it shows.
struct PageExtent {
    int number = 0;  // 1-based
    int64_t width = 0, height = 0;
    size_t text_begin = 0, text_end = 0;
};

std::vector<PageExtent> page_extents(const RenderResult& result);

struct TextCount {
    size_t bytes = 0;
    size_t chars = 0;          // code points
    int64_t tokens = 0;        // the whole text, tokenized once
    std::vector<int64_t> page_tokens;  // each page's source span, tokenized on its own
};

// Throws InputError when a page's span lies outside the text. With a pool,
// the whole text and runs of consecutive pages are counted as tasks on its
// threads (a run shares one word cache: Tokenizer::count_each).
// `text_tokens`: the whole text's count when the caller already has it (the
// CLI counts it beside the render, before the page spans are known), and
// `text_words` the words that count merged (Tokenizer::WordMemo), which the
// pages' counts then reuse.
TextCount count_text(std::string_view text, const std::vector<PageExtent>& pages, const Tokenizer& tokenizer,
                     WorkPool* pool = nullptr, std::optional<int64_t> text_tokens = std::nullopt,
                     const Tokenizer::WordMemo* text_words = nullptr);

struct VisionCount {
    std::string profile;                  // canonical profile name
    std::vector<ImageTokenCount> pages;
    int64_t image_tokens = 0;             // feature positions only
    int64_t tokens = 0;                   // with per-image marker tokens: what the context pays
};

// Throws VisionTokenError naming the page when its size cannot be priced.
VisionCount count_vision(const std::vector<PageExtent>& pages, const VisionProfile& profile);

// Text tokens per vision token: the one ratio every report shows; 0 when
// either count is missing (negative) or zero.
double compression_ratio(int64_t text_tokens, int64_t vision_tokens);

struct CompressionStats {
    TextCount text;
    VisionCount vision;
    double ratio() const { return compression_ratio(text.tokens, vision.tokens); }
};

CompressionStats account(std::string_view text, const RenderResult& result, const Tokenizer& tokenizer,
                         const VisionProfile& profile, WorkPool* pool = nullptr,
                         std::optional<int64_t> text_tokens = std::nullopt,
                         const Tokenizer::WordMemo* text_words = nullptr);

// One line for a terminal, e.g.
// "compression 3.41x: 41,235 text tokens -> 12,096 vision tokens (glm-4.1v, 19 pages)".
std::string ratio_line(const CompressionStats& stats);

// 1234567 -> "1,234,567".
std::string group_thousands(int64_t n);

}  // namespace glyph
