// The reference and clean layouts with the rasterizer: random Unicode text on
// small pages under a random config within the limits. Unusable text must be
// an InputError; the pages must tile the source in order.
#include <cstddef>
#include <cstdint>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include "glyph/config_json.h"
#include "glyph/render.h"

namespace {

nlohmann::json random_config(FuzzedDataProvider& in) {
    const int width = in.ConsumeIntegralInRange(60, 400), height = in.ConsumeIntegralInRange(60, 400);
    nlohmann::json c = {
        {"page-size", std::to_string(width) + "," + std::to_string(height)},
        {"dpi", in.ConsumeIntegralInRange(36, 144)},
        {"font-size", in.ConsumeIntegralInRange(4, 24)},
        {"margin-x", in.ConsumeIntegralInRange(0, 20)},
        {"margin-y", in.ConsumeIntegralInRange(0, 20)},
        {"alignment", in.PickValueInArray({"LEFT", "CENTER", "RIGHT", "JUSTIFY"})},
        {"mode", in.ConsumeBool() ? "clean" : "reference"},
        {"first-line-indent", in.ConsumeIntegralInRange(-10, 30)},
        {"space-before", in.ConsumeIntegralInRange(0, 10)},
        {"space-after", in.ConsumeIntegralInRange(0, 10)},
        {"border-width", in.ConsumeIntegralInRange(0, 3)},
        {"border-padding", in.ConsumeIntegralInRange(0, 5)},
        {"horizontal-scale", in.PickValueInArray({1.0, 0.5, 0.8, 1.3})},
        {"auto-crop-width", in.ConsumeBool()},
        {"auto-crop-last-page", in.ConsumeBool()},
        {"newline-markup", in.ConsumeBool() ? "<br/>" : "<font color=\"#FF0000\">\\n</font>"},
        {"font-color", in.ConsumeBool() ? "#000000" : "#3050A0"},
    };
    if (in.ConsumeBool()) c["line-height"] = in.ConsumeIntegralInRange(4, 30);
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    const char* preset = in.PickValueInArray({"en", "zh", "code"});
    const nlohmann::json overrides = random_config(in);
    const std::string text = in.ConsumeRemainingBytesAsString();
    glyph::RenderConfig config;
    try {
        config = glyph::apply_config(overrides, glyph::preset(preset));
        glyph::validate(config);
    } catch (const glyph::ConfigError&) {
        return 0;  // e.g. margins leaving no room for a line
    }
    glyph::RenderResult result;
    try {
        result = glyph::render_text(text, config);
    } catch (const glyph::InputError&) {
        return 0;
    }
    if (result.pages.empty() || result.pages.front().text_begin != 0 || result.pages.back().text_end != text.size())
        __builtin_trap();
    for (size_t p = 0; p < result.pages.size(); ++p) {
        const glyph::Page& page = result.pages[p];
        if (page.text_begin > page.text_end || page.image.width <= 0 || page.image.height <= 0) __builtin_trap();
        if (p > 0 && result.pages[p - 1].text_end != page.text_begin) __builtin_trap();
    }
    return 0;
}
