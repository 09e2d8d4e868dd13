// Whether a request fits a model's context window, counted as the server
// will see it, and the denser renderings to try when it does not: a declared
// ladder whose rungs' OCR legibility was measured once, offline
// (scripts/measure_context_ladder.sh), and is kept here as data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace glyph {

// Text counted with Qwen3's tokenizer stands in for the model's own (Glyph's
// GLM-4 tokenizer is in no registry): it is counted this much larger.
constexpr double kTextTokenMargin = 0.10;
// Chat-template tokens: a role header and an end marker per message, and the
// assistant's opening, as GLM-4 / Qwen templates spend them.
constexpr long long kTemplateTokensPerMessage = 4;
constexpr long long kTemplateTokensPerRequest = 3;
// A rung is admissible for a language when its measured character error rate
// is at most this much (absolute) above that language's own preset's.
constexpr double kLegibilityMargin = 0.02;

struct ContextRung {
    std::string name;       // e.g. "60 dpi"
    nlohmann::json config;  // Glyph config keys over the preset
    double cer_en = 1, cer_zh = 1;  // measured OCR character error rate, en / zh preset
};

// The preset itself (rung 0, config {}), then the denser rungs in the order
// they are tried.
const std::vector<ContextRung>& context_ladder();
// Whether `rung` reads back within kLegibilityMargin of `preset`'s own
// rendering ("en", "zh"; "code" counts as "en").
bool rung_admissible(const ContextRung& rung, std::string_view preset);

// What a request costs the model, in tokens.
struct PromptCount {
    long long vision = 0;      // its images (markers included)
    long long text = 0;        // its text parts, margin included
    long long template_tokens = 0;
    long long max_tokens = 0;  // what it asks the model to generate at most
    long long total() const { return vision + text + template_tokens + max_tokens; }
    // "61234 (vision 50000 + text 11000 + template 34 + max_tokens 200)"
    std::string describe() const;
};

// A text count with the margin applied.
long long text_tokens_with_margin(long long counted);

}  // namespace glyph
