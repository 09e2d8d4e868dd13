// glyph eval generate: RULER's synthetic tasks at any length, written as
// RULER-format JSONL (docs/eval.md, "glyph eval generate").
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>

#include "commands.h"
#include "glyph/eval_generate.h"
#include "glyph/tokenizer.h"

namespace glyph::cli {
namespace {

constexpr int64_t kMaxLength = int64_t(1) << 23;  // 8M tokens
constexpr size_t kMaxSamples = 100000;

struct GenerateArgs {
    std::string task, haystack, tokenizer, out, depths;
    std::vector<std::string> qa_files;
    int64_t length = 0;
    size_t samples = 0;
    uint64_t seed = 42;
};

std::string task_list() {
    std::string names;
    for (const auto& n : eval::ruler_task_names()) names += (names.empty() ? "" : ", ") + n;
    return names;
}

std::vector<std::string> chosen_tasks(const std::string& spec) {
    if (spec == "all") return eval::ruler_task_names();
    std::vector<std::string> tasks;
    std::stringstream in(spec);
    for (std::string name; std::getline(in, name, ',');) {
        if (!eval::is_ruler_task(name))
            throw CommandError(kExitUsage, "--task \"" + name + "\" is not a RULER task (allowed: all, " + task_list() + ")");
        tasks.push_back(name);
    }
    if (tasks.empty()) throw CommandError(kExitUsage, "--task is empty (allowed: all, " + task_list() + ")");
    return tasks;
}

std::vector<double> parse_depths(const std::string& spec) {
    std::vector<double> depths;
    if (spec.empty()) return depths;
    std::stringstream in(spec);
    for (std::string part; std::getline(in, part, ',');) {
        char* end = nullptr;
        const double d = std::strtod(part.c_str(), &end);
        if (part.empty() || *end != '\0' || !(d >= 0 && d <= 100))
            throw CommandError(kExitUsage, "--depths \"" + spec + "\": \"" + part +
                                               "\" is not a percentage in 0..100 (e.g. --depths 0,25,50,75,100)");
        depths.push_back(d);
    }
    return depths;
}

std::string read_haystack(const std::string& path) {
    std::string text = read_text_input(path, "--haystack");
    if (repair_utf8(text) != text || text.find('\0') != std::string::npos)
        throw CommandError(kExitUsage, "--haystack " + path + " is not UTF-8 text");
    return text;
}

void run_generate(const GenerateArgs& a) {
    const std::vector<std::string> tasks = chosen_tasks(a.task);
    const std::vector<double> depths = parse_depths(a.depths);
    // The whole file is built in memory: the bounds keep a typo from asking for terabytes.
    if (a.length <= 0 || a.length > kMaxLength)
        throw CommandError(kExitUsage, "--length must be 1.." + std::to_string(kMaxLength) + " tokens");
    if (a.samples == 0 || a.samples > kMaxSamples)
        throw CommandError(kExitUsage, "--samples must be 1.." + std::to_string(kMaxSamples));

    std::optional<eval::QaSet> squad, hotpot;
    for (const auto& path : a.qa_files) {
        eval::QaSet set;
        try {
            set = eval::read_qa_file(path);
        } catch (const eval::EvalError& e) {
            throw CommandError(kExitUsage, e.what());
        }
        auto& slot = set.format == eval::QaFormat::kSquad ? squad : hotpot;
        if (slot) throw CommandError(kExitUsage, std::string("two --qa-file files are ") + eval::qa_format_name(set.format) +
                                                     " (give one SQuAD v2 file for qa_1, one HotpotQA file for qa_2)");
        slot = std::move(set);
    }
    // "all" means the tasks the inputs given allow; a task named on its own
    // without its file is an error.
    std::vector<std::string> runnable, skipped;
    for (const auto& t : tasks) {
        const bool missing = (t == "qa_1" && !squad) || (t == "qa_2" && !hotpot);
        if (!missing) runnable.push_back(t);
        else if (a.task == "all") skipped.push_back(t);
        else
            throw CommandError(kExitUsage, "--task " + t + " needs --qa-file with " +
                                               (t == "qa_1" ? "SQuAD v2 JSON (dev-v2.0.json)"
                                                            : "HotpotQA JSON (hotpot_dev_distractor_v1.json)"));
    }
    for (const auto* set : {squad ? &*squad : nullptr, hotpot ? &*hotpot : nullptr})
        if (set && a.samples > set->questions.size())
            throw CommandError(kExitUsage, "--samples " + std::to_string(a.samples) + " is more than the " +
                                               std::to_string(set->questions.size()) + " answerable questions of the " +
                                               eval::qa_format_name(set->format) + " --qa-file");
    if (!skipped.empty()) {
        std::string names;
        for (const auto& t : skipped) names += (names.empty() ? "" : ", ") + t;
        std::fprintf(stderr,
                     "glyph: warning: skipping %s: they need --qa-file (SQuAD v2 JSON for qa_1, HotpotQA JSON for qa_2)\n",
                     names.c_str());
    }

    const Tokenizer tokenizer = Tokenizer::load(a.tokenizer.empty() ? default_tokenizer_path() : a.tokenizer);
    const std::string haystack = read_haystack(a.haystack.empty() ? eval::default_haystack_path() : a.haystack);
    std::string jsonl;
    size_t next_index = 0;
    for (const auto& task : runnable) {
        const auto start = std::chrono::steady_clock::now();
        eval::GenerateOptions o;
        o.task = task;
        o.length = a.length;
        o.samples = a.samples;
        o.seed = a.seed;
        o.haystack = haystack;
        o.depths = depths;
        o.first_index = next_index;
        o.qa = task == "qa_1" ? (squad ? &*squad : nullptr) : task == "qa_2" ? (hotpot ? &*hotpot : nullptr) : nullptr;
        std::vector<eval::GeneratedItem> items;
        try {
            items = eval::generate_ruler_items(o, tokenizer);
        } catch (const eval::EvalError& e) {
            throw CommandError(kExitUsage, e.what());
        }
        int64_t shortest = INT64_MAX, longest = 0;
        for (const auto& item : items) {
            jsonl += eval::ruler_item_json(item) + "\n";
            shortest = std::min(shortest, item.length);
            longest = std::max(longest, item.length);
        }
        next_index += items.size();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::fprintf(stderr, "glyph: %-16s %zu items, %lld..%lld tokens of %lld, %.2f s\n", task.c_str(), items.size(),
                     (long long)shortest, (long long)longest, (long long)a.length, seconds);
    }
    write_text_output(a.out, jsonl, "--out");
}

}  // namespace

void add_eval_generate_command(CLI::App& eval_cmd) {
    auto args = std::make_shared<GenerateArgs>();
    CLI::App* cmd = eval_cmd.add_subcommand(
        "generate", "Write RULER's synthetic tasks (niah, vt, cwe, fwe, qa) at any length as RULER-format JSONL");
    cmd->add_option("--task", args->task, "all, or RULER task names separated by commas: " + task_list())->required();
    cmd->add_option("--length", args->length,
                    "Tokens per item, as RULER's max_seq_length: input + answer prefix + the task's tokens to generate")
        ->required();
    cmd->add_option("--samples", args->samples, "Items per task")->required();
    cmd->add_option("--seed", args->seed, "Same seed, same file")->capture_default_str();
    cmd->add_option("--haystack", args->haystack,
                    "UTF-8 text whose words fill the essay haystacks (default: samples/novel_excerpt.txt)");
    cmd->add_option("--qa-file", args->qa_files,
                    "qa_1: SQuAD v2 JSON (dev-v2.0.json); qa_2: HotpotQA JSON (hotpot_dev_distractor_v1.json); "
                    "the format is recognised; repeatable");
    cmd->add_option("--depths", args->depths,
                    "Needle depths in percent for the niah tasks, e.g. 0,50,100 (needle i at the i-th, cycling; "
                    "default: RULER's random depths)");
    cmd->add_option("--tokenizer", args->tokenizer, "tokenizer.json that counts the tokens (default: Qwen3's)");
    cmd->add_option("--out", args->out, "The JSONL file to write (- for standard output)")->required();
    cmd->callback([args] { run_generate(*args); });
}

}  // namespace glyph::cli
