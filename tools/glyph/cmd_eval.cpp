// glyph eval: benchmarks as their authors score them. `score` scores a
// predictions file against a LongBench, MRCR or RULER data file.
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "glyph/config_json.h"
#include "glyph/eval.h"

namespace glyph::cli {
namespace {

struct ScoreArgs {
    std::string bench, data, pred, dataset, task, jieba_dir;
    std::vector<std::string> fields;
    bool json = false;
    bool length_buckets = false;
    bool mrcr_drop_user_token = false;
};

struct FileFailure {
    std::string file;
    eval::LineFailure failure;
};

template <class Item>
std::vector<Item> keep_rows(eval::Rows<Item> rows, const std::string& file, std::vector<FileFailure>& failures) {
    for (auto& f : rows.failures) failures.push_back({file, std::move(f)});
    return std::move(rows.items);
}

eval::ScoreReport score(const ScoreArgs& a, eval::Bench bench, const eval::FieldMap& fields,
                        std::vector<FileFailure>& failures) {
    eval::ScoreOptions options;
    options.length_buckets = a.length_buckets;
    options.mrcr_drop_user_token = a.mrcr_drop_user_token;
    options.jieba_dir = a.jieba_dir;
    auto preds = keep_rows(eval::read_predictions(a.pred, fields, eval::id_column(bench)), a.pred, failures);
    // Without a single usable item there is nothing to score: the reasons
    // are the line failures, so they are shown before the error.
    auto require_items = [&](size_t count) {
        if (count > 0) return;
        for (const auto& f : failures)
            std::fprintf(stderr, "glyph: warning: %s:%zu: %s\n", f.file.c_str(), f.failure.line, f.failure.message.c_str());
        throw CommandError(kExitUsage, "--data " + a.data + " holds no usable items");
    };
    switch (bench) {
        case eval::Bench::kLongBench: {
            std::string fallback = a.dataset.empty() ? eval::longbench_dataset_from_path(a.data) : a.dataset;
            auto items = keep_rows(eval::read_longbench(a.data, fields, fallback), a.data, failures);
            require_items(items.size());
            return eval::score_longbench(items, preds, options);
        }
        case eval::Bench::kMrcr: {
            auto items = keep_rows(eval::read_mrcr(a.data, fields), a.data, failures);
            require_items(items.size());
            return eval::score_mrcr(items, preds, options);
        }
        case eval::Bench::kRuler: {
            std::string fallback = a.task.empty() ? eval::ruler_task_from_path(a.data) : a.task;
            auto items = keep_rows(eval::read_ruler(a.data, fields, fallback), a.data, failures);
            require_items(items.size());
            return eval::score_ruler(items, preds, options);
        }
    }
    throw CommandError(kExitUsage, "unknown benchmark");
}

nlohmann::ordered_json to_json(const eval::ScoreReport& r, const std::vector<FileFailure>& failures, bool buckets) {
    nlohmann::ordered_json scores = nlohmann::ordered_json::object(), items = nlohmann::ordered_json::object(),
                   by_bucket = nlohmann::ordered_json::object();
    for (const auto& g : r.groups) {
        scores[g.name] = g.scored ? nlohmann::ordered_json(g.score) : nlohmann::ordered_json(nullptr);
        items[g.name] = {{"scored", g.scored}, {"missing", g.missing}};
        if (buckets) by_bucket[g.name] = g.buckets;
    }
    scores["average"] = r.average;
    nlohmann::ordered_json out{{"bench", eval::bench_name(r.bench)}, {"scores", scores}, {"items", items},
                       {"missing", r.missing_ids.size()}, {"missing_ids", r.missing_ids}};
    if (buckets) out["buckets"] = by_bucket;
    nlohmann::ordered_json lines = nlohmann::ordered_json::array();
    for (const auto& f : failures) lines.push_back({{"file", f.file}, {"line", f.failure.line}, {"error", f.failure.message}});
    for (const auto& f : r.unmatched_predictions) lines.push_back({{"row", f.line}, {"error", f.message}});
    out["failures"] = lines;
    return out;
}

void print_table(const eval::ScoreReport& r, bool buckets) {
    const char* label = r.bench == eval::Bench::kRuler ? "task" : "dataset";
    std::printf("%-22s %8s %7s %8s", label, "score", "scored", "missing");
    if (buckets) std::printf(" %8s %8s %8s", "0-4k", "4-8k", "8k+");
    std::printf("\n");
    for (const auto& g : r.groups) {
        if (g.scored) std::printf("%-22s %8.2f %7zu %8zu", g.name.c_str(), g.score, g.scored, g.missing);
        else std::printf("%-22s %8s %7zu %8zu", g.name.c_str(), "-", g.scored, g.missing);
        if (buckets)
            for (const char* b : {"0-4k", "4-8k", "8k+"}) {
                auto it = g.buckets.find(b);
                if (it == g.buckets.end()) std::printf(" %8s", "-");
                else std::printf(" %8.2f", it->second);
            }
        std::printf("\n");
    }
    std::printf("%-22s %8.2f\n", "average", r.average);
}

void run_score(const ScoreArgs& a) {
    auto bench = eval::parse_bench(a.bench);
    if (!bench) throw CommandError(kExitUsage, "--bench \"" + a.bench + "\" is not a benchmark (allowed: longbench, mrcr, ruler)");
    if (a.length_buckets && *bench != eval::Bench::kLongBench)
        throw CommandError(kExitUsage, "--length-buckets is LongBench-E's (use it with --bench longbench)");
    if (a.mrcr_drop_user_token && *bench != eval::Bench::kMrcr)
        throw CommandError(kExitUsage, "--drop-user-token applies to MRCR replies (use it with --bench mrcr)");
    eval::FieldMap fields = parse_field_flags(a.fields);
    std::vector<FileFailure> failures;
    eval::ScoreReport report;
    try {
        report = score(a, *bench, fields, failures);
    } catch (const eval::EvalError& e) {
        throw CommandError(kExitUsage, e.what());
    }
    for (const auto& f : failures)
        std::fprintf(stderr, "glyph: warning: %s:%zu: %s (line not scored)\n", f.file.c_str(), f.failure.line,
                     f.failure.message.c_str());
    for (const auto& f : report.unmatched_predictions)
        std::fprintf(stderr, "glyph: warning: %s: %s (not scored)\n", a.pred.c_str(), f.message.c_str());
    if (!report.missing_ids.empty()) {
        std::string shown;
        for (size_t i = 0; i < report.missing_ids.size() && i < 5; ++i) shown += (i ? ", " : "") + report.missing_ids[i];
        std::fprintf(stderr, "glyph: warning: %zu items have no prediction and are not scored (%s%s)\n",
                     report.missing_ids.size(), shown.c_str(), report.missing_ids.size() > 5 ? ", ..." : "");
    }
    if (a.json) std::printf("%s\n", to_json(report, failures, a.length_buckets).dump(2).c_str());
    else print_table(report, a.length_buckets);
    std::fflush(stdout);
    if (!failures.empty() || !report.missing_ids.empty() || !report.unmatched_predictions.empty())
        throw CommandError(kExitPartial, "some items were not scored (see the warnings above); the scores cover the others");
}

void add_score_command(CLI::App& eval_cmd) {
    auto args = std::make_shared<ScoreArgs>();
    CLI::App* cmd = eval_cmd.add_subcommand(
        "score", "Score predictions with the benchmark's official metrics (equal to its own scripts)");
    cmd->add_option("--bench", args->bench, "longbench | mrcr | ruler")->required();
    cmd->add_option("--data", args->data, "The benchmark's data file (JSONL, its published format)")->required();
    cmd->add_option("--pred", args->pred,
                    "Predictions (JSONL): rows with \"pred\" and the item id (_id | id | index), or without ids "
                    "in the data's order")
        ->required();
    cmd->add_flag("--json", args->json, "Print {bench, scores: {NAME: score, ..., average}, items, missing, ...} as JSON");
    cmd->add_option("--field", args->fields,
                    "NAME=COLUMN: read our column NAME from the files' COLUMN (e.g. answers=golds, pred=response); "
                    "repeatable");
    cmd->add_option("--dataset", args->dataset,
                    "LongBench dataset of rows without a \"dataset\" field (default: the data file's name)");
    cmd->add_option("--task", args->task,
                    "RULER task of rows without a \"task\" field (default: the data file's name, or its folder's "
                    "for validation.jsonl)");
    cmd->add_flag("--length-buckets", args->length_buckets,
                  "LongBench-E: also score each dataset by length (0-4k, 4-8k, 8k+)");
    cmd->add_flag("--drop-user-token", args->mrcr_drop_user_token,
                  "MRCR: delete \"<|user|>\" from replies before grading, as Glyph's MRCR script does (off: openai's "
                  "grader as published)");
    cmd->add_option("--jieba-dir", args->jieba_dir,
                    "python3-jieba's data folder for the Chinese metrics (default: $GLYPH_JIEBA_DIR, else "
                    "/usr/lib/python3/dist-packages/jieba)");
    cmd->callback([args] { run_score(*args); });
}

}  // namespace

// The columns --field can rename, per file kind.
namespace {

const std::set<std::string>& canonical_columns() {
    static const std::set<std::string> names = {
        "_id", "input", "context", "answers", "length", "dataset", "language", "all_classes",             // LongBench
        "id", "prompt", "answer", "random_string_to_prepend", "n_needles", "n_chars",                    // MRCR
        "index", "outputs", "task",                                                                        // RULER
        "pred"};                                                                                           // predictions
    return names;
}

}  // namespace

eval::FieldMap parse_field_flags(const std::vector<std::string>& specs) {
    eval::FieldMap map;
    for (const auto& spec : specs) {
        size_t eq = spec.find('=');
        std::string from = spec.substr(0, eq);
        if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
            throw CommandError(kExitUsage, "--field \"" + spec + "\" is not NAME=COLUMN (e.g. --field answers=golds)");
        if (!canonical_columns().count(from)) {
            std::string allowed;
            for (const auto& n : canonical_columns()) allowed += (allowed.empty() ? "" : ", ") + n;
            throw CommandError(kExitUsage, "--field names unknown column \"" + from + "\" (allowed: " + allowed + ")");
        }
        map.renamed[from] = spec.substr(eq + 1);
    }
    return map;
}

void add_eval_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("eval", "Benchmarks (LongBench, MRCR, RULER) scored as their authors score them");
    cmd->require_subcommand(1);
    add_score_command(*cmd);
    add_eval_run_command(*cmd);
    add_eval_report_command(*cmd);
    add_eval_generate_command(*cmd);
}

}  // namespace glyph::cli
