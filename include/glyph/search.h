// The config search (`glyph search`): a genetic search over render configs, as
// Glyph describes it. A search space file says which config keys vary and how;
// every candidate is scored by a fitness (OCR legibility offline, or benchmark
// accuracy against an endpoint) together with its compression, the two
// combined by a declared rule; evaluations are cached across runs, every
// generation is checkpointed, and an optional advisor proposes candidates.
// docs/search.md states the schema, the rules and the defaults.
//
//   auto space = glyph::search::SearchSpace::load(glyph::search::default_space_path());
//   glyph::search::OcrFitness fitness(texts, tokenizer, profile, {});
//   glyph::search::SearchOptions options;     // seed, population, budget...
//   options.out_dir = "out/search";
//   glyph::search::SearchResult r = glyph::search::run_search(space, fitness, options);
//   // out/search/best.json is a config for `glyph render --config`
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glyph/config.h"
#include "glyph/eval_run.h"
#include "glyph/ocr.h"
#include "glyph/tokenizer.h"
#include "glyph/vision_tokens.h"

namespace glyph::search {

// A bad space file, bad options or an unusable output folder: one line.
struct SearchError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// ---- the search space -------------------------------------------------------

// A candidate: one value per varying key, by key name (ordered, so its JSON
// dump is canonical). Values are what the space file lists: for a key with
// "relative-to", the offset from that key.
using Genes = std::map<std::string, nlohmann::json>;

// One range of a number key's mixture distribution, or a list of common values.
struct NumberRange {
    double min = 0, max = 0;
    std::vector<double> values;  // non-empty: pick one of these instead of a range
    double weight = 1;
};

struct KeySpec {
    std::string key;            // a glyph config key
    bool is_number = false;     // number (ranges, step) or choice
    double min = 0, max = 0;    // numbers: the hull of the ranges; values are clamped into it
    double step = 0;            // numbers: values are multiples of step (0: continuous)
    std::vector<NumberRange> mixture;
    std::vector<nlohmann::json> choices;
    std::vector<double> weights;  // choices: sampling weights (all 1 when absent)
    std::string relative_to;      // the config value is that key's value plus this one
};

// Limits between keys that a candidate must meet (besides validate()).
struct SpaceConstraints {
    double min_text_width = 150;   // points of line width after margins and indents
    double min_text_height = 150;  // points of text height after the vertical margins
    double min_contrast = 0.5;     // |luminance(font) - luminance(page)|, 0..1
};

// The seeded generator the search draws from (xoshiro256**, see src/eval/prng.h):
// the same bytes for a seed on every machine.
class Rng {
public:
    explicit Rng(uint64_t seed);
    ~Rng();
    Rng(const Rng&) = delete;
    Rng& operator=(const Rng&) = delete;
    uint64_t below(uint64_t n);
    double unit();  // [0, 1)
private:
    struct State;
    std::unique_ptr<State> state_;
};

struct ProposalCheck;

class SearchSpace {
public:
    // Throws SearchError naming the key and what is allowed.
    static SearchSpace parse(const std::string& json_text, const std::string& origin);
    static SearchSpace load(const std::string& path);

    const std::string& text() const { return text_; }  // the file as read (for the advisor, the record)
    const std::string& base_preset() const { return base_; }
    const nlohmann::json& fixed() const { return fixed_; }
    const std::vector<KeySpec>& keys() const { return keys_; }
    const SpaceConstraints& constraints() const { return constraints_; }
    // The constraints in words, one per line.
    std::string constraint_lines() const;

    // A config JSON object (the keys of fixed + genes, relative keys resolved).
    nlohmann::json config_json(const Genes& genes) const;
    // The full config: base preset + config_json. Throws ConfigError.
    RenderConfig resolve(const Genes& genes) const;
    // Empty when `genes` meets the constraints and makes a valid config; else why not.
    std::string violation(const Genes& genes) const;

    // A random candidate drawn from each key's distribution.
    Genes sample(Rng& rng) const;
    // Each key mutated with probability `rate`: a nearby value or a fresh draw.
    Genes mutate(const Genes& genes, double rate, Rng& rng) const;
    // Uniform crossover: each key from either parent.
    Genes crossover(const Genes& a, const Genes& b, Rng& rng) const;

    // A config proposed from outside (the advisor, a person): keys of the
    // space are clamped/snapped into range, the rest must equal the fixed or
    // base values or the proposal is dropped; see ProposalCheck.
    ProposalCheck check_proposal(const nlohmann::json& config) const;

private:
    std::string text_, base_;
    nlohmann::json fixed_ = nlohmann::json::object();
    std::vector<KeySpec> keys_;
    SpaceConstraints constraints_;
    nlohmann::json snap(const KeySpec& spec, double value) const;
};

struct ProposalCheck {
    std::optional<Genes> genes;  // empty: dropped
    int clamped = 0;             // values moved into range or onto a choice
    std::string note;            // why dropped, or what was clamped
};

// share/search/space-default.json in the source tree: the paper's Table 8.
std::string default_space_path();

// ---- fitness ----------------------------------------------------------------

// What one candidate scored. `quality` is CER (ocr, lower is better) or
// accuracy 0..100 (task, higher is better).
struct Evaluation {
    std::string key;          // the cache key (hex)
    Genes genes;
    double quality = 0;
    double compression = 0;   // text tokens / vision tokens
    nlohmann::json detail = nlohmann::json::object();  // pages, tokens, edits...
    std::string error;        // the candidate could not be scored (it ranks last)
    bool cached = false;      // read from the cache file, not computed in this run
};

class Fitness {
public:
    virtual ~Fitness() = default;
    virtual std::string kind() const = 0;          // "ocr" | "task"
    virtual bool lower_is_better() const = 0;      // CER: true
    // Everything besides the config that decides a score (data hashes,
    // settings, profile, tokenizer, versions): part of the cache key.
    virtual nlohmann::json identity() const = 0;
    // Scores a valid config; runs on a pool thread, must be thread-safe.
    // Throws on failure (the candidate is then recorded with the error).
    virtual void evaluate(const RenderConfig& config, Evaluation& out) const = 0;
    // The compression `evaluate` would report, when it can be known without
    // scoring (a render and a count: milliseconds, where a score takes a
    // read-back or a benchmark run). nullopt: only `evaluate` knows it.
    // Thread-safe; the search uses it to screen children (SearchOptions::screen).
    virtual std::optional<double> compression(const RenderConfig&) const { return std::nullopt; }
};

// A validation text: its name (reported) and content.
struct NamedText {
    std::string name, text;
};

struct OcrFitnessOptions {
    std::string language = "eng";
    std::string tokenizer_name;  // recorded in the cache key and the output
    // > 0: stop reading a candidate once the edits already counted exceed
    // this share of all its pages' characters: its CER cannot come under
    // it, so it cannot meet a floor below it. Its quality is then the CER
    // of the pages read (detail "pages_read" < "pages"). 0: read every page.
    double give_up_cer = 0;
};

// The same texts laid out anew for a second reading (SearchOptions::
// second_reading): each line without its first word, so every paragraph
// breaks at other places and lands at other pixel phases; a line of one word
// is kept. Names get " (second layout)".
std::vector<NamedText> second_layout(const std::vector<NamedText>& texts);

// Offline fitness: render each text, read it back with Tesseract, CER against
// the text as the page shows it (shown_text), compression from the same render.
class OcrFitness : public Fitness {
public:
    OcrFitness(std::vector<NamedText> texts, const Tokenizer& tokenizer, const VisionProfile& profile,
               OcrFitnessOptions options);
    std::string kind() const override { return "ocr"; }
    bool lower_is_better() const override { return true; }
    nlohmann::json identity() const override;
    void evaluate(const RenderConfig& config, Evaluation& out) const override;
    std::optional<double> compression(const RenderConfig& config) const override;

private:
    struct Rendered;
    Rendered render(const RenderConfig& config) const;
    std::vector<NamedText> texts_;
    const Tokenizer& tokenizer_;
    const VisionProfile& profile_;
    OcrFitnessOptions options_;
};

// Task fitness: a benchmark run with `glyph eval run`'s runner (run_prompts)
// and scorer (score_run), the candidate's config as the render config (with
// Glyph's evaluation renderer keys: paragraph-lines 0, tab-spaces 4, and the
// inline marker where a prompt asks for it). Each candidate's run folder is
// work_dir/<key>/ (resumable like any eval run).
class TaskFitness : public Fitness {
public:
    TaskFitness(std::vector<eval::Prompt> prompts, eval::RunSetup setup, nlohmann::json identity,
                std::string work_dir);
    std::string kind() const override { return "task"; }
    bool lower_is_better() const override { return false; }
    nlohmann::json identity() const override { return identity_; }
    void evaluate(const RenderConfig& config, Evaluation& out) const override;
    // The run's compression from renders alone (eval::priced_compression).
    std::optional<double> compression(const RenderConfig& config) const override;

private:
    eval::RunSetup setup_for(const RenderConfig& config) const;
    std::vector<eval::Prompt> prompts_;
    eval::RunSetup setup_;
    nlohmann::json identity_;
    std::string work_dir_;
};

// How quality and compression combine into one ranking.
struct FitnessRule {
    enum Kind { kFloor, kWeighted } kind = kFloor;
    // kFloor: a candidate is feasible when its quality meets the floor (CER <=
    // floor, or accuracy >= floor); feasible ones rank by compression, the
    // others after them by quality. kWeighted: fitness = compression +
    // weight * quality_points, quality_points = -CER in % (ocr) or accuracy (task).
    double floor = 0.005;
    double weight = 1;
    bool lower_is_better = true;

    bool feasible(const Evaluation& e) const;
    double fitness(const Evaluation& e) const;
    // a ranks strictly before b (errors last; ties by key for determinism).
    bool better(const Evaluation& a, const Evaluation& b) const;
    std::string describe() const;  // e.g. "maximize compression subject to CER <= 0.50%"
    nlohmann::json to_json() const;
};

// ---- the cache --------------------------------------------------------------

// Every evaluation, keyed by a SHA-256 of everything that decides it, in one
// JSONL file (DIR/evaluations.jsonl under --cache-dir) shared by runs: rows
// are appended whole as evaluations finish; a torn last row is ignored.
class EvaluationCache {
public:
    explicit EvaluationCache(std::string dir);  // empty: no cache (memory only); throws SearchError
    std::optional<Evaluation> find(const std::string& key) const;
    void put(const Evaluation& e);  // thread-safe
    const std::string& path() const { return path_; }

private:
    std::string path_;
    mutable std::mutex mu_;
    std::map<std::string, Evaluation> rows_;
};

// The cache key of a candidate config under a fitness.
std::string evaluation_key(const nlohmann::json& canonical_config, const Fitness& fitness);

// ---- the genetic loop -------------------------------------------------------

// What the search asks an advisor each generation, and what comes back
// (the CLI adapts glyph::search::Advisor, an OpenAI-compatible chat client).
struct HistoryRow {
    std::string config_json;
    double score = 0, compression = 0;
    bool feasible = true;
};
struct AdviceQuery {
    std::string space_json, constraints, fitness_rule;
    std::vector<HistoryRow> history;  // best first, at most 40
    int wanted = 0, generation = 0;
};
struct AdvisedConfig {
    std::string config_json, rationale;
};
struct AdviceRound {
    std::vector<AdvisedConfig> proposals;
    int malformed = 0;
    bool failed = false;
    std::string error;
};
using AdviceFn = std::function<AdviceRound(const AdviceQuery&)>;

struct SearchOptions {
    uint64_t seed = 1;
    int population = 16;
    int budget = 200;              // candidates scored and second readings (cache hits count)
    int elite = 2;
    int tournament = 3;
    double crossover_rate = 0.9;
    double mutation_rate = 0.1;    // per key: about 2 of the default space's 21 keys per child
    int patience = 5;              // stop after this many generations without a better score or compression
    int concurrency = 2;           // candidates scored at once (the work pool's threads)
    std::string out_dir;
    std::string cache_dir;         // empty: out_dir
    FitnessRule rule;
    AdviceFn advisor;              // empty: a plain GA
    double advisor_share = 0.25;   // of each new generation's non-elite slots
    // Under the floor rule, a bred child that would not be denser than the
    // best feasible candidate so far (Fitness::compression, no scoring) is
    // bred again, up to 30 tries, so the scores go to candidates that could
    // become the answer. Off, or a fitness without `compression`: plain GA.
    bool screen = true;
    // Under the floor rule, a candidate that would become the best (feasible
    // and ranked before the best so far) is scored again by this fitness (the
    // OCR fitness on second_layout()'s texts) and keeps the worse of its two
    // qualities: near the floor one layout's CER is partly luck, and the
    // search keeps the luckiest. These readings count against the budget.
    // Null: one reading.
    const Fitness* second_reading = nullptr;
    // After each generation: its number, best evaluation, totals; a progress line.
    std::function<void(const std::string& line)> on_progress;
    const std::atomic<bool>* stop = nullptr;  // set: stop after the generation in flight
    // Held-out texts (--test): the best config is scored on them at the end,
    // never during the search. Null: none.
    const Fitness* held_out = nullptr;
};

struct SearchResult {
    std::optional<Evaluation> best;
    std::vector<Evaluation> evaluations;  // every candidate this search scored, in order
    std::optional<Evaluation> test;       // the best config on the held-out fitness
    int generations = 0;
    int cache_hits = 0;
    bool resumed = false;
    bool stopped = false;                 // by options.stop
    std::string stop_reason;              // "budget", "patience", "interrupted"
    int screened = 0;                     // children bred again because they were not denser
    int screen_fallbacks = 0;             // children scored unscreened: 30 tries bred nothing denser
    int second_readings = 0;              // candidates scored again (SearchOptions::second_reading)
    int second_reading_failures = 0;      // of them, those the second reading put below the floor
    int advised_accepted = 0, advised_clamped = 0, advised_dropped = 0, advised_duplicates = 0,
        advisor_malformed = 0, advisor_failures = 0;
};

// Runs (or resumes, when out_dir holds a checkpoint of the same search) the
// search, writing out_dir/checkpoint.json after every generation and, at the
// end, best.json, pareto.json/.md/.svg, evaluations.jsonl, advisor.jsonl and
// search.json. Throws SearchError when out_dir holds a different search.
SearchResult run_search(const SearchSpace& space, const Fitness& fitness, const SearchOptions& options);

// The non-dominated evaluations (quality vs compression), by compression.
std::vector<Evaluation> pareto_front(const std::vector<Evaluation>& all, bool lower_is_better);

}  // namespace glyph::search
