// glyph search: the space (validation, sampling inside it, clamping proposals),
// the read-back reference with Glyph's newline marker, the genetic loop
// (determinism across --concurrency, the compression screen, advisor
// proposals mixed in and broken replies counted, the cache on rerun), the OCR
// fitness on real pages, kill -9 and resume through the CLI, the task fitness
// against the OCR test server, and the CLI's usage errors.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "glyph/config_json.h"
#include "glyph/ocr.h"
#include "glyph/render.h"
#include "glyph/search.h"
#include "test_support.h"

namespace {

using glyph::test::read_jsonl;
using glyph::test::run_glyph;
using glyph::test::shell_quote;
using nlohmann::json;
namespace search = glyph::search;

const search::SearchSpace& default_space() {
    static const search::SearchSpace space = search::SearchSpace::load(search::default_space_path());
    return space;
}

// A small space for end-to-end runs: few keys, all legible choices.
const char* kSmallSpace = R"({
  "base": "en",
  "keys": {
    "dpi": {"type": "number", "min": 60, "max": 110, "step": 5},
    "font-size": {"type": "choice", "choices": [8, 9, 10, 11]},
    "line-height": {"type": "choice", "choices": [0, 1, 2], "relative-to": "font-size"},
    "margin-x": {"type": "number", "min": 10, "max": 30, "step": 5},
    "newline-markup": {"type": "choice", "choices": ["<br/>", "<font color=\"#FF0000\"> \\n </font>"]}
  }
})";

// A fitness that needs no OCR: a smooth function of the config, so the
// genetic loop's own behaviour can be checked quickly.
class FormulaFitness : public search::Fitness {
public:
    std::string kind() const override { return "formula"; }
    bool lower_is_better() const override { return true; }
    json identity() const override { return {{"fitness", "formula"}}; }
    void evaluate(const glyph::RenderConfig& c, search::Evaluation& out) const override {
        const double px = c.font_size * c.dpi / 72.0;  // text height in pixels
        out.quality = std::max(0.0, (9.0 - px) * 0.004) + c.margin_x * 1e-5;
        out.compression = formula_compression(c);
        ++calls;
    }
    static double formula_compression(const glyph::RenderConfig& c) {
        const double px = c.font_size * c.dpi / 72.0;
        return 100.0 / (px * c.leading() / c.font_size) + (c.newline_markup == "<br/>" ? 0 : 0.5);
    }
    mutable std::atomic<int> calls{0};
};

// ---- the space ----------------------------------------------------------------

TEST(SearchSpace, DefaultSpaceSamplesValidConfigsFromEveryRange) {
    const auto& space = default_space();
    search::Rng rng(7);
    std::set<std::string> fonts;
    for (int i = 0; i < 60; ++i) {
        const search::Genes g = space.sample(rng);
        const std::string why = space.violation(g);
        if (!why.empty()) continue;  // the constraints reject some draws (tiny pages with wide margins)
        const glyph::RenderConfig c = space.resolve(g);
        EXPECT_GE(c.dpi, 45);
        EXPECT_LE(c.dpi, 119);
        EXPECT_GE(c.leading(), c.font_size);
        EXPECT_LE(c.leading(), c.font_size + 3);
        EXPECT_GE(c.horizontal_scale, 0.75);
        fonts.insert(c.font_path);
    }
    EXPECT_GE(fonts.size(), 5u) << "the font choice is sampled";
    // Mutation and crossover stay inside the ranges.
    search::Genes a = space.sample(rng), b = space.sample(rng);
    for (int i = 0; i < 100; ++i) {
        a = space.mutate(space.crossover(a, b, rng), 0.5, rng);
        const double dpi = a.at("dpi").get<double>();
        EXPECT_TRUE(dpi >= 45 && dpi <= 119) << dpi;
        const double hs = a.at("horizontal-scale").get<double>();
        EXPECT_TRUE(hs >= 0.75 - 1e-9 && hs <= 1.0 + 1e-9) << hs;
        EXPECT_GE(a.at("line-height").get<double>(), 0);
    }
}

TEST(SearchSpace, ProposalsAreClampedOrDropped) {
    const auto space = search::SearchSpace::parse(kSmallSpace, "small");
    // In range: accepted as is.
    auto ok = space.check_proposal(json::parse(R"({"dpi": 80, "font-size": 9, "line-height": 10, "margin-x": 20,
                                                   "newline-markup": "<br/>"})"));
    ASSERT_TRUE(ok.genes) << ok.note;
    EXPECT_EQ(ok.clamped, 0);
    EXPECT_EQ(space.resolve(*ok.genes).leading(), 10);
    // Out of range / off the step / between choices: clamped, counted.
    auto clamped = space.check_proposal(json::parse(R"({"dpi": 500, "font-size": 9.4, "line-height": 10.4,
                                                        "margin-x": 12, "newline-markup": "<br/>"})"));
    ASSERT_TRUE(clamped.genes) << clamped.note;
    EXPECT_EQ(clamped.clamped, 4) << clamped.note;  // dpi, font-size, line-height (10.4 = 9 + 1.4 -> 9 + 1), margin-x
    const glyph::RenderConfig c = space.resolve(*clamped.genes);
    EXPECT_EQ(c.dpi, 110);
    EXPECT_EQ(c.font_size, 9);
    EXPECT_EQ(c.margin_x, 10);
    // Dropped: a key missing, a choice that is no choice, a key the space fixes changed.
    EXPECT_FALSE(space.check_proposal(json::parse(R"({"dpi": 80})")).genes);
    EXPECT_FALSE(space.check_proposal(json::parse(R"({"dpi": 80, "font-size": 9, "line-height": 10, "margin-x": 20,
                                                      "newline-markup": "<p>"})")).genes);
    const auto fixed = space.check_proposal(json::parse(R"({"dpi": 80, "font-size": 9, "line-height": 10,
                                                            "margin-x": 20, "newline-markup": "<br/>", "margin-y": 3})"));
    EXPECT_FALSE(fixed.genes);
    EXPECT_NE(fixed.note.find("margin-y"), std::string::npos) << fixed.note;
    // A line-height under the font size is rejected (its offset cannot be negative).
    EXPECT_EQ(space.check_proposal(json::parse(R"({"dpi": 80, "font-size": 10, "line-height": 8, "margin-x": 20,
                                                   "newline-markup": "<br/>"})")).clamped, 1);
    EXPECT_FALSE(space.check_proposal(json::parse("[1, 2]")).genes);
}

TEST(SearchSpace, BadSpaceFilesAreOneLineErrors) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"[]", "not a JSON object"},
        {R"({"keys": {}})", "\"keys\""},
        {R"({"keys": {"font_size": {"type": "choice", "choices": [9]}}})", "font-size"},
        {R"({"keys": {"dpi": {"type": "number", "min": 90, "max": 60}}})", "min"},
        {R"({"keys": {"dpi": {"type": "range"}}})", "number, choice"},
        {R"({"keys": {"dpi": {"type": "choice", "choices": []}}})", "choices"},
        {R"({"keys": {"dpi": {"type": "choice", "choices": [72], "relative-to": "font-size"}}})", "relative"},
        {R"({"base": "xx", "keys": {"dpi": {"type": "choice", "choices": [72]}}})", "base"},
        {R"({"keys": {"dpi": {"type": "choice", "choices": [72]}}, "population": 3})", "unknown field"},
        {R"({"keys": {"dpi": {"type": "choice", "choices": [72]}}, "constraints": {"max-ink": 1}})", "max-ink"},
    };
    for (const auto& [text, needle] : cases) {
        try {
            (void)search::SearchSpace::parse(text, "t.json");
            ADD_FAILURE() << "accepted: " << text;
        } catch (const search::SearchError& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find(needle), std::string::npos) << what;
            EXPECT_EQ(what.find('\n'), std::string::npos) << what;
        }
    }
}

// ---- the page's text --------------------------------------------------------

TEST(ShownText, TheInlineMarkerStandsWhereTheLineBreaksWere) {
    glyph::RenderConfig c = glyph::preset("en");
    const std::string src = "one\ntwo\r\nthree\nfour";
    EXPECT_EQ(glyph::shown_text(src, 0, src.size(), c), src);
    c.newline_markup = "<font color=\"#FF0000\"> \\n </font>";
    c.paragraph_lines = 0;
    EXPECT_EQ(glyph::shown_text(src, 0, src.size(), c), "one \\n two \\n three \\n four");
    // Every paragraph-lines lines the paragraph ends: a real break, no marker.
    c.paragraph_lines = 2;
    EXPECT_EQ(glyph::shown_text(src, 0, src.size(), c), "one \\n two\nthree \\n four");
    // A span that starts mid-text counts the lines before it.
    EXPECT_EQ(glyph::shown_text(src, 5, src.size(), c), "wo\nthree \\n four");
    c.newline_markup = "<font color=\"#0000FF\">&lt;nl&gt;</font>";
    EXPECT_EQ(glyph::shown_text("a\nb", 0, 3, c), "a<nl>b");
}

std::string short_lines_text() {
    std::string text;
    const char* lines[] = {"The harbour was quiet that morning.", "Signe opened the archive door.",
                           "A letter lay on the table, unopened.", "Nobody had seen the lantern since May.",
                           "Kit listened at the crooked window.", "The bridge creaked under the cart."};
    for (int r = 0; r < 3; ++r)
        for (const char* l : lines) text += std::string(l) + "\n";
    return text;
}

TEST(ShownText, GlyphOcrReadsMarkerPagesAsLegible) {
    glyph::test::TempDir tmp;
    const std::string text_path = tmp.file("lines.txt");
    glyph::test::write_file(text_path, short_lines_text());
    const auto r = run_glyph("ocr --json --dpi 96 " + shell_quote(text_path) +
                             " --set 'newline-markup=<font color=\"#FF0000\"> \\n </font>' --set paragraph-lines=0");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json report = json::parse(r.out);
    // Before the fix every marker (" \n ") counted as three edits: ~5% here.
    EXPECT_LT(report["cer"].get<double>(), 0.01) << report["pages"][0]["text"];
    EXPECT_NE(report["pages"][0]["text"].get<std::string>().find("\\n"), std::string::npos)
        << "the page really shows the marker";
}

// ---- the genetic loop ---------------------------------------------------------

search::SearchOptions small_options(const std::string& out, int concurrency) {
    search::SearchOptions o;
    o.seed = 42;
    o.population = 6;
    o.budget = 30;
    o.patience = 100;
    // About one of the small space's 5 keys per child (the default, 0.1, is
    // about two of the default space's 21; here most children would repeat a parent).
    o.mutation_rate = 0.2;
    o.concurrency = concurrency;
    o.out_dir = out;
    return o;
}

TEST(GeneticSearch, SameSeedSameBestWhateverTheConcurrency) {
    glyph::test::TempDir tmp;
    const auto space = search::SearchSpace::parse(kSmallSpace, "small");
    FormulaFitness f1, f3;
    const auto r1 = search::run_search(space, f1, small_options(tmp.file("c1"), 1));
    const auto r3 = search::run_search(space, f3, small_options(tmp.file("c3"), 3));
    ASSERT_TRUE(r1.best && r3.best);
    EXPECT_EQ(r1.evaluations.size(), 30u);
    EXPECT_EQ(f1.calls, 30) << "no candidate is scored twice";
    EXPECT_EQ(glyph::test::read_file(tmp.file("c1/best.json")), glyph::test::read_file(tmp.file("c3/best.json")));
    ASSERT_EQ(r1.evaluations.size(), r3.evaluations.size());
    for (size_t i = 0; i < r1.evaluations.size(); ++i) EXPECT_EQ(r1.evaluations[i].key, r3.evaluations[i].key) << i;
    // The search improves on its first generation.
    double first_best = 0;
    for (size_t i = 0; i < 6; ++i) first_best = std::max(first_best, r1.evaluations[i].compression);
    EXPECT_GE(r1.best->compression, first_best);
    EXPECT_LE(r1.best->quality, 0.005);
    // The outputs are there and are what they say.
    const json best = json::parse(glyph::test::read_file(tmp.file("c1/best.json")));
    EXPECT_NO_THROW(glyph::validate(glyph::apply_config(best, glyph::RenderConfig{})));
    EXPECT_EQ(read_jsonl(tmp.file("c1/evaluations.jsonl")).size(), 30u);
    const json pareto = json::parse(glyph::test::read_file(tmp.file("c1/pareto.json")));
    EXPECT_FALSE(pareto["front"].empty());
    EXPECT_EQ(glyph::test::read_file(tmp.file("c1/pareto.svg")).rfind("<svg", 0), 0u);
    EXPECT_NE(glyph::test::read_file(tmp.file("c1/pareto.md")).find("| compression |"), std::string::npos);
    const json record = json::parse(glyph::test::read_file(tmp.file("c1/search.json")));
    EXPECT_EQ(record["rule"]["rule"], "floor");
    EXPECT_EQ(record["rule"]["floor"], 0.005);
    EXPECT_EQ(record["stop_reason"], "budget");
    // A different seed explores differently.
    FormulaFitness f2;
    auto other = small_options(tmp.file("s2"), 1);
    other.seed = 43;
    const auto r2 = search::run_search(space, f2, other);
    EXPECT_NE(r2.evaluations[0].key, r1.evaluations[0].key);
}

TEST(GeneticSearch, RerunsAreCacheHitsAndFinishedSearchesResume) {
    glyph::test::TempDir tmp;
    const auto space = search::SearchSpace::parse(kSmallSpace, "small");
    FormulaFitness first;
    auto o = small_options(tmp.file("a"), 2);
    o.cache_dir = tmp.file("cache");
    const auto a = search::run_search(space, first, o);
    // Another output folder, same cache: nothing is scored again.
    FormulaFitness second;
    o.out_dir = tmp.file("b");
    const auto b = search::run_search(space, second, o);
    EXPECT_EQ(second.calls, 0);
    EXPECT_EQ(b.cache_hits, 30);
    EXPECT_EQ(glyph::test::read_file(tmp.file("a/best.json")), glyph::test::read_file(tmp.file("b/best.json")));
    // The same folder again: resumed from its checkpoint, already done.
    FormulaFitness third;
    const auto c = search::run_search(space, third, o);
    EXPECT_TRUE(c.resumed);
    EXPECT_EQ(third.calls, 0);
    // A different search in that folder is refused, naming what differs.
    o.seed = 5;
    try {
        search::run_search(space, third, o);
        ADD_FAILURE() << "a different search resumed";
    } catch (const search::SearchError& e) {
        EXPECT_NE(std::string(e.what()).find("seed"), std::string::npos) << e.what();
    }
}

TEST(GeneticSearch, PatienceStopsASearchThatNoLongerImproves) {
    glyph::test::TempDir tmp;
    const auto space = search::SearchSpace::parse(
        R"({"keys": {"font-size": {"type": "choice", "choices": [9, 10]}, "dpi": {"type": "choice", "choices": [72, 96]}}})",
        "tiny");
    FormulaFitness f;
    auto o = small_options(tmp.file("p"), 1);
    o.population = 2;
    o.elite = 1;
    o.patience = 2;
    o.budget = 100;
    const auto r = search::run_search(space, f, o);
    EXPECT_LE(r.evaluations.size(), 4u) << "the space has 4 configs";
    EXPECT_TRUE(r.stop_reason == "patience" || r.stop_reason == "space exhausted") << r.stop_reason;
}

// The formula fitness with its compression known before scoring, as the
// OCR fitness knows it from a render.
class PricedFormulaFitness : public FormulaFitness {
public:
    std::optional<double> compression(const glyph::RenderConfig& c) const override {
        ++priced;
        return formula_compression(c);
    }
    mutable std::atomic<int> priced{0};
};

// How many children of generations after the first were no denser than the
// best feasible candidate of the generations before them.
int children_no_denser(const search::SearchResult& r, int population, int elite) {
    int count = 0;
    double best = 0;
    size_t i = 0;
    for (int generation = 0; i < r.evaluations.size(); ++generation) {
        const size_t size = generation == 0 ? population : population - elite;
        const double best_before = best;
        for (size_t end = std::min(r.evaluations.size(), i + size); i < end; ++i) {
            const search::Evaluation& e = r.evaluations[i];
            if (generation > 0 && best_before > 0 && e.compression <= best_before) ++count;
            if (e.quality <= 0.005) best = std::max(best, e.compression);
        }
    }
    return count;
}

TEST(GeneticSearch, TheScreenSendsBackChildrenNoDenserThanTheBest) {
    glyph::test::TempDir tmp;
    const auto space = search::SearchSpace::parse(kSmallSpace, "small");
    PricedFormulaFitness screened_fitness, plain_fitness;
    const auto screened = search::run_search(space, screened_fitness, small_options(tmp.file("on"), 1));
    auto o = small_options(tmp.file("off"), 1);
    o.screen = false;
    const auto plain = search::run_search(space, plain_fitness, o);
    ASSERT_EQ(screened.evaluations.size(), 30u);
    ASSERT_EQ(plain.evaluations.size(), 30u);
    // The screen prices children but scores only the 30.
    EXPECT_EQ(screened_fitness.calls, 30);
    EXPECT_GT(screened_fitness.priced, 0);
    EXPECT_GT(screened.screened, 0);
    // Every child no denser than the best before it filled a slot for which
    // 30 tries bred nothing denser (this small space runs out of them).
    EXPECT_EQ(children_no_denser(screened, 6, 2), screened.screen_fallbacks);
    EXPECT_LT(screened.screen_fallbacks, 24);
    // Without it, the GA scores children that cannot become the answer.
    EXPECT_EQ(plain_fitness.priced, 0);
    EXPECT_EQ(plain.screened, 0);
    EXPECT_EQ(plain.screen_fallbacks, 0);
    EXPECT_GT(children_no_denser(plain, 6, 2), children_no_denser(screened, 6, 2));
    const json record = json::parse(glyph::test::read_file(tmp.file("on/search.json")));
    EXPECT_EQ(record["screen"], true);
    EXPECT_EQ(record["screened"], screened.screened);
    EXPECT_EQ(record["screen_fallbacks"], screened.screen_fallbacks);
    // A screened search resumes as one: its checkpoint carries the screen.
    o.out_dir = tmp.file("on");
    try {
        search::run_search(space, plain_fitness, o);
        ADD_FAILURE() << "a search without the screen resumed a screened one";
    } catch (const search::SearchError& e) {
        EXPECT_NE(std::string(e.what()).find("screen"), std::string::npos) << e.what();
    }
}

// The formula read on a "second layout" where narrow margins read worse:
// the first reading's luck at margin-x 10-15.
class SecondLayoutFormula : public FormulaFitness {
public:
    json identity() const override { return {{"fitness", "formula, second layout"}}; }
    void evaluate(const glyph::RenderConfig& c, search::Evaluation& out) const override {
        FormulaFitness::evaluate(c, out);
        if (c.margin_x <= 15) out.quality += 0.004;
    }
};

TEST(GeneticSearch, ACandidateBecomesTheBestOnlyIfItsSecondReadingHolds) {
    glyph::test::TempDir tmp;
    const auto space = search::SearchSpace::parse(kSmallSpace, "small");
    FormulaFitness first, plain_first;
    SecondLayoutFormula second;
    auto o = small_options(tmp.file("twice"), 2);
    o.second_reading = &second;
    const auto r = search::run_search(space, first, o);
    const auto plain = search::run_search(space, plain_first, small_options(tmp.file("once"), 2));
    ASSERT_TRUE(r.best && plain.best);
    // The search without it keeps a candidate the second layout would reject.
    const glyph::RenderConfig plain_best = space.resolve(plain.best->genes);
    EXPECT_LE(plain_best.margin_x, 15) << "the small space's densest legible config has narrow margins";
    // With it, the best was read twice and holds the floor on both readings.
    ASSERT_TRUE(r.best->detail.contains("second_reading")) << r.best->detail.dump();
    const json& reading = r.best->detail["second_reading"];
    EXPECT_LE(reading["quality"].get<double>(), 0.005);
    EXPECT_DOUBLE_EQ(r.best->quality,
                     std::max(reading["quality"].get<double>(), reading["first_quality"].get<double>()));
    EXPECT_GT(space.resolve(r.best->genes).margin_x, 15);
    // Every candidate that failed its second reading keeps the worse quality
    // and ranks below the floor; the counts say how many.
    int read = 0, failed = 0;
    for (const search::Evaluation& e : r.evaluations) {
        if (!e.detail.contains("second_reading")) continue;
        ++read;
        const double q2 = e.detail["second_reading"]["quality"].get<double>();
        EXPECT_DOUBLE_EQ(e.quality, std::max(q2, e.detail["second_reading"]["first_quality"].get<double>()));
        if (e.quality > 0.005) ++failed;
    }
    EXPECT_EQ(read, r.second_readings);
    EXPECT_EQ(failed, r.second_reading_failures);
    EXPECT_GT(r.second_reading_failures, 0);
    // The budget counts the readings too.
    EXPECT_EQ(r.stop_reason, "budget");
    EXPECT_GE(int(r.evaluations.size()) + r.second_readings, o.budget);
    EXPECT_LT(int(r.evaluations.size()), o.budget);
    EXPECT_EQ(first.calls + second.calls, int(r.evaluations.size()) + r.second_readings);
    const json record = json::parse(glyph::test::read_file(tmp.file("twice/search.json")));
    EXPECT_EQ(record["second_readings"], r.second_readings);
    EXPECT_EQ(record["second_reading_failures"], r.second_reading_failures);
    // It is part of the search's identity: a one-reading search does not resume it.
    try {
        search::run_search(space, plain_first, small_options(tmp.file("twice"), 2));
        ADD_FAILURE() << "a one-reading search resumed a two-reading one";
    } catch (const search::SearchError& e) {
        EXPECT_NE(std::string(e.what()).find("second_reading"), std::string::npos) << e.what();
    }
}

TEST(SecondLayout, EachLineLosesItsFirstWord) {
    const auto texts = search::second_layout({{"a.txt", "  One two three\nsolo\n\nfour\tfive\r\nlast line"}});
    ASSERT_EQ(texts.size(), 1u);
    EXPECT_EQ(texts[0].name, "a.txt (second layout)");
    EXPECT_EQ(texts[0].text, "  two three\nsolo\n\nfive\r\nline");
}

// A stand-in for the advisor client: scripted rounds (good, out of range,
// broken, a failure), as the advisor's test server scripts them.
search::AdviceRound scripted_round(const search::AdviceQuery& q) {
    search::AdviceRound round;
    switch (q.generation) {
        case 1:
            round.proposals = {
                {R"({"dpi": 70, "font-size": 10, "line-height": 10, "margin-x": 10, "newline-markup": "<br/>"})",
                 "tight leading at a legible size"},
                {R"({"dpi": 300, "font-size": 10, "line-height": 11, "margin-x": 10, "newline-markup": "<br/>"})",
                 "much sharper"},
                {R"({"dpi": 70, "font-size": "big"})", "not a config"}};
            round.malformed = 1;
            break;
        case 2:
            round.failed = true;
            round.error = "advisor timed out after 60 s";
            break;
        default:
            round.malformed = 2;  // a reply that was no JSON at all
    }
    EXPECT_FALSE(q.space_json.empty());
    EXPECT_NE(q.fitness_rule.find("CER"), std::string::npos);
    EXPECT_LE(q.history.size(), 40u);
    return round;
}

TEST(GeneticSearch, AdvisedConfigsEnterThePopulationAndBrokenRepliesAreCounted) {
    glyph::test::TempDir tmp;
    const auto space = search::SearchSpace::parse(kSmallSpace, "small");
    FormulaFitness f;
    auto o = small_options(tmp.file("adv"), 2);
    o.advisor = scripted_round;
    o.advisor_share = 0.5;
    const auto r = search::run_search(space, f, o);
    EXPECT_EQ(r.evaluations.size(), 30u) << "the search completes";
    EXPECT_EQ(r.advised_accepted, 2);
    EXPECT_EQ(r.advised_clamped, 1);
    EXPECT_EQ(r.advised_dropped, 1);
    EXPECT_EQ(r.advised_duplicates, 0);
    EXPECT_GE(r.advisor_failures, 1);
    EXPECT_GE(r.advisor_malformed, 3);
    const std::string log = glyph::test::read_file(tmp.file("adv/advisor.jsonl"));
    EXPECT_NE(log.find("tight leading at a legible size"), std::string::npos);
    EXPECT_NE(log.find("\"clamped\""), std::string::npos);
    EXPECT_NE(log.find("timed out"), std::string::npos);
    // The advised config was scored (dpi 70, 10 pt on 10 pt).
    bool found = false;
    for (const auto& e : r.evaluations)
        found |= e.genes.at("dpi") == 70 && e.genes.at("font-size") == 10 && e.genes.at("line-height") == 0;
    EXPECT_TRUE(found);
}

// ---- real fitness -----------------------------------------------------------

TEST(OcrFitness, ScoresRealPagesWithCompression) {
    const glyph::Tokenizer tokenizer = glyph::Tokenizer::load(glyph::default_tokenizer_path());
    search::OcrFitness fitness({{"lines", short_lines_text()}}, tokenizer, glyph::find_profile("glm-4.1v"), {});
    search::Evaluation legible, tiny;
    glyph::RenderConfig c = glyph::preset("en");
    c.dpi = 96;
    fitness.evaluate(c, legible);
    EXPECT_LT(legible.quality, 0.02);
    EXPECT_GT(legible.compression, 0.1);
    EXPECT_EQ(legible.detail["pages"], 1);
    c.dpi = 30;  // 3.75 px letters: unreadable, and much cheaper
    fitness.evaluate(c, tiny);
    EXPECT_GT(tiny.quality, 0.2);
    EXPECT_GT(tiny.compression, legible.compression);
    EXPECT_EQ(fitness.identity()["tesseract"], glyph::tesseract_version());
}

std::string small_space_file(const glyph::test::TempDir& tmp) {
    const std::string path = tmp.file("space.json");
    glyph::test::write_file(path, kSmallSpace);
    return path;
}

std::string cli_search(const glyph::test::TempDir& tmp, const std::string& out, const std::string& extra = "",
                       int budget = 12) {
    return std::string(GLYPH_CLI) + " search --fitness ocr --data " + shell_quote(tmp.file("lines.txt")) + " --space " +
           shell_quote(small_space_file(tmp)) + " --population 4 --budget " + std::to_string(budget) +
           " --seed 3 --concurrency 2 --out " + shell_quote(out) + " " + extra;
}

TEST(SearchCli, KilledMidGenerationResumesToTheSameResult) {
    glyph::test::TempDir tmp;
    glyph::test::write_file(tmp.file("lines.txt"), short_lines_text());
    const auto whole = glyph::test::run_command(cli_search(tmp, tmp.file("whole"), "--cache-dir " + tmp.file("c1")));
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    EXPECT_NE(whole.err.find("generation 1:"), std::string::npos) << whole.err;
    EXPECT_NE(whole.out.find("best:"), std::string::npos) << whole.out;

    // kill -9 once the first generation is checkpointed (the second is then in flight).
    const std::string out = tmp.file("killed");
    {
        glyph::test::Child child({"/bin/sh", "-c", "exec " + cli_search(tmp, out, "--cache-dir " + tmp.file("c2"))});
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (!std::filesystem::exists(out + "/checkpoint.json") && std::chrono::steady_clock::now() < deadline &&
               child.running())
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        kill(child.pid(), SIGKILL);
        child.wait(10);
    }
    const json checkpoint = json::parse(glyph::test::read_file(out + "/checkpoint.json"));
    EXPECT_GE(checkpoint["generation"].get<int>(), 1);
    const auto resumed = glyph::test::run_command(cli_search(tmp, out, "--cache-dir " + tmp.file("c2")));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(glyph::test::read_file(out + "/best.json"), glyph::test::read_file(tmp.file("whole/best.json")));
    const auto a = read_jsonl(out + "/evaluations.jsonl"), b = read_jsonl(tmp.file("whole/evaluations.jsonl"));
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i]["key"], b[i]["key"]) << i;
        EXPECT_EQ(a[i]["quality"], b[i]["quality"]) << i;
    }
    // best.json renders as is.
    const auto render = run_glyph("render " + shell_quote(tmp.file("lines.txt")) + " --config " +
                                  shell_quote(out + "/best.json") + " --out " + shell_quote(tmp.file("pages")));
    EXPECT_EQ(render.exit_code, 0) << render.err;
}

TEST(SearchCli, HeldOutTextsAreScoredAtTheEnd) {
    glyph::test::TempDir tmp;
    glyph::test::write_file(tmp.file("lines.txt"), short_lines_text());
    glyph::test::write_file(tmp.file("other.txt"), "A different text, held out from the search.\nIt has two lines.\n");
    const auto r = glyph::test::run_command(cli_search(tmp, tmp.file("t"), "--test " + tmp.file("other.txt"), 4));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("held-out (--test):"), std::string::npos) << r.out;
    const json record = json::parse(glyph::test::read_file(tmp.file("t/search.json")));
    EXPECT_TRUE(record["test"]["quality"].is_number()) << record.dump();
    EXPECT_NE(record["fitness"]["data"].dump().find("lines.txt"), std::string::npos);
    EXPECT_EQ(record["fitness"]["data"].dump().find("other.txt"), std::string::npos) << "--test is never searched on";
}

#ifdef GLYPH_OCR_TEST_SERVER
TEST(SearchCli, TaskFitnessScoresEachCandidateWithTheEvalRunner) {
    glyph::test::TempDir tmp;
    glyph::test::OcrTestServer server;
    const std::string space = tmp.file("space.json");
    glyph::test::write_file(space, R"({"keys": {"dpi": {"type": "choice", "choices": [72, 80, 88, 96]}}})");
    const auto r = glyph::test::run_command(
        std::string(GLYPH_CLI) + " search --fitness task --bench ruler --data " +
        shell_quote(std::string(GLYPH_TEST_DATA) + "/eval/ruler_sample.jsonl") + " --endpoint " + server.endpoint() +
        " --space " + shell_quote(space) + " --population 2 --elite 1 --budget 3 --out " + shell_quote(tmp.file("task")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_jsonl(tmp.file("task/evaluations.jsonl"));
    ASSERT_EQ(rows.size(), 3u);
    double best_first = 0;
    for (const json& row : rows) {
        EXPECT_EQ(row["quality"], 100.0) << row.dump();  // the test server reads the needles off the pages
        EXPECT_GT(row["compression"].get<double>(), 0.5);
        EXPECT_TRUE(std::filesystem::exists(row["detail"]["run_dir"].get<std::string>() + "/predictions.jsonl"));
        if (&row != &rows.back()) best_first = std::max(best_first, row["compression"].get<double>());
    }
    // The child was priced before its run: when a lower dpi than the first
    // generation's two was left to breed, it passed the screen and is
    // denser than both; else the screen found nothing and said so.
    const json record = json::parse(glyph::test::read_file(tmp.file("task/search.json")));
    EXPECT_EQ(record["screen"], true);
    const int lowest_first = std::min(rows[0]["genes"]["dpi"].get<int>(), rows[1]["genes"]["dpi"].get<int>());
    if (lowest_first > 72) {
        EXPECT_EQ(record["screen_fallbacks"], 0);
        EXPECT_GT(rows[2]["compression"].get<double>(), best_first);
        EXPECT_LT(rows[2]["genes"]["dpi"].get<int>(), lowest_first);
    } else {
        EXPECT_EQ(record["screen_fallbacks"], 1);
    }
    EXPECT_EQ(record["fitness"]["endpoint"], server.endpoint());
    EXPECT_EQ(record["rule"]["quality"], "accuracy");
}
#endif

TEST(SearchCli, UsageErrorsAreOneLine) {
    glyph::test::TempDir tmp;
    glyph::test::write_file(tmp.file("lines.txt"), short_lines_text());
    glyph::test::write_file(tmp.file("bad.json"), R"({"keys": {"dpi": {"type": "number", "min": 9, "max": 1}}})");
    const std::string data = " --data " + shell_quote(tmp.file("lines.txt")) + " --out " + shell_quote(tmp.file("o"));
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"search --fitness vibes" + data, "--fitness"},
        {"search --fitness ocr --space " + shell_quote(tmp.file("bad.json")) + data, "min"},
        {"search --fitness ocr --space " + shell_quote(tmp.file("none.json")) + data, "not found"},
        {"search --fitness ocr --data " + shell_quote(tmp.file("missing.txt")) + " --out " + shell_quote(tmp.file("o")),
         "missing.txt"},
        {"search --fitness task" + data, "--endpoint"},
        {"search --fitness ocr --population 1" + data, "population"},
        {"search --fitness ocr --profile nope" + data, "nope"},
        {"search --fitness ocr" + data + " --lang 'e ng'", "language"},
    };
    for (const auto& [args, needle] : cases) {
        const auto r = run_glyph(args);
        EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
        EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
}

}  // namespace
