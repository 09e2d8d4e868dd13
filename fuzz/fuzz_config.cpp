// The config parser: any JSON text as a config object on top of a preset.
// A bad config must be a ConfigError (one line), never a crash or another exception.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "glyph/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const nlohmann::json overrides = nlohmann::json::parse(data, data + size, nullptr, false);
    if (overrides.is_discarded()) return 0;
    static const glyph::RenderConfig base = glyph::preset("en");
    try {
        const glyph::RenderConfig config = glyph::apply_config(overrides, base);
        glyph::validate(config);
        (void)glyph::to_json(config).dump();
    } catch (const glyph::ConfigError&) {
    }
    return 0;
}
