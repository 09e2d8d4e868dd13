// The render config as an nlohmann::json object, for code that already holds
// JSON documents (a request body, a batch row, a search candidate). The rest
// of the public API (glyph/glyph.h) carries no JSON type; config.h has the
// same two operations on JSON text.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "glyph/config.h"

namespace glyph {

// Apply the keys of a JSON object on top of `base`. Relative font paths are
// resolved against `base_dir`. Throws ConfigError naming the offending key.
RenderConfig apply_config(const nlohmann::json& overrides, const RenderConfig& base,
                          const std::string& base_dir = ".", UnknownKeys unknown = UnknownKeys::Reject,
                          const ConfigWarn& warn = {});

// The config as Glyph's JSON keys (what the manifest records).
nlohmann::json to_json(const RenderConfig& config);

}  // namespace glyph
