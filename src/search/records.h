// How the search's records are written and read back: evaluations as JSON
// rows (cache, evaluations.jsonl, checkpoint) and the output files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glyph/search.h"

namespace glyph::search {

nlohmann::json evaluation_json(const Evaluation& e);
// Empty for a line that is not an evaluation row.
std::optional<Evaluation> parse_evaluation(const std::string& line);

// What the run's output folder holds besides the checkpoint.
struct SearchReport {
    const SearchSpace* space = nullptr;
    const Fitness* fitness = nullptr;
    const FitnessRule* rule = nullptr;
    nlohmann::json record;                 // options, stop reason, counters, held-out result
    const std::vector<Evaluation>* evaluations = nullptr;
    const Evaluation* best = nullptr;      // null: nothing scored yet
    const nlohmann::json* advisor_log = nullptr;  // one entry per generation the advisor was asked
};
// best.json, pareto.json/.md/.svg, evaluations.jsonl, advisor.jsonl, search.json.
void write_outputs(const std::string& dir, const SearchReport& report);

}  // namespace glyph::search
