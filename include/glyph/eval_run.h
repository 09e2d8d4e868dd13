// Running a benchmark against an OpenAI-compatible endpoint the way Glyph's
// evaluation scripts do, and reporting it. Each item becomes one request:
// its context rendered into pages with the evaluation renderer and the
// question as text (or, with SendMode::kText, the benchmark's own text
// prompt for a text model). Replies are appended to DIR/predictions.jsonl as
// they arrive, so a killed run resumes where it stopped; failures go to
// DIR/failures.jsonl, what makes the run reproducible to DIR/run.json.
// docs/eval.md ("eval run") states the protocol and each deviation.
//
//   auto items = glyph::eval::read_longbench("qasper.jsonl", {}, "");
//   glyph::eval::PromptOptions po;            // pages, Glyph's prompts...
//   po.templates = glyph::eval::load_prompt_templates("dataset2vlmprompt.json");
//   auto prompts = glyph::eval::longbench_prompts(items.items, "qasper.jsonl", po);
//   glyph::eval::RunSetup setup = ...;        // endpoint, configs, counters
//   glyph::eval::RunSummary s = glyph::eval::run_prompts(prompts, setup, "out/qasper");
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glyph/config.h"
#include "glyph/eval.h"
#include "glyph/tokenizer.h"
#include "glyph/vision_tokens.h"
#include "glyph/vlm.h"

namespace glyph::eval {

enum class SendMode { kPages, kText };
const char* send_mode_name(SendMode mode);

// LongBench's prompt files map a dataset to a template with {context} and
// {input} (dataset2prompt.json) or {input} alone (Glyph's
// dataset2vlmprompt.json). Throws EvalError when unreadable or malformed.
std::map<std::string, std::string> load_prompt_templates(const std::string& path);

// The 12 LongBench datasets Glyph's add_uid_jsonl.py --chose-newline renders
// with the inline newline marker, and that marker.
const std::set<std::string>& glyph_newline_datasets();
extern const char* const kGlyphNewlineMarker;

// One benchmark item reduced to what is sent.
struct Prompt {
    std::string data;     // the data file's name: predictions are keyed by (data, id)
    std::string id;       // the item's id as its benchmark names it
    size_t row = 0;       // its position among the data file's items, from 0
    std::string group;    // LongBench dataset, RULER task, or "mrcr"
    int64_t length = 0;   // the data's `length` (LongBench-E buckets, RULER), MRCR's n_chars
    // Pages mode: `context` is rendered, `question` goes as text after the
    // images. Empty context: nothing to render, the question alone is sent.
    std::string context;
    std::string question;
    bool newline_marker = false;  // render the context with kGlyphNewlineMarker
    // Text mode: the whole conversation, as the benchmark's own scripts send it.
    std::vector<vlm::Message> text_messages;
};

struct PromptOptions {
    SendMode send = SendMode::kPages;
    // LongBench: the templates for `send` (vlm prompts for pages, LongBench's
    // own for text). A dataset without a template is an EvalError.
    std::map<std::string, std::string> templates;
    std::set<std::string> newline_datasets = glyph_newline_datasets();
    // Text mode, LongBench: a prompt longer than this many tokens of
    // `tokenizer` is cut in the middle as LongBench's pred.py cuts it
    // (0: never; see truncate_middle).
    int64_t max_prompt_tokens = 0;
    const Tokenizer* tokenizer = nullptr;
};

// LongBench's middle truncation: when `prompt` has more than `max_tokens`
// tokens, decode(ids[:half]) + decode(ids[-half:]) with half = max_tokens / 2
// (special tokens skipped); else the prompt as it is.
std::string truncate_middle(const std::string& prompt, const Tokenizer& tokenizer, int64_t max_tokens);

// Throws EvalError for a LongBench dataset without a template.
std::vector<Prompt> longbench_prompts(const std::vector<LongBenchItem>& items, const std::string& data,
                                      const PromptOptions& options);
// MRCR: every message before the last user message is history, rendered as
// "User: ..." / "Assistant: ..." turns; the last user message is the question.
std::vector<Prompt> mrcr_prompts(const std::vector<MrcrItem>& items, const std::string& data,
                                 const PromptOptions& options);
// RULER: the item's `context` field is rendered and the rest of `input`
// (instructions and question) is the text; without one, `input` is split
// at its first and last line breaks (RULER's templates put the context
// between an instruction line and a question line).
std::vector<Prompt> ruler_prompts(const std::vector<RulerItem>& items, const std::string& data,
                                  const PromptOptions& options);

// Glyph's sampling for a benchmark (its post_api_*.py): max_tokens 8192,
// repetition_penalty 1.1 and LongBench temperature 1e-4 / top_p 1 / top_k 1,
// MRCR top_k 50, RULER temperature 0 / top_k 50; with `glm_stops` also its
// GLM stop token ids, skip_special_tokens false and
// include_stop_str_in_output true.
vlm::SamplingParams glyph_sampling(Bench bench, bool glm_stops);
// Whether a model name is a GLM / Glyph model (the stop ids are GLM-4's).
bool is_glm_model(const std::string& model);

// How a reply becomes a prediction.
enum class ReplyCleanup {
    kThink,  // the text after the last </think>, trailing stop strings (<|user|>,
             // <|endoftext|>, <|observation|>) removed, outer whitespace
             // stripped; newlines kept for LongBench's first-line rule
    kGlyph,  // Glyph's clear_pred.py: <think>...</think> blocks and every <|...|>
             // tag removed, all whitespace runs collapsed to one space
};
std::string clean_reply(const std::string& reply, ReplyCleanup cleanup);

// What the runner needs besides the prompts.
struct RunSetup {
    Bench bench = Bench::kLongBench;
    SendMode send = SendMode::kPages;
    vlm::ClientOptions client;  // endpoint, key, timeouts, retries, concurrency
    std::string model;
    vlm::SamplingParams sampling;
    nlohmann::json extra = nlohmann::json::object();
    // The render config for a context (language per item, the newline marker).
    std::function<RenderConfig(const std::string& context, bool newline_marker)> config_for;
    const Tokenizer* tokenizer = nullptr;      // text tokens (required)
    const VisionProfile* profile = nullptr;    // vision tokens (required in pages mode)
    int64_t max_context = 0;                   // 0: no check
    ReplyCleanup cleanup = ReplyCleanup::kThink;
    int concurrency = 4;
    size_t limit = 0;                          // 0: every item; else the first N not yet done
    const std::atomic<bool>* stop = nullptr;   // set: finish the requests in flight, then stop
    nlohmann::json run_record;                 // written as DIR/run.json (checked against an earlier one)
    // Called once before the first request (items to do, items done
    // earlier), then after each item this run attempts.
    std::function<void(size_t todo, size_t done_before)> on_start;
    std::function<void(bool ok)> on_item;
    std::function<void(const vlm::RetryEvent&)> on_retry;
};

struct RunFailure {
    std::string data, id;
    size_t line = 0;       // the item's 1-based position in its data file
    std::string stage;     // "render", "context" (would not fit --max-context) or "request"
    std::string error;
};

struct RunSummary {
    size_t total = 0, done_before = 0, done = 0;
    std::vector<RunFailure> failures;
    bool stopped = false;
    // Set when the run gave up early: the endpoint was unreachable before
    // any item was answered.
    std::optional<vlm::ErrorKind> fatal;
    std::string fatal_message;
    std::string predictions_path, failures_path;
};

// The fields of run.json that decide the predictions; a rerun into a
// folder whose run.json differs in one of them is refused, naming it.
const std::vector<std::string>& reproducibility_fields();

// Runs every prompt not already in DIR/predictions.jsonl. Throws EvalError
// when DIR cannot be used (another run holds it, its run.json differs) and
// vlm::VlmError(InvalidRequest) for a bad endpoint; per-item failures are in
// the summary and DIR/failures.jsonl.
RunSummary run_prompts(const std::vector<Prompt>& prompts, const RunSetup& setup, const std::string& dir);

// The compression a pages-mode run of `prompts` reports when every item is
// answered (score_run's: context tokens over vision tokens, summed over the
// items), from renders and counts alone: nothing is sent. Throws EvalError
// without a tokenizer, profile or config_for.
double priced_compression(const std::vector<Prompt>& prompts, const RunSetup& setup);

// ---- reports ---------------------------------------------------------------

// One run folder scored: per group, overall, tokens and compression, by length.
struct RunScores {
    std::string dir, label;      // label: run.json's "label", else the folder name
    Bench bench = Bench::kLongBench;
    std::string send;            // "pages" | "text"
    ScoreReport scores;          // over the items with a prediction
    size_t predictions = 0, failures = 0, too_long = 0;
    double mean_text_tokens = 0, mean_vision_tokens = 0, mean_pages = 0;
    double compression = 0;      // sum text tokens / sum vision tokens (pages mode)
    double mean_latency_ms = 0;
    // Score by length bin: LongBench-E's 0-4k/4-8k/8k+, MRCR's 4-8K ... 512K-1M
    // (by n_chars... see docs), RULER's by item length; name -> (score, items).
    std::vector<std::pair<std::string, std::pair<double, size_t>>> by_length;
};

// Reads DIR/run.json, DIR/predictions.jsonl (and failures.jsonl) and scores
// them against the data files run.json names. Throws EvalError.
RunScores score_run(const std::string& dir, const ScoreOptions& options);

std::string report_markdown(const std::vector<RunScores>& runs);
nlohmann::json report_json(const std::vector<RunScores>& runs);
// Score against context length, one line per run (image mode next to text mode).
std::string report_svg(const std::vector<RunScores>& runs);

}  // namespace glyph::eval
