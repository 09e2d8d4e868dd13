// The evaluation cache: one JSONL file of scored candidates shared by every
// search that points at the same folder, keyed by all that decides a score.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "glyph/render.h"
#include "glyph/search.h"

namespace glyph::search {

using nlohmann::json;

namespace {

// A cache row is one evaluation; a bigger line is not ours.
constexpr size_t kMaxRowBytes = 1 << 20;

json row_json(const Evaluation& e) {
    json genes = json::object();
    for (const auto& [k, v] : e.genes) genes[k] = v;
    json row = {{"key", e.key}, {"genes", genes}, {"quality", e.quality}, {"compression", e.compression},
                {"detail", e.detail}};
    if (!e.error.empty()) row["error"] = e.error;
    return row;
}

std::optional<Evaluation> row_evaluation(const std::string& line) {
    const json row = json::parse(line, nullptr, false);
    if (row.is_discarded() || !row.is_object() || !row.contains("key") || !row["key"].is_string() ||
        !row.contains("genes") || !row["genes"].is_object() || !row.contains("quality") ||
        !row["quality"].is_number() || !row.contains("compression") || !row["compression"].is_number())
        return std::nullopt;
    Evaluation e;
    e.key = row["key"].get<std::string>();
    for (const auto& [k, v] : row["genes"].items()) e.genes[k] = v;
    e.quality = row["quality"].get<double>();
    e.compression = row["compression"].get<double>();
    if (row.contains("detail")) e.detail = row["detail"];
    if (row.contains("error") && row["error"].is_string()) e.error = row["error"].get<std::string>();
    return e;
}

}  // namespace

json evaluation_json(const Evaluation& e) { return row_json(e); }
std::optional<Evaluation> parse_evaluation(const std::string& line) { return row_evaluation(line); }

std::string evaluation_key(const json& canonical_config, const Fitness& fitness) {
    // nlohmann's object keys are sorted, so dump() is canonical.
    return source_digest(json{{"config", canonical_config}, {"fitness", fitness.identity()}}.dump());
}

EvaluationCache::EvaluationCache(std::string dir) {
    if (dir.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw SearchError("cannot create the cache folder " + dir + ": " + ec.message());
    path_ = (std::filesystem::path(dir) / "cache.jsonl").string();
    std::ifstream in(path_, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > kMaxRowBytes) continue;
        // Rows another run is appending may be torn; those are skipped.
        if (auto e = row_evaluation(line)) {
            // Failed evaluations are not cached: the failure may be passing.
            if (e->error.empty()) rows_[e->key] = std::move(*e);
        }
    }
}

std::optional<Evaluation> EvaluationCache::find(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = rows_.find(key);
    if (it == rows_.end()) return std::nullopt;
    Evaluation e = it->second;
    e.cached = true;
    return e;
}

void EvaluationCache::put(const Evaluation& e) {
    if (!e.error.empty()) return;
    std::lock_guard lock(mu_);
    rows_[e.key] = e;
    if (path_.empty()) return;
    // One write(2) per row on an O_APPEND descriptor: rows of runs sharing
    // the file never interleave.
    const std::string line = row_json(e).dump() + "\n";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw SearchError("cannot write the evaluation cache " + path_);
    const ssize_t n = ::write(fd, line.data(), line.size());
    ::close(fd);
    if (n != ssize_t(line.size())) throw SearchError("cannot write the evaluation cache " + path_);
}

}  // namespace glyph::search
