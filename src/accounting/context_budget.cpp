#include "glyph/context_budget.h"

#include <cmath>

namespace glyph {

const std::vector<ContextRung>& context_ladder() {
    // CER measured by scripts/measure_context_ladder.sh (glyph ocr, 2 pages
    // sampled: en on the first 40 KB of samples/novel_excerpt.txt, zh on
    // tests/data/zh_prose.txt ten times over). Tesseract reads the zh preset
    // itself at 8.8 %, and every denser zh rung more than 2 points worse: zh
    // has no admissible rung. Tried least costly to legibility first.
    static const std::string marker = "<font color=\"#FF0000\"> \\n </font>";
    static const std::vector<ContextRung> ladder = {
        {"preset", nlohmann::json::object(), 0.0012, 0.0882},
        {"8 pt font", {{"font-size", 8}, {"line-height", 9}}, 0.0069, 0.2074},
        {"newline marker", {{"newline-markup", marker}}, 0.0144, 0.1320},
        {"60 dpi", {{"dpi", 60}}, 0.0166, 0.2311},
        {"60 dpi + newline marker", {{"dpi", 60}, {"newline-markup", marker}}, 0.0261, 0.2656},
    };
    return ladder;
}

bool rung_admissible(const ContextRung& rung, std::string_view preset) {
    const ContextRung& base = context_ladder().front();
    if (preset == "zh") return rung.cer_zh <= base.cer_zh + kLegibilityMargin;
    return rung.cer_en <= base.cer_en + kLegibilityMargin;
}

std::string PromptCount::describe() const {
    return std::to_string(total()) + " (vision " + std::to_string(vision) + " + text " + std::to_string(text) +
           " + template " + std::to_string(template_tokens) + " + max_tokens " + std::to_string(max_tokens) + ")";
}

long long text_tokens_with_margin(long long counted) {
    return (long long)std::ceil(double(counted) * (1 + kTextTokenMargin));
}

}  // namespace glyph
