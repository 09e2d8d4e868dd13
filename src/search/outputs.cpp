// The search's output folder: the best config, the Pareto front as JSON,
// Markdown and SVG, every evaluation, the advisor's log and the run record.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "glyph/config_json.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "records.h"
#include "util/svg_chart.h"

namespace glyph::search {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

void write_text(const std::string& dir, const std::string& name, const std::string& text) {
    write_file_atomic((fs::path(dir) / name).string(), text.data(), text.size());
}

std::string fixed(double v, int decimals) {
    char b[48];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}

std::string quality_text(const Evaluation& e, bool cer) { return cer ? fixed(100 * e.quality, 2) + "%" : fixed(e.quality, 2); }

std::string pareto_markdown(const std::vector<Evaluation>& front, const SearchReport& r) {
    const bool cer = r.fitness->lower_is_better();
    std::string md = "# Pareto front: " + std::string(cer ? "CER" : "accuracy") + " vs compression\n\n";
    md += "Rule: " + r.rule->describe() + "; fitness " + r.fitness->kind() + ", " +
          std::to_string(r.evaluations->size()) + " evaluations.\n\n";
    md += "| compression | " + std::string(cer ? "CER" : "accuracy") + " | feasible | config |\n| ---: | ---: | :---: | --- |\n";
    for (auto it = front.rbegin(); it != front.rend(); ++it)
        md += "| " + fixed(it->compression, 2) + "× | " + quality_text(*it, cer) + " | " +
              (r.rule->feasible(*it) ? "yes" : "no") + " | `" + r.space->config_json(it->genes).dump() + "` |\n";
    return md;
}

std::string pareto_svg(const std::vector<Evaluation>& front, const SearchReport& r) {
    const bool cer = r.fitness->lower_is_better();
    auto y_of = [cer](const Evaluation& e) { return cer ? 100 * e.quality : e.quality; };
    Chart chart;
    chart.title = std::string("Pareto front: ") + (cer ? "CER" : "accuracy") + " vs compression";
    double x_max = 1, y_max = cer ? 1 : 100;
    ChartSeries all{"all evaluations", {}, false, "#bbbbbb", 2};
    for (const Evaluation& e : *r.evaluations) {
        if (!e.error.empty()) continue;
        all.points.push_back({e.compression, y_of(e)});
        x_max = std::max(x_max, e.compression);
        if (cer) y_max = std::max(y_max, y_of(e));
    }
    // A CER axis past 10% only shows the illegible tail; those points are clipped to the top.
    if (cer) y_max = std::min(y_max, 10.0);
    for (auto& p : all.points) p.second = std::min(p.second, y_max);
    ChartSeries pareto{"Pareto front", {}, true, "#d62728", 4};
    for (const Evaluation& e : front) pareto.points.push_back({e.compression, std::min(y_of(e), y_max)});
    chart.x = {"compression (text tokens per vision token)", 0, std::ceil(x_max), {}};
    chart.y = {cer ? "CER (%)" : "accuracy", 0, y_max, {}};
    chart.series = {all, pareto};
    if (r.best && r.rule->feasible(*r.best))
        chart.series.push_back({"best (" + fixed(r.best->compression, 2) + "×)",
                                {{r.best->compression, std::min(y_of(*r.best), y_max)}}, false, "#1f77b4", 6});
    return chart_svg(chart);
}

}  // namespace

void write_outputs(const std::string& dir, const SearchReport& r) {
    std::string rows;
    for (const Evaluation& e : *r.evaluations) {
        json row = evaluation_json(e);
        row["config"] = r.space->config_json(e.genes);
        row["feasible"] = r.rule->feasible(e);
        row["fitness"] = std::isfinite(r.rule->fitness(e)) ? json(r.rule->fitness(e)) : json();
        row["cached"] = e.cached;
        rows += row.dump() + "\n";
    }
    write_text(dir, "evaluations.jsonl", rows);
    std::string advice;
    for (const json& entry : *r.advisor_log) advice += entry.dump() + "\n";
    if (!advice.empty()) write_text(dir, "advisor.jsonl", advice);

    const bool lower = r.fitness->lower_is_better();
    const std::vector<Evaluation> front = pareto_front(*r.evaluations, lower);
    json pareto = json::array();
    for (const Evaluation& e : front)
        pareto.push_back({{"compression", e.compression}, {"quality", e.quality}, {"feasible", r.rule->feasible(e)},
                          {"key", e.key}, {"config", r.space->config_json(e.genes)}, {"detail", e.detail}});
    write_text(dir, "pareto.json",
               json{{"quality", lower ? "cer" : "accuracy"}, {"front", pareto}}.dump(2) + "\n");
    write_text(dir, "pareto.md", pareto_markdown(front, r));
    write_text(dir, "pareto.svg", pareto_svg(front, r));

    json record = r.record;
    record["fitness"] = r.fitness->identity();
    record["rule"] = r.rule->to_json();
    record["space"] = {{"base", r.space->base_preset()}, {"sha256", source_digest(r.space->text())}};
    if (r.best) {
        record["best"] = {{"key", r.best->key}, {"quality", r.best->quality}, {"compression", r.best->compression},
                          {"feasible", r.rule->feasible(*r.best)}, {"config", r.space->config_json(r.best->genes)},
                          {"detail", r.best->detail}};
        // A complete config (the base preset's keys too), as `glyph render --config` reads it.
        write_text(dir, "best.json", to_json(r.space->resolve(r.best->genes)).dump(2) + "\n");
    }
    write_text(dir, "search.json", record.dump(2) + "\n");
}

}  // namespace glyph::search
