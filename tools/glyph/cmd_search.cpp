// glyph search: the genetic search over render configs (docs/search.md). Flags
// in, a fitness built from them, the library's search run, one line per
// generation on stderr.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "glyph/eval_run.h"
#include "glyph/render.h"
#include "glyph/search.h"
#include "glyph/search_advisor.h"
#include "glyph/version.h"

namespace glyph::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The OCR fitness's default floor: CER 0.4 % on the validation texts, a
// margin under the 0.5 % one wants on texts the search never saw (at 0.5 %
// the search keeps the config luckiest on its validation pages: docs/search.md).
constexpr double kDefaultCerFloor = 0.004;
constexpr double kDefaultAccuracyFloor = 50;

std::atomic<bool> g_stop{false};
void on_interrupt(int) { g_stop = true; }

struct SearchArgs {
    std::string fitness, out, space, cache_dir, profile = "glm-4.1v", tokenizer, lang = "eng";
    std::vector<std::string> data, test;
    std::string endpoint, model = "glyph", bench = "ruler", prompts, api_key_env = "OPENAI_API_KEY";
    std::string advisor, advisor_model = "gpt-4o-mini", advisor_prompt, advisor_key_env = "OPENAI_API_KEY", replay;
    double advisor_share = 0.25, advisor_timeout = 60, timeout = 600;
    std::string rule = "floor";
    std::optional<double> floor;
    double weight = 1;
    double mutation_rate = search::SearchOptions{}.mutation_rate;
    int budget = 200, population = 16, patience = 5, concurrency = 2;
    std::optional<int> elite;
    bool no_screen = false, single_reading = false;
    uint64_t seed = 1;
};

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<search::NamedText> texts_of(const std::vector<std::string>& paths, const char* flag) {
    std::vector<search::NamedText> texts;
    for (const auto& p : paths) texts.push_back({fs::path(p).filename().string(), read_text_input(p, flag)});
    return texts;
}

// The tokenizer as the cache key names it: its spec and the file's digest.
std::string tokenizer_identity(const std::string& spec) {
    const std::string path = spec.empty() ? default_tokenizer_path() : resolve_tokenizer(spec);
    return (spec.empty() ? std::string("qwen3") : spec) + "@" + source_digest(file_bytes(path)).substr(0, 16);
}

std::vector<eval::Prompt> task_prompts(const SearchArgs& a, eval::Bench bench) {
    eval::PromptOptions po;
    if (bench == eval::Bench::kLongBench) {
        if (a.prompts.empty())
            throw CommandError(kExitUsage, "--prompts is required for --bench longbench (Glyph's dataset2vlmprompt.json)");
        po.templates = eval::load_prompt_templates(a.prompts);
    }
    std::vector<eval::Prompt> prompts;
    for (const auto& path : a.data) {
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) throw CommandError(kExitUsage, "--data " + path + " is not a file");
        const std::string name = fs::path(path).filename().string();
        std::vector<eval::Prompt> some;
        if (bench == eval::Bench::kRuler)
            some = eval::ruler_prompts(eval::read_ruler(path, {}, eval::ruler_task_from_path(path)).items, name, po);
        else if (bench == eval::Bench::kLongBench)
            some = eval::longbench_prompts(
                eval::read_longbench(path, {}, eval::longbench_dataset_from_path(path)).items, name, po);
        else
            some = eval::mrcr_prompts(eval::read_mrcr(path, {}).items, name, po);
        prompts.insert(prompts.end(), some.begin(), some.end());
    }
    if (prompts.empty()) throw CommandError(kExitUsage, "the --data files hold no usable item");
    return prompts;
}

std::unique_ptr<search::Fitness> task_fitness(const SearchArgs& a, const Tokenizer& tokenizer,
                                              const VisionProfile& profile) {
    if (a.endpoint.empty()) throw CommandError(kExitUsage, "--fitness task needs --endpoint URL (an OpenAI-compatible VLM)");
    try {
        vlm::chat_completions_url(a.endpoint);
    } catch (const vlm::VlmError& e) {
        throw CommandError(kExitUsage, e.what());
    }
    const auto bench = eval::parse_bench(a.bench);
    if (!bench) throw CommandError(kExitUsage, "--bench \"" + a.bench + "\" is not a benchmark (allowed: longbench, mrcr, ruler)");
    eval::RunSetup setup;
    setup.bench = *bench;
    setup.client.endpoint = a.endpoint;
    if (const char* key = std::getenv(a.api_key_env.c_str())) setup.client.api_key = key;
    setup.client.read_timeout_s = a.timeout;
    setup.client.max_concurrent = 4;
    setup.model = a.model;
    setup.sampling = eval::glyph_sampling(*bench, eval::is_glm_model(a.model));
    setup.tokenizer = &tokenizer;
    setup.profile = &profile;
    json data = json::array();
    json run_data = json::object();  // as eval run's run.json names them: the scorer reads the items from there
    for (const auto& p : a.data) {
        const std::string name = fs::path(p).filename().string(), digest = source_digest(file_bytes(p));
        data.push_back({{"name", name}, {"sha256", digest}});
        run_data[name] = {{"path", fs::absolute(p).lexically_normal().string()}, {"sha256", digest}};
    }
    json identity = {{"bench", a.bench}, {"data", data}, {"endpoint", a.endpoint}, {"model", a.model},
                     {"profile", profile.name}, {"tokenizer", tokenizer_identity(a.tokenizer)}};
    if (!a.prompts.empty()) identity["prompts_sha256"] = source_digest(file_bytes(a.prompts));
    setup.run_record = {{"glyph_version", GLYPH_VERSION}, {"bench", a.bench}, {"send", "pages"}, {"endpoint", a.endpoint},
                        {"model", a.model}, {"profile", profile.name}, {"data", run_data}, {"search", identity}};
    return std::make_unique<search::TaskFitness>(task_prompts(a, *bench), setup, identity,
                                                 (fs::path(a.out) / "runs").string());
}

search::AdviceFn advisor_of(const SearchArgs& a) {
    if (a.advisor.empty() && a.replay.empty()) return {};
    search::AdvisorOptions o;
    o.url = a.advisor;
    o.model = a.advisor_model;
    if (const char* key = std::getenv(a.advisor_key_env.c_str())) o.api_key = key;
    o.timeout_s = a.advisor_timeout;
    o.prompt_path = a.advisor_prompt;
    o.record_dir = (fs::path(a.out) / "advice").string();
    o.replay_dir = a.replay;
    auto advisor = std::make_shared<search::Advisor>(o);
    return [advisor](const search::AdviceQuery& q) {
        search::AdvisorRequest r;
        r.space_json = q.space_json;
        r.constraints = q.constraints;
        r.fitness_rule = q.fitness_rule;
        r.wanted = q.wanted;
        r.generation = q.generation;
        for (const auto& h : q.history) r.history.push_back({h.config_json, h.score, h.compression, h.feasible});
        const search::AdvisorReply reply = advisor->advise(r);
        search::AdviceRound round;
        for (const auto& p : reply.proposals) round.proposals.push_back({p.config_json, p.rationale});
        round.malformed = reply.malformed;
        round.failed = reply.failed;
        round.error = reply.error;
        return round;
    };
}

void run_search_command(const SearchArgs& a) {
    if (a.fitness != "ocr" && a.fitness != "task")
        throw CommandError(kExitUsage, "--fitness \"" + a.fitness + "\" is not a fitness (allowed: ocr, task)");
    if (a.fitness == "task" && !a.test.empty())
        throw CommandError(kExitUsage, "--test goes with --fitness ocr (for task, hold out a second data file and run "
                                       "glyph eval run with best.json)");
    const search::SearchSpace space = search::SearchSpace::load(a.space.empty() ? search::default_space_path() : a.space);
    const Tokenizer tokenizer = Tokenizer::load(a.tokenizer.empty() ? default_tokenizer_path() : a.tokenizer);
    const VisionProfile& profile = find_profile(a.profile);
    const double floor = a.floor.value_or(a.fitness == "ocr" ? kDefaultCerFloor : kDefaultAccuracyFloor);

    std::unique_ptr<search::Fitness> fitness, second_reading, held_out;
    if (a.fitness == "ocr") {
        search::OcrFitnessOptions oo;
        oo.language = a.lang;
        oo.tokenizer_name = tokenizer_identity(a.tokenizer);
        // Under the floor rule a candidate whose errors pass 3x the floor is
        // out whatever its other pages read: the rest is not read.
        if (a.rule == "floor") oo.give_up_cer = 3 * floor;
        const std::vector<search::NamedText> texts = texts_of(a.data, "--data");
        fitness = std::make_unique<search::OcrFitness>(texts, tokenizer, profile, oo);
        if (!a.single_reading)
            second_reading = std::make_unique<search::OcrFitness>(search::second_layout(texts), tokenizer, profile, oo);
        if (!a.test.empty()) {
            oo.give_up_cer = 0;  // the held-out CER is reported whole
            held_out = std::make_unique<search::OcrFitness>(texts_of(a.test, "--test"), tokenizer, profile, oo);
        }
    } else {
        fitness = task_fitness(a, tokenizer, profile);
    }

    search::SearchOptions o;
    o.seed = a.seed;
    o.population = a.population;
    o.budget = a.budget;
    o.elite = a.elite.value_or(std::min(2, a.population - 1));
    o.patience = a.patience;
    o.mutation_rate = a.mutation_rate;
    o.screen = !a.no_screen;
    o.second_reading = second_reading.get();
    o.concurrency = a.concurrency;
    o.out_dir = a.out;
    o.cache_dir = a.cache_dir;
    o.rule.kind = a.rule == "weighted" ? search::FitnessRule::kWeighted : search::FitnessRule::kFloor;
    o.rule.floor = floor;
    o.rule.weight = a.weight;
    o.rule.lower_is_better = fitness->lower_is_better();
    o.advisor = advisor_of(a);
    o.advisor_share = a.advisor_share;
    o.held_out = held_out.get();
    o.stop = &g_stop;
    o.on_progress = [](const std::string& line) { std::fprintf(stderr, "glyph search: %s\n", line.c_str()); };

    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    const search::SearchResult r = search::run_search(space, *fitness, o);
    if (r.resumed) std::fprintf(stderr, "glyph search: resumed from %s/checkpoint.json\n", a.out.c_str());
    if (r.stopped) throw CommandError(kExitInterrupted, "interrupted after a generation; run the same command again to resume");
    if (!r.best) throw CommandError(kExitFailure, "no candidate was scored");
    if (!r.best->error.empty()) throw CommandError(kExitFailure, "no candidate could be scored: " + r.best->error);
    const bool cer = fitness->lower_is_better();
    auto quality = [cer](double q) {
        char b[64];
        std::snprintf(b, sizeof b, cer ? "CER %.2f%%" : "accuracy %.2f", cer ? 100 * q : q);
        return std::string(b);
    };
    std::printf("best: %.2fx at %s (%s) after %zu evaluations and %d second readings, %d generations (%s; %d "
                "children screened)\n",
                r.best->compression, quality(r.best->quality).c_str(),
                o.rule.feasible(*r.best) ? "meets the rule" : "below the floor", r.evaluations.size(),
                r.second_readings, r.generations, r.stop_reason.c_str(), r.screened);
    if (r.test) {
        if (r.test->error.empty())
            std::printf("held-out (--test): %.2fx at %s\n", r.test->compression, quality(r.test->quality).c_str());
        else
            std::printf("held-out (--test): not scored: %s\n", r.test->error.c_str());
    }
    std::printf("config: %s/best.json\n", a.out.c_str());
}

}  // namespace

void add_search_command(CLI::App& app) {
    auto a = std::make_shared<SearchArgs>();
    CLI::App* cmd = app.add_subcommand(
        "search", "Genetic search over render configs for the best compression at a legibility or accuracy floor");
    cmd->add_option("--fitness", a->fitness, "ocr (Tesseract read-back CER, offline) or task (benchmark accuracy at --endpoint)")
        ->required();
    cmd->add_option("--data", a->data, "Validation set: text files (ocr) or benchmark JSONL files (task)")->required();
    cmd->add_option("--test", a->test, "Held-out texts (ocr): never searched on; the best config is scored on them");
    cmd->add_option("--out", a->out, "Output folder: best.json, pareto.*, evaluations.jsonl, checkpoint (rerun resumes)")
        ->required();
    cmd->add_option("--space", a->space, "Search space JSON (default: share/search/space-default.json)");
    cmd->add_option("--budget", a->budget, "Candidates to score in all, second readings included")->check(CLI::Range(1, 1000000))->capture_default_str();
    cmd->add_option("--population", a->population, "Candidates per generation")->check(CLI::Range(2, 10000))->capture_default_str();
    cmd->add_option("--elite", a->elite, "Best candidates carried into the next generation (default 2)")->check(CLI::Range(0, 9999));
    cmd->add_option("--patience", a->patience, "Stop after this many generations without a better score or compression")
        ->check(CLI::Range(1, 1000000))->capture_default_str();
    cmd->add_option("--mutation-rate", a->mutation_rate, "Chance that a child's key is mutated, per key")
        ->check(CLI::Range(0.0, 1.0))->capture_default_str();
    cmd->add_flag("--no-screen", a->no_screen,
                  "Score every bred child, also those no denser than the best legible one so far (floor rule)");
    cmd->add_flag("--single-reading", a->single_reading,
                  "OCR fitness, floor rule: do not read a candidate again on a second layout before it becomes the best");
    cmd->add_option("--seed", a->seed, "Random seed (same seed, same result)")->capture_default_str();
    cmd->add_option("--concurrency", a->concurrency, "Candidates scored at once")->check(CLI::Range(1, 256))->capture_default_str();
    cmd->add_option("--cache-dir", a->cache_dir, "Folder of the evaluation cache shared across runs (default: --out)");
    cmd->add_option("--rule", a->rule, "floor: best compression at the quality floor; weighted: compression + weight * quality")
        ->check(CLI::IsMember({"floor", "weighted"}))->capture_default_str();
    cmd->add_option("--floor", a->floor, "Quality floor: max CER as a fraction (ocr, default 0.004) or min accuracy (task, default 50)")
        ->check(CLI::Range(0.0, 100.0));
    cmd->add_option("--weight", a->weight, "--rule weighted: points of quality (-CER in %, or accuracy) per unit of compression")
        ->capture_default_str();
    cmd->add_option("--profile", a->profile, "Vision-token profile compression is priced with")->capture_default_str();
    cmd->add_option("--tokenizer", a->tokenizer, "Text tokenizer (a name or a tokenizer.json; default: Qwen3's)");
    cmd->add_option("--lang", a->lang, "Tesseract language(s) of the OCR fitness")->capture_default_str();
    cmd->add_option("--endpoint", a->endpoint, "Task fitness: OpenAI-compatible base URL of the VLM");
    cmd->add_option("--model", a->model, "Task fitness: model name")->capture_default_str();
    cmd->add_option("--bench", a->bench, "Task fitness: longbench | mrcr | ruler")->capture_default_str();
    cmd->add_option("--prompts", a->prompts, "Task fitness, LongBench: Glyph's dataset2vlmprompt.json");
    cmd->add_option("--api-key-env", a->api_key_env, "Environment variable holding the endpoint's API key")->capture_default_str();
    cmd->add_option("--timeout", a->timeout, "Task fitness: seconds of silence allowed per request")->capture_default_str();
    cmd->add_option("--advisor", a->advisor, "OpenAI-compatible chat endpoint that proposes candidates each generation");
    cmd->add_option("--advisor-model", a->advisor_model, "The advisor's model name")->capture_default_str();
    cmd->add_option("--advisor-prompt", a->advisor_prompt, "The advisor's prompt file (default: the bundled one, docs/search.md)");
    cmd->add_option("--advisor-key-env", a->advisor_key_env, "Environment variable holding the advisor's API key")->capture_default_str();
    cmd->add_option("--advisor-share", a->advisor_share, "Share of each generation's open slots given to advised configs")
        ->check(CLI::Range(0.0, 1.0))->capture_default_str();
    cmd->add_option("--advisor-timeout", a->advisor_timeout, "Seconds the advisor may take per reply")->capture_default_str();
    cmd->add_option("--replay", a->replay, "Replay the advisor replies recorded in DIR (a run's out/advice) instead of asking");
    cmd->callback([a] {
        try {
            run_search_command(*a);
        } catch (const search::SearchError& e) {
            throw CommandError(kExitUsage, e.what());
        } catch (const eval::EvalError& e) {
            throw CommandError(kExitUsage, e.what());
        }
    });
}

}  // namespace glyph::cli
