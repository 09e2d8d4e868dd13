// The config parser: any bytes as a config object's JSON text on top of a
// preset, through the public text entry point (bounded parse included). A bad
// config must be a ConfigError (one line), never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "glyph/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const glyph::RenderConfig base = glyph::preset("en");
    try {
        const glyph::RenderConfig config =
            glyph::apply_config_json(std::string_view(reinterpret_cast<const char*>(data), size), base);
        glyph::validate(config);
        (void)glyph::config_json(config);
    } catch (const glyph::ConfigError&) {
    }
    return 0;
}
