// How a run's rows name their item: predictions.jsonl is keyed by (data, id),
// since two datasets of one run may reuse an id. Shared by the runner (to
// resume) and the report (to join rows with their references).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace glyph::eval {

// A row's "id" as text: strings as they are, numbers as JSON writes them.
inline std::string id_text(const nlohmann::json& id) { return id.is_string() ? id.get<std::string>() : id.dump(); }

inline std::string item_key(const std::string& data, const std::string& id) { return data + "\n" + id; }

}  // namespace glyph::eval
