// Benchmark evaluation: readers for LongBench (v1 and -E), MRCR and RULER in
// their published JSONL formats, and their official scores computed exactly
// as the benchmarks' own scripts do (Python string semantics, jieba words,
// difflib ratios and Python rounding included). docs/eval.md has the details.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "glyph/error.h"

namespace glyph::eval {

// A data or prediction file that cannot be used as a whole (missing,
// unreadable, no usable rows), or a dictionary jieba cannot load.
struct EvalError : Error {
    explicit EvalError(const std::string& message) : Error(ErrorKind::Eval, message) {}
};

enum class Bench { kLongBench, kMrcr, kRuler };
std::optional<Bench> parse_bench(std::string_view name);  // "longbench" | "mrcr" | "ruler"
const char* bench_name(Bench bench);
// The column naming an item in the benchmark's data and prediction files:
// "_id" (LongBench), "id" (MRCR), "index" (RULER).
const char* id_column(Bench bench);

// --- Chinese word segmentation -------------------------------------------

// jieba's precise mode (`jieba.cut(s)`, HMM on), over the dictionary and HMM
// tables python3-jieba ships: dict.txt and finalseg/prob_{start,trans,emit}.py.
class Jieba {
public:
    // Where python3-jieba's data is: $GLYPH_JIEBA_DIR, else Debian's path.
    static std::string default_dir();
    // Throws EvalError naming the file and line when a table is missing or malformed.
    static std::unique_ptr<Jieba> load(const std::string& dir);
    ~Jieba();
    std::vector<std::string> cut(std::string_view text) const;
    std::vector<std::u32string> cut(std::u32string_view text) const;

private:
    struct Tables;
    explicit Jieba(std::unique_ptr<Tables> tables);
    std::unique_ptr<Tables> tables_;
};

// --- Metrics (each returns what the Python original returns) --------------

double qa_f1_score(std::string_view pred, std::string_view gold);
double qa_f1_zh_score(std::string_view pred, std::string_view gold, const Jieba& jieba);
double rouge_score(std::string_view pred, std::string_view gold);
double rouge_zh_score(std::string_view pred, std::string_view gold, const Jieba& jieba);
double classification_score(std::string_view pred, std::string_view gold, const std::vector<std::string>& all_classes);
double retrieval_score(std::string_view pred, std::string_view gold);     // throws EvalError: gold has no "Paragraph N"
double retrieval_zh_score(std::string_view pred, std::string_view gold);  // throws EvalError: gold has no "段落N"
double count_score(std::string_view pred, std::string_view gold);
double code_sim_score(std::string_view pred, std::string_view gold);
// fuzzywuzzy's fuzz.ratio without python-Levenshtein: 0..100.
int fuzz_ratio(std::string_view a, std::string_view b);
// difflib.SequenceMatcher(None, a, b).ratio() on code points (autojunk on).
double difflib_ratio(std::string_view a, std::string_view b);

// The LongBench datasets and the metric each is scored with.
bool is_longbench_dataset(std::string_view dataset);
std::vector<std::string> longbench_datasets();
bool longbench_needs_jieba(std::string_view dataset);
// One item: the first-line rule for trec/triviaqa/samsum/lsht, then the max over answers.
double longbench_item_score(std::string_view dataset, std::string_view pred, const std::vector<std::string>& answers,
                            const std::vector<std::string>& all_classes, const Jieba* jieba);
// LongBench-E's length bucket of an item: "0-4k", "4-8k" or "8k+".
const char* longbench_length_bucket(int64_t length);

// openai/mrcr's grader: the reply after the last </think>, stripped; 0 unless
// it starts with the random prefix; else the difflib ratio without the prefix.
double mrcr_grade(std::string_view reply, std::string_view answer, std::string_view random_prefix);

// RULER: control characters to newlines, stripped, lowercased; qa* tasks use
// string_match_part (any output found), the others string_match_all (share found).
double ruler_item_score(std::string_view task, std::string_view pred, const std::vector<std::string>& outputs);

// round(100 * sum(scores) / len(scores), 2) with Python's left-to-right sum and round.
double mean_percent(const std::vector<double>& scores);

// --- Readers ---------------------------------------------------------------

// Column names the files use for our canonical ones (`--field answers=golds`).
struct FieldMap {
    std::map<std::string, std::string> renamed;
    const std::string& column(const std::string& canonical) const;
};

// Each JSONL line is bounded: over max_line_bytes or nested deeper than
// max_depth, it is a failure of that line, never of the process.
struct ReadLimits {
    size_t max_line_bytes = 64u << 20;
    int max_depth = 64;
};

// A line that could not be used, numbered from 1 as editors do.
struct LineFailure {
    size_t line = 0;
    std::string message;
};

struct LongBenchItem {
    std::string id;  // `_id`, or the row number when the file has none
    std::string input, context, dataset, language;
    std::vector<std::string> answers, all_classes;
    int64_t length = 0;
};

struct MrcrMessage {
    std::string role, content;
};

struct MrcrItem {
    std::string id;  // `id`, or the row number
    std::vector<MrcrMessage> messages;  // `prompt`: a JSON string holding the chat
    std::string answer, random_prefix;  // `answer`, `random_string_to_prepend`
    int64_t n_needles = 0, n_chars = 0;
};

struct RulerItem {
    std::string id;  // `index`, or the row number
    std::string input, task;  // task: the `task` field, else the file's task name
    std::string context;      // optional: the part of `input` that is the haystack (glyph eval generate writes it)
    std::vector<std::string> outputs;
    int64_t length = 0;
};

template <class Item>
struct Rows {
    std::vector<Item> items;
    std::vector<LineFailure> failures;
};

// `dataset_fallback` names the LongBench dataset for rows without a `dataset`
// field; `task_fallback` the RULER task for rows without `task` (see
// ruler_task_from_path). Throws EvalError when the file cannot be read.
Rows<LongBenchItem> read_longbench(const std::string& path, const FieldMap& fields, const std::string& dataset_fallback,
                                   const ReadLimits& limits = {});
Rows<MrcrItem> read_mrcr(const std::string& path, const FieldMap& fields, const ReadLimits& limits = {});
Rows<RulerItem> read_ruler(const std::string& path, const FieldMap& fields, const std::string& task_fallback,
                           const ReadLimits& limits = {});
// RULER writes one folder per task (niah_single_1/validation.jsonl): the
// file's stem, or its folder's name when the stem is validation/test/data.
std::string ruler_task_from_path(const std::string& path);
// LongBench's files are named after their dataset (qasper.jsonl, qasper_e.jsonl).
std::string longbench_dataset_from_path(const std::string& path);

struct Prediction {
    std::optional<std::string> id;  // absent: the row stands for the data item at its position
    std::string pred;
    size_t row = 0;  // its position among the file's non-blank lines, from 0
};
// `id_column` is the benchmark's canonical id column (`_id`, `id`, `index`).
Rows<Prediction> read_predictions(const std::string& path, const FieldMap& fields, const std::string& id_column,
                                  const ReadLimits& limits = {});

// --- Scoring ---------------------------------------------------------------

struct ScoreOptions {
    bool length_buckets = false;       // LongBench-E: also score each dataset by 0-4k / 4-8k / 8k+
    bool mrcr_drop_user_token = false; // delete "<|user|>" from replies first (Glyph's MRCR script)
    std::string jieba_dir;             // empty: Jieba::default_dir()
};

struct GroupScore {
    std::string name;     // dataset / task / "mrcr"
    double score = 0;     // round(100 * mean, 2)
    size_t scored = 0;    // items with a prediction
    size_t missing = 0;   // items without one (not scored)
    std::map<std::string, double> buckets;  // LongBench-E buckets that hold items
};

struct ScoreReport {
    Bench bench = Bench::kLongBench;
    std::vector<GroupScore> groups;  // in the order the data first names them
    double average = 0;              // round(mean of the group scores, 2)
    std::vector<std::string> missing_ids;
    std::vector<LineFailure> unmatched_predictions;  // id-less rows past the data's end
};

// Pairs predictions with items (by id, or by row order for rows without one;
// a later row for the same id wins, as a Python dict does) and scores them.
ScoreReport score_longbench(const std::vector<LongBenchItem>& items, const std::vector<Prediction>& preds,
                            const ScoreOptions& options);
ScoreReport score_mrcr(const std::vector<MrcrItem>& items, const std::vector<Prediction>& preds,
                       const ScoreOptions& options);
ScoreReport score_ruler(const std::vector<RulerItem>& items, const std::vector<Prediction>& preds,
                        const ScoreOptions& options);

}  // namespace glyph::eval
