// The serve request's "glyph" field: any JSON text through the proxy policy
// parser. Anything it refuses must be a ServeError (a 400), never another exception.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "glyph/serve.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const nlohmann::json overrides = nlohmann::json::parse(data, data + size, nullptr, false);
    if (overrides.is_discarded()) return 0;
    try {
        glyph::serve::apply_policy_overrides(glyph::serve::ProxyPolicy{}, overrides);
    } catch (const glyph::serve::ServeError&) {
    }
    return 0;
}
