// The genetic loop: breed a generation (elites, advised configs, tournament
// children), score it in parallel on the work pool, checkpoint, repeat until
// the budget is spent or nothing improves for `patience` generations.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "eval/prng.h"
#include "glyph/config_json.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "glyph/work_pool.h"
#include "records.h"

namespace glyph::search {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kRedrawTries = 30;     // a child that repeats a scored config is bred again
constexpr size_t kHistoryRows = 40;  // rows of the table the advisor reads

uint64_t stream_seed(uint64_t seed, const char* name, uint64_t index) {
    return eval::Prng::derive(seed, name, index);
}

// Scores candidates on the pool, each once: from the cache when it has
// them, else by the fitness. Results keep the input order, so nothing
// downstream depends on which finished first.
class Scorer {
public:
    Scorer(const SearchSpace& space, const Fitness& fitness, EvaluationCache& cache, int threads)
        : space_(space), fitness_(fitness), cache_(cache), pool_(threads) {}

    std::string key_of(const Genes& genes) const { return key_of(genes, fitness_); }
    std::string key_of(const Genes& genes, const Fitness& fitness) const {
        return evaluation_key(to_json(space_.resolve(genes)), fitness);
    }

    std::vector<Evaluation> score(const std::vector<Genes>& candidates) { return score(candidates, fitness_); }
    std::vector<Evaluation> score(const std::vector<Genes>& candidates, const Fitness& fitness) {
        std::vector<Evaluation> out(candidates.size());
        WorkPool::Group group;
        for (size_t i = 0; i < candidates.size(); ++i) {
            out[i].genes = candidates[i];
            out[i].key = key_of(candidates[i], fitness);
            if (auto hit = cache_.find(out[i].key)) {
                hit->genes = candidates[i];
                out[i] = std::move(*hit);
                continue;
            }
            pool_.submit(group, [this, &fitness, &e = out[i]] {
                try {
                    fitness.evaluate(space_.resolve(e.genes), e);
                } catch (const std::exception& ex) {
                    e.error = ex.what();
                }
                cache_.put(e);
            });
        }
        pool_.wait(group);
        return out;
    }

private:
    const SearchSpace& space_;
    const Fitness& fitness_;
    EvaluationCache& cache_;
    WorkPool pool_;
};

// What a checkpoint restores: everything the next generation is bred from.
struct SearchState {
    int generation = 0;                 // generations scored
    std::vector<Evaluation> evaluations;  // every candidate, in the order scored
    std::vector<std::string> population;  // keys of the current generation
    int stall = 0;                      // generations since the last improvement
    double best_fitness = -INFINITY, best_compression = 0;
    json advisor_log = json::array();
    int cache_hits = 0;
    int screened = 0;                   // children bred again by the screen
    int screen_fallbacks = 0;           // slots a plain child filled: nothing denser was bred
    int second_readings = 0;            // candidates scored again before becoming the best
    int second_reading_failures = 0;    // of them, those the second reading put below the floor
    int accepted = 0, clamped = 0, dropped = 0, duplicates = 0, malformed = 0, advisor_failures = 0;
};

json state_json(const SearchState& s, const json& identity) {
    json evals = json::array();
    for (const Evaluation& e : s.evaluations) {
        json row = evaluation_json(e);
        row["cached"] = e.cached;
        evals.push_back(row);
    }
    return {{"identity", identity},
            {"generation", s.generation},
            {"population", s.population},
            {"stall", s.stall},
            {"best_fitness", std::isfinite(s.best_fitness) ? json(s.best_fitness) : json()},
            {"best_compression", s.best_compression},
            {"cache_hits", s.cache_hits},
            {"screened", s.screened},
            {"screen_fallbacks", s.screen_fallbacks},
            {"second_readings", s.second_readings},
            {"second_reading_failures", s.second_reading_failures},
            {"advisor", {{"accepted", s.accepted}, {"clamped", s.clamped}, {"dropped", s.dropped},
                         {"duplicates", s.duplicates}, {"malformed", s.malformed}, {"failures", s.advisor_failures}}},
            {"advisor_log", s.advisor_log},
            {"evaluations", evals}};
}

SearchState state_from(const json& j, const std::string& path) {
    SearchState s;
    try {
        s.generation = j.at("generation").get<int>();
        s.population = j.at("population").get<std::vector<std::string>>();
        s.stall = j.at("stall").get<int>();
        s.best_fitness = j.at("best_fitness").is_number() ? j["best_fitness"].get<double>() : -INFINITY;
        s.best_compression = j.at("best_compression").get<double>();
        s.cache_hits = j.at("cache_hits").get<int>();
        s.screened = j.at("screened").get<int>();
        s.screen_fallbacks = j.at("screen_fallbacks").get<int>();
        s.second_readings = j.at("second_readings").get<int>();
        s.second_reading_failures = j.at("second_reading_failures").get<int>();
        const json& a = j.at("advisor");
        s.accepted = a.at("accepted").get<int>();
        s.clamped = a.at("clamped").get<int>();
        s.dropped = a.at("dropped").get<int>();
        s.duplicates = a.at("duplicates").get<int>();
        s.malformed = a.at("malformed").get<int>();
        s.advisor_failures = a.at("failures").get<int>();
        s.advisor_log = j.at("advisor_log");
        for (const json& row : j.at("evaluations")) {
            auto e = parse_evaluation(row.dump());
            if (!e) throw SearchError("a row is not an evaluation");
            e->cached = row.value("cached", false);
            s.evaluations.push_back(std::move(*e));
        }
    } catch (const json::exception& e) {
        throw SearchError("checkpoint " + path + " is damaged (" + e.what() + "); delete it to start over");
    }
    return s;
}

class GeneticSearch {
public:
    GeneticSearch(const SearchSpace& space, const Fitness& fitness, const SearchOptions& options)
        : space_(space), fitness_(fitness), o_(options),
          cache_(options.cache_dir.empty() ? options.out_dir : options.cache_dir),
          scorer_(space, fitness, cache_, std::max(1, options.concurrency)) {
        o_.rule.lower_is_better = fitness.lower_is_better();
        identity_ = {{"space_sha256", source_digest(space.text())},
                     {"fitness", fitness.identity()},
                     {"rule", o_.rule.to_json()},
                     {"seed", std::to_string(o_.seed)},
                     {"population", o_.population},
                     {"elite", o_.elite},
                     {"tournament", o_.tournament},
                     {"crossover_rate", o_.crossover_rate},
                     {"mutation_rate", o_.mutation_rate},
                     {"screen", screening()},
                     {"second_reading", rereading() ? o_.second_reading->identity() : json()},
                     {"advisor", bool(o_.advisor)},
                     {"advisor_share", o_.advisor ? o_.advisor_share : 0.0}};
        checkpoint_path_ = (fs::path(o_.out_dir) / "checkpoint.json").string();
    }

    SearchResult run() {
        SearchResult result;
        result.resumed = restore();
        while (true) {
            if (const char* why = stop_reason()) {
                result.stop_reason = why;
                break;
            }
            std::vector<Genes> next = state_.generation == 0 ? initial() : breed();
            if (next.empty()) {
                result.stop_reason = "space exhausted";
                break;
            }
            score_generation(next);
            checkpoint();
            progress();
            if (o_.stop && *o_.stop) {
                result.stopped = true;
                result.stop_reason = "interrupted";
                break;
            }
        }
        finish(result);
        return result;
    }

private:
    int evaluated() const { return int(state_.evaluations.size()); }
    // What the budget counts: candidates scored and second readings.
    int spent() const { return evaluated() + state_.second_readings; }

    const char* stop_reason() const {
        if (spent() >= o_.budget) return "budget";
        if (state_.generation > 0 && state_.stall >= o_.patience) return "patience";
        return nullptr;
    }

    // A checkpoint of this same search resumes it; one of another search is refused.
    bool restore() {
        std::error_code ec;
        fs::create_directories(o_.out_dir, ec);
        if (ec) throw SearchError("cannot create --out " + o_.out_dir + ": " + ec.message());
        if (!fs::is_regular_file(checkpoint_path_, ec)) return false;
        std::ifstream in(checkpoint_path_, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        const json j = json::parse(text.str(), nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("identity"))
            throw SearchError("checkpoint " + checkpoint_path_ + " is damaged; delete it to start over");
        for (const auto& [k, v] : identity_.items())
            if (!j["identity"].contains(k) || j["identity"][k] != v)
                throw SearchError(o_.out_dir + " holds a different search (its " + k +
                                  " differs); use another --out or delete its checkpoint.json");
        state_ = state_from(j, checkpoint_path_);
        for (const Evaluation& e : state_.evaluations) seen_.insert(e.key);
        return true;
    }

    const Evaluation& by_key(const std::string& key) const {
        for (const Evaluation& e : state_.evaluations)
            if (e.key == key) return e;
        throw SearchError("checkpoint " + checkpoint_path_ + " names a candidate it does not hold");
    }

    std::vector<const Evaluation*> ranked_population() const {
        std::vector<const Evaluation*> pop;
        for (const std::string& k : state_.population) pop.push_back(&by_key(k));
        std::sort(pop.begin(), pop.end(), [this](auto* a, auto* b) { return o_.rule.better(*a, *b); });
        return pop;
    }

    int slots() const { return std::min(o_.population, o_.budget - spent()); }

    bool screening() const { return o_.screen && o_.rule.kind == FitnessRule::kFloor; }
    bool rereading() const { return o_.second_reading && o_.rule.kind == FitnessRule::kFloor; }

    // Near the floor a candidate's quality is partly the luck of one layout
    // (where its lines break, at which pixel phase its glyphs land), and a
    // search that keeps the densest feasible candidate keeps the luckiest.
    // So a candidate that would become the best is read again on a second
    // layout and keeps the worse quality: those ranked before the best so
    // far, a pool's worth at a time, until the first of them was read twice.
    void reread_rising(std::vector<Evaluation>& scored) {
        if (!rereading()) return;
        const Evaluation* prior = best();
        const size_t batch = size_t(std::max(1, o_.concurrency));
        while (true) {
            std::vector<Evaluation*> rising;
            for (Evaluation& e : scored)
                if (o_.rule.feasible(e) && (!prior || o_.rule.better(e, *prior))) rising.push_back(&e);
            std::sort(rising.begin(), rising.end(),
                      [this](const Evaluation* a, const Evaluation* b) { return o_.rule.better(*a, *b); });
            std::vector<Evaluation*> unread;
            for (Evaluation* e : rising) {
                if (e->detail.contains("second_reading") || unread.size() == batch) break;
                unread.push_back(e);
            }
            if (unread.empty()) return;
            std::vector<Genes> genes;
            for (const Evaluation* e : unread) genes.push_back(e->genes);
            const std::vector<Evaluation> again = scorer_.score(genes, *o_.second_reading);
            for (size_t i = 0; i < again.size(); ++i) combine_readings(*unread[i], again[i]);
        }
    }

    void combine_readings(Evaluation& first, const Evaluation& second) {
        ++state_.second_readings;
        json reading = {{"key", second.key}, {"quality", second.quality}, {"detail", second.detail}};
        if (!second.error.empty()) {
            reading["error"] = second.error;
            first.error = "second reading: " + second.error;
        } else {
            reading["first_quality"] = first.quality;
            first.quality = o_.rule.lower_is_better ? std::max(first.quality, second.quality)
                                                    : std::min(first.quality, second.quality);
        }
        first.detail["second_reading"] = reading;
        if (!o_.rule.feasible(first) || !first.error.empty()) ++state_.second_reading_failures;
    }

    // Under the floor rule the answer is the densest feasible candidate, and
    // a child's compression is known from a render (milliseconds) where its
    // score takes a read-back or a benchmark run (seconds to minutes). A
    // child no denser than the best feasible one so far cannot become the
    // answer, so the screen sends it back to be bred again.
    bool passes_screen(const Genes& genes, const std::string& key) {
        if (!screening() || state_.best_compression <= 0) return true;
        auto it = screen_memo_.find(key);
        if (it == screen_memo_.end()) {
            std::optional<double> c;
            try {
                c = fitness_.compression(space_.resolve(genes));
            } catch (const std::exception&) {
                // evaluate() will meet the same problem and record it
            }
            it = screen_memo_.emplace(key, c).first;
        }
        if (!it->second || *it->second > state_.best_compression + 1e-12) return true;
        ++state_.screened;
        return false;
    }

    // A candidate this search has not scored, drawn by `draw` (a few tries);
    // with `screened`, one that also passes the screen.
    template <class Draw>
    std::optional<Genes> fresh(Draw draw, std::set<std::string>& taken, bool screened = false) {
        for (int t = 0; t < kRedrawTries; ++t) {
            Genes g = draw();
            if (!space_.violation(g).empty()) continue;
            const std::string key = scorer_.key_of(g);
            if (seen_.count(key) || taken.count(key)) continue;
            if (screened && !passes_screen(g, key)) continue;
            taken.insert(key);
            return g;
        }
        return std::nullopt;
    }

    std::vector<Genes> initial() {
        Rng rng(stream_seed(o_.seed, "initial", 0));
        std::vector<Genes> out;
        std::set<std::string> taken;
        for (int i = 0, n = slots(); i < n; ++i)
            if (auto g = fresh([&] { return space_.sample(rng); }, taken)) out.push_back(std::move(*g));
        return out;
    }

    const Evaluation& tournament(const std::vector<const Evaluation*>& pop, Rng& rng) const {
        const Evaluation* best = pop[rng.below(pop.size())];
        for (int i = 1; i < o_.tournament; ++i) {
            const Evaluation* other = pop[rng.below(pop.size())];
            if (o_.rule.better(*other, *best)) best = other;
        }
        return *best;
    }

    std::vector<Genes> breed() {
        const int g = state_.generation;
        Rng rng(stream_seed(o_.seed, "generation", uint64_t(g)));
        const std::vector<const Evaluation*> pop = ranked_population();
        std::vector<Genes> out;
        std::set<std::string> taken;
        // Elites are carried over (they are in the population, not rescored).
        elites_.clear();
        for (int i = 0; i < o_.elite && i < int(pop.size()); ++i) elites_.push_back(pop[i]->key);
        const int wanted = slots();
        const int open = std::max(0, std::min(wanted, o_.population - int(elites_.size())));
        if (o_.advisor) {
            const int share = int(std::lround(open * o_.advisor_share));
            for (Genes& a : advised(share, g, taken)) out.push_back(std::move(a));
        }
        auto bred = [&] {
            const Evaluation& a = tournament(pop, rng);
            const Evaluation& b = tournament(pop, rng);
            Genes c = rng.unit() < o_.crossover_rate ? space_.crossover(a.genes, b.genes, rng) : a.genes;
            return space_.mutate(c, o_.mutation_rate, rng);
        };
        while (int(out.size()) < open) {
            auto child = fresh(bred, taken, true);
            // Nothing denser in reach: a plain child keeps the generation full.
            if (!child && screening()) {
                child = fresh(bred, taken);
                if (child) ++state_.screen_fallbacks;
            }
            if (!child) child = fresh([&] { return space_.sample(rng); }, taken);
            if (!child) break;
            out.push_back(std::move(*child));
        }
        return out;
    }

    std::vector<Genes> advised(int share, int generation, std::set<std::string>& taken) {
        AdviceQuery q;
        q.space_json = space_.text();
        q.constraints = space_.constraint_lines();
        q.fitness_rule = o_.rule.describe();
        q.wanted = share;
        q.generation = generation;
        std::vector<const Evaluation*> all;
        for (const Evaluation& e : state_.evaluations)
            if (e.error.empty()) all.push_back(&e);
        std::sort(all.begin(), all.end(), [this](auto* a, auto* b) { return o_.rule.better(*a, *b); });
        for (size_t i = 0; i < all.size() && i < kHistoryRows; ++i)
            q.history.push_back({space_.config_json(all[i]->genes).dump(), all[i]->quality, all[i]->compression,
                                 o_.rule.feasible(*all[i])});
        json entry = {{"generation", generation}, {"wanted", share}};
        std::vector<Genes> out;
        if (share <= 0) return out;
        const AdviceRound round = o_.advisor(q);
        state_.malformed += round.malformed;
        entry["malformed"] = round.malformed;
        if (round.failed) {
            ++state_.advisor_failures;
            entry["failed"] = round.error;
            if (o_.on_progress) o_.on_progress("advisor failed (" + round.error + "); this generation is plain GA");
        }
        json proposals = json::array();
        for (const AdvisedConfig& p : round.proposals) {
            json row = {{"config", p.config_json}, {"rationale", p.rationale}};
            const json config = json::parse(p.config_json, nullptr, false);
            ProposalCheck check = space_.check_proposal(config);
            if (!check.genes) {
                ++state_.dropped;
                row["status"] = "dropped";
            } else if (const std::string key = scorer_.key_of(*check.genes); seen_.count(key) || taken.count(key)) {
                ++state_.duplicates;
                row["status"] = "duplicate";
            } else if (int(out.size()) >= share) {
                row["status"] = "over share";
            } else {
                taken.insert(key);
                ++state_.accepted;
                if (check.clamped) ++state_.clamped;
                row["status"] = check.clamped ? "clamped" : "accepted";
                row["key"] = key;
                out.push_back(std::move(*check.genes));
            }
            if (!check.note.empty()) row["note"] = check.note;
            proposals.push_back(row);
        }
        entry["proposals"] = proposals;
        state_.advisor_log.push_back(entry);
        return out;
    }

    void score_generation(const std::vector<Genes>& next) {
        std::vector<Evaluation> scored = scorer_.score(next);
        reread_rising(scored);
        std::vector<std::string> population = elites_;
        bool improved = false;
        for (Evaluation& e : scored) {
            if (e.cached) ++state_.cache_hits;
            seen_.insert(e.key);
            population.push_back(e.key);
            const double f = o_.rule.fitness(e);
            if (f > state_.best_fitness + 1e-12) state_.best_fitness = f, improved = true;
            if (o_.rule.feasible(e) && e.compression > state_.best_compression + 1e-12)
                state_.best_compression = e.compression, improved = true;
            state_.evaluations.push_back(std::move(e));
        }
        state_.population = population;
        state_.stall = improved ? 0 : state_.stall + 1;
        ++state_.generation;
    }

    void checkpoint() {
        const std::string text = state_json(state_, identity_).dump() + "\n";
        write_file_durable(checkpoint_path_, text.data(), text.size());
        write_outputs(o_.out_dir, report(nullptr));
    }

    const Evaluation* best() const {
        const Evaluation* best = nullptr;
        for (const Evaluation& e : state_.evaluations)
            if (!best || o_.rule.better(e, *best)) best = &e;
        return best;
    }

    void progress() const {
        if (!o_.on_progress) return;
        const Evaluation* b = best();
        char line[300];
        const bool cer = fitness_.lower_is_better();
        std::snprintf(line, sizeof line,
                      "generation %d: best %.2fx at %s %.2f%s%s, %d evaluations (%d cache hits, %d screened, "
                      "%d read twice)%s",
                      state_.generation,
                      b ? b->compression : 0.0, cer ? "CER" : "accuracy", b ? (cer ? 100 * b->quality : b->quality) : 0.0,
                      cer ? "%" : "", b && o_.rule.feasible(*b) ? "" : " (below the floor)", evaluated(),
                      state_.cache_hits, state_.screened, state_.second_readings,
                      o_.advisor ? (", advisor " + std::to_string(state_.accepted) + " accepted, " +
                                    std::to_string(state_.dropped) + " dropped, " + std::to_string(state_.malformed) +
                                    " malformed")
                                       .c_str()
                                 : "");
        o_.on_progress(line);
    }

    SearchReport report(const Evaluation* held_out) const {
        SearchReport r;
        r.space = &space_;
        r.fitness = &fitness_;
        r.rule = &o_.rule;
        r.evaluations = &state_.evaluations;
        r.best = best();
        r.advisor_log = &state_.advisor_log;
        r.record = {{"seed", std::to_string(o_.seed)}, {"population", o_.population}, {"budget", o_.budget},
                    {"elite", o_.elite}, {"tournament", o_.tournament}, {"crossover_rate", o_.crossover_rate},
                    {"mutation_rate", o_.mutation_rate}, {"patience", o_.patience},
                    {"generations", state_.generation}, {"evaluations", evaluated()},
                    {"cache_hits", state_.cache_hits}, {"cache", cache_.path()},
                    {"screen", screening()}, {"screened", state_.screened},
                    {"screen_fallbacks", state_.screen_fallbacks},
                    {"second_readings", state_.second_readings},
                    {"second_reading_failures", state_.second_reading_failures},
                    {"advisor", {{"used", bool(o_.advisor)}, {"share", o_.advisor_share},
                                 {"accepted", state_.accepted}, {"clamped", state_.clamped},
                                 {"dropped", state_.dropped}, {"duplicates", state_.duplicates},
                                 {"malformed", state_.malformed}, {"failures", state_.advisor_failures}}}};
        if (held_out) {
            json t = {{"quality", held_out->quality}, {"compression", held_out->compression},
                      {"detail", held_out->detail}};
            if (!held_out->error.empty()) t["error"] = held_out->error;
            r.record["test"] = t;
        }
        return r;
    }

    void finish(SearchResult& result) {
        result.evaluations = state_.evaluations;
        if (const Evaluation* b = best()) result.best = *b;
        result.generations = state_.generation;
        result.cache_hits = state_.cache_hits;
        result.screened = state_.screened;
        result.screen_fallbacks = state_.screen_fallbacks;
        result.second_readings = state_.second_readings;
        result.second_reading_failures = state_.second_reading_failures;
        result.advised_accepted = state_.accepted;
        result.advised_clamped = state_.clamped;
        result.advised_dropped = state_.dropped;
        result.advised_duplicates = state_.duplicates;
        result.advisor_malformed = state_.malformed;
        result.advisor_failures = state_.advisor_failures;
        if (result.best && o_.held_out && !result.stopped) {
            Evaluation t;
            t.genes = result.best->genes;
            t.key = result.best->key;
            try {
                o_.held_out->evaluate(space_.resolve(t.genes), t);
            } catch (const std::exception& e) {
                t.error = e.what();
            }
            result.test = t;
        }
        SearchReport r = report(result.test ? &*result.test : nullptr);
        r.record["stop_reason"] = result.stop_reason;
        write_outputs(o_.out_dir, r);
    }

    const SearchSpace& space_;
    const Fitness& fitness_;
    SearchOptions o_;
    EvaluationCache cache_;
    Scorer scorer_;
    json identity_;
    std::string checkpoint_path_;
    SearchState state_;
    std::set<std::string> seen_;
    std::map<std::string, std::optional<double>> screen_memo_;  // compression by key, for the screen
    std::vector<std::string> elites_;
};

}  // namespace

SearchResult run_search(const SearchSpace& space, const Fitness& fitness, const SearchOptions& options) {
    if (options.out_dir.empty()) throw SearchError("the search needs an output folder (--out)");
    if (options.population < 2 || options.population > 10000)
        throw SearchError("--population must be 2..10000");
    if (options.budget < 1) throw SearchError("--budget must be at least 1");
    if (options.elite < 0 || options.elite >= options.population)
        throw SearchError("--elite must be 0..population-1");
    if (options.tournament < 1) throw SearchError("--tournament must be at least 1");
    if (options.advisor_share < 0 || options.advisor_share > 1) throw SearchError("--advisor-share must be 0..1");
    GeneticSearch search(space, fitness, options);
    return search.run();
}

std::vector<Evaluation> pareto_front(const std::vector<Evaluation>& all, bool lower_is_better) {
    std::vector<const Evaluation*> ok;
    for (const Evaluation& e : all)
        if (e.error.empty()) ok.push_back(&e);
    auto better_q = [&](double a, double b) { return lower_is_better ? a < b : a > b; };
    std::vector<Evaluation> front;
    std::set<std::string> keys;
    for (const Evaluation* e : ok) {
        bool dominated = false;
        for (const Evaluation* o : ok) {
            const bool no_worse = !better_q(e->quality, o->quality) && o->compression >= e->compression;
            const bool strictly = better_q(o->quality, e->quality) || o->compression > e->compression;
            if (no_worse && strictly) {
                dominated = true;
                break;
            }
        }
        if (!dominated && keys.insert(e->key).second) front.push_back(*e);
    }
    std::sort(front.begin(), front.end(), [](const Evaluation& a, const Evaluation& b) {
        return a.compression != b.compression ? a.compression < b.compression : a.key < b.key;
    });
    return front;
}

}  // namespace glyph::search
