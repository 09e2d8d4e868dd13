// Synthetic RULER tasks at any length (`glyph eval generate`): the 13 tasks
// of RULER's synthetic.yaml (needles in a haystack, variable tracking,
// common and frequent words extraction, QA over a SQuAD or HotpotQA file)
// with RULER's templates, needle formats, depths and answer prefixes, each
// item fitted to a token budget with the tokenizer given, and the same bytes
// for a seed on every machine. docs/eval.md, "glyph eval generate".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "glyph/eval.h"
#include "glyph/tokenizer.h"

namespace glyph::eval {

// RULER's 13 task names, in synthetic.yaml's order.
const std::vector<std::string>& ruler_task_names();
bool is_ruler_task(std::string_view name);
// qa_1 and qa_2 read their questions and documents from a file the user gives.
bool ruler_task_needs_qa_file(std::string_view name);

// The question sets RULER's QA tasks draw from: SQuAD v2 JSON (dev-v2.0.json)
// for qa_1, HotpotQA JSON (hotpot_dev_distractor_v1.json) for qa_2.
enum class QaFormat { kSquad, kHotpotQa };
struct QaQuestion {
    std::string query;
    std::vector<std::string> outputs;
    std::vector<size_t> docs;       // the documents that answer it
    std::vector<size_t> more_docs;  // SQuAD: the other paragraphs of its article
};
struct QaSet {
    QaFormat format = QaFormat::kSquad;
    std::vector<std::string> docs;  // distinct, sorted as Python sorts str
    std::vector<QaQuestion> questions;
};
// Reads either format (told apart by their shape: an object with "data", or
// an array); throws EvalError with one line naming the file, the place and
// what was expected. Unanswerable SQuAD questions are left out, as RULER does.
QaSet read_qa_file(const std::string& path);
const char* qa_format_name(QaFormat format);  // "SQuAD v2" | "HotpotQA"

struct GenerateOptions {
    std::string task;           // one of ruler_task_names()
    int64_t length = 4096;      // RULER's max_seq_length: input + answer prefix + tokens to generate
    size_t samples = 1;
    uint64_t seed = 42;
    std::string haystack;       // the essay filler (words are reused in order, repeated as needed)
    const QaSet* qa = nullptr;  // qa_1: a SQuAD set, qa_2: a HotpotQA set
    std::vector<double> depths; // needle depths in percent for the niah tasks; empty: RULER's random depths
    size_t first_index = 0;     // `index` of the first item
};

struct GeneratedItem {
    size_t index = 0;
    std::string task, input, answer_prefix;
    std::string context;         // the haystack part of `input` (eval run renders it; the rest is sent as text)
    std::vector<std::string> outputs;
    int64_t length = 0;          // tokens of input + answer prefix, plus the task's tokens to generate
    std::vector<double> depth;   // niah: each needle's depth in percent, in text order
};

// Throws EvalError when the options cannot make an item (unknown task, a
// length too short for the template, a missing or wrong QA set, no haystack).
std::vector<GeneratedItem> generate_ruler_items(const GenerateOptions& options, const Tokenizer& tokenizer);

// One JSONL line (no newline): index, input, outputs, length, answer_prefix, task, context[, depth].
std::string ruler_item_json(const GeneratedItem& item);

// The bundled essay filler: samples/novel_excerpt.txt, found with
// find_data_file (glyph/data_path.h); throws EvalError when no data folder has it.
std::string default_haystack_path();

}  // namespace glyph::eval
