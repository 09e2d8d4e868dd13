// Reports of run folders: each scored against the data files its run.json
// names, with the benchmarks' own metrics, then tabulated side by side
// (Markdown, JSON) and drawn as score against context length (SVG).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "glyph/eval_run.h"
#include "glyph/render.h"
#include "item_key.h"
#include "python_text.h"
#include "util/jsonl_files.h"
#include "util/svg_chart.h"

namespace glyph::eval {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_file(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw EvalError("cannot read " + what + " " + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Power-of-two context bins as openai's MRCR grader draws them: (lo, hi].
std::string power_bin(int64_t n) {
    int64_t hi = 4096;
    while (hi < n && hi < (int64_t(1) << 40)) hi *= 2;
    auto k = [](int64_t v) { return v >= 1048576 ? std::to_string(v / 1048576) + "M" : std::to_string(v / 1024) + "K"; };
    return hi == 4096 ? "0-4K" : k(hi / 2) + "-" + k(hi);
}

int64_t bin_order(const std::string& bin) {
    if (bin == "0-4k") return 0;
    if (bin == "4-8k") return 1;
    if (bin == "8k+") return 2;
    const size_t dash = bin.find('-');
    const std::string hi = bin.substr(dash + 1);
    const int64_t v = std::stoll(hi.substr(0, hi.size() - 1));
    return hi.back() == 'M' ? v * 1048576 : v * 1024;
}

struct RowInfo {
    std::string pred;
    int64_t context_tokens = 0, text_tokens = 0, vision_tokens = 0, pages = 0, length = -1;
    double latency_ms = 0;
    bool pages_mode = false;
};

template <class Item>
std::vector<Item> with_joined_ids(std::vector<Item> items, const std::string& data) {
    for (Item& it : items) it.id = item_key(data, it.id);
    return items;
}

std::string fmt(double v, int decimals = 2) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}


}  // namespace

RunScores score_run(const std::string& dir, const ScoreOptions& options) {
    const std::string run_path = (fs::path(dir) / "run.json").string();
    json run;
    try {
        run = parse_json_bounded(read_file(run_path, "run record"), 64);
    } catch (const EvalError&) {
        throw;
    } catch (const std::exception& e) {
        throw EvalError(run_path + " is not JSON: " + std::string(e.what()).substr(0, 120));
    }
    RunScores out;
    out.dir = dir;
    out.label = run.value("label", fs::path(dir).lexically_normal().filename().string());
    if (out.label.empty() || out.label == ".") out.label = fs::absolute(dir).lexically_normal().filename().string();
    const auto bench = parse_bench(run.value("bench", ""));
    if (!bench) throw EvalError(run_path + " names no benchmark (\"bench\")");
    out.bench = *bench;
    out.send = run.value("send", "pages");
    const char* idcol = id_column(out.bench);

    // Predictions, by (data, id); a later row wins.
    std::map<std::string, RowInfo> rows;
    const std::string pred_path = (fs::path(dir) / "predictions.jsonl").string();
    if (fs::exists(pred_path)) {
        LineReader reader(pred_path, "predictions file");
        std::string line;
        bool too_long = false;
        while (reader.next(line, too_long)) {
            if (too_long) continue;
            json row = json::parse(line, nullptr, false);
            if (!row.is_object() || !row.contains("data") || !row.contains(idcol) || !row.contains("pred") ||
                !row["pred"].is_string() || !row["data"].is_string())
                continue;
            RowInfo info;
            info.pred = row["pred"].get<std::string>();
            info.pages_mode = row.value("send", "pages") == "pages";
            auto num = [&](const char* k) { return row.contains(k) && row[k].is_number() ? row[k].get<int64_t>() : 0; };
            info.context_tokens = num("context_tokens");
            info.text_tokens = num("text_tokens");
            info.vision_tokens = num("vision_tokens");
            info.pages = num("pages");
            info.length = row.contains("length") && row["length"].is_number() ? row["length"].get<int64_t>() : -1;
            info.latency_ms = row.contains("latency_ms") && row["latency_ms"].is_number() ? row["latency_ms"].get<double>() : 0;
            rows[item_key(row["data"].get<std::string>(), id_text(row[idcol]))] = std::move(info);
        }
    }
    const std::string fail_path = (fs::path(dir) / "failures.jsonl").string();
    if (fs::exists(fail_path)) {
        LineReader reader(fail_path, "failures file");
        std::string line;
        bool too_long = false;
        while (reader.next(line, too_long)) {
            const json row = too_long ? json() : json::parse(line, nullptr, false);
            if (!row.is_object()) continue;
            ++out.failures;
            if (row.value("stage", "") == "context") ++out.too_long;
        }
    }

    // The data files, read as the run read them.
    const json read = run.value("read", json::object());
    FieldMap fields;
    const json field_names = read.value("fields", json::object());
    for (const auto& [k, v] : field_names.items())
        if (v.is_string()) fields.renamed[k] = v.get<std::string>();
    std::vector<LongBenchItem> lb;
    std::vector<MrcrItem> mrcr;
    std::vector<RulerItem> ruler;
    const json data_files = run.value("data", json::object());
    for (const auto& [name, file] : data_files.items()) {
        const std::string path = file.value("path", "");
        const std::string bytes = read_file(path, "data file");
        if (file.contains("sha256") && source_digest(bytes) != file.value("sha256", ""))
            throw EvalError("data file " + path + " changed since the run in " + dir + " (another sha256)");
        switch (out.bench) {
            case Bench::kLongBench: {
                const std::string ds = read.value("dataset", "");
                auto items = read_longbench(path, fields, ds.empty() ? longbench_dataset_from_path(path) : ds).items;
                for (auto& it : with_joined_ids(std::move(items), name)) lb.push_back(std::move(it));
                break;
            }
            case Bench::kMrcr:
                for (auto& it : with_joined_ids(read_mrcr(path, fields).items, name)) mrcr.push_back(std::move(it));
                break;
            case Bench::kRuler: {
                const std::string task = read.value("task", "");
                auto items = read_ruler(path, fields, task.empty() ? ruler_task_from_path(path) : task).items;
                for (auto& it : with_joined_ids(std::move(items), name)) ruler.push_back(std::move(it));
                break;
            }
        }
    }

    std::vector<Prediction> preds;
    for (const auto& [key, info] : rows) preds.push_back({key, info.pred, preds.size()});
    std::unique_ptr<Jieba> jieba;
    std::map<std::string, std::vector<double>> bins;
    auto add_bin = [&](const std::string& bin, double score) { bins[bin].push_back(score); };
    auto totals = [&](const std::string& key) -> const RowInfo* {
        const auto it = rows.find(key);
        return it == rows.end() ? nullptr : &it->second;
    };
    std::vector<const RowInfo*> matched;
    switch (out.bench) {
        case Bench::kLongBench:
            out.scores = score_longbench(lb, preds, options);
            for (const auto& it : lb) {
                const RowInfo* r = totals(it.id);
                if (!r) continue;
                matched.push_back(r);
                const Jieba* j = nullptr;
                if (longbench_needs_jieba(it.dataset)) {
                    if (!jieba) jieba = Jieba::load(options.jieba_dir.empty() ? Jieba::default_dir() : options.jieba_dir);
                    j = jieba.get();
                }
                add_bin(longbench_length_bucket(it.length),
                        longbench_item_score(it.dataset, r->pred, it.answers, it.all_classes, j));
            }
            break;
        case Bench::kMrcr:
            out.scores = score_mrcr(mrcr, preds, options);
            for (const auto& it : mrcr) {
                const RowInfo* r = totals(it.id);
                if (!r) continue;
                matched.push_back(r);
                std::string reply = r->pred;
                if (options.mrcr_drop_user_token)
                    for (size_t at; (at = reply.find("<|user|>")) != std::string::npos;) reply.erase(at, 8);
                add_bin(power_bin(r->context_tokens + r->text_tokens), mrcr_grade(reply, it.answer, it.random_prefix));
            }
            break;
        case Bench::kRuler:
            out.scores = score_ruler(ruler, preds, options);
            for (const auto& it : ruler) {
                const RowInfo* r = totals(it.id);
                if (!r) continue;
                matched.push_back(r);
                add_bin(power_bin(it.length > 0 ? it.length : r->context_tokens + r->text_tokens),
                        ruler_item_score(it.task, r->pred, it.outputs));
            }
            break;
    }
    out.predictions = matched.size();
    double text = 0, vision = 0, context = 0, pages = 0, latency = 0;
    for (const RowInfo* r : matched) {
        text += double(r->context_tokens + r->text_tokens);
        context += double(r->context_tokens);
        vision += double(r->vision_tokens);
        pages += double(r->pages);
        latency += r->latency_ms;
    }
    if (!matched.empty()) {
        const double n = double(matched.size());
        out.mean_text_tokens = text / n;
        out.mean_vision_tokens = vision / n;
        out.mean_pages = pages / n;
        out.mean_latency_ms = latency / n;
    }
    out.compression = vision > 0 ? context / vision : 0;
    for (const auto& [bin, scores] : bins) out.by_length.push_back({bin, {mean_percent(scores), scores.size()}});
    std::sort(out.by_length.begin(), out.by_length.end(),
              [](const auto& a, const auto& b) { return bin_order(a.first) < bin_order(b.first); });
    return out;
}

std::string report_markdown(const std::vector<RunScores>& runs) {
    std::ostringstream md;
    std::vector<std::string> groups;
    for (const auto& r : runs)
        for (const auto& g : r.scores.groups)
            if (std::find(groups.begin(), groups.end(), g.name) == groups.end()) groups.push_back(g.name);
    md << "| | " ;
    for (size_t i = 0; i < runs.size(); ++i) md << runs[i].label << " (" << runs[i].send << ") | ";
    md << "\n|---|";
    for (size_t i = 0; i < runs.size(); ++i) md << "---:|";
    md << "\n";
    auto row = [&](const std::string& name, const std::function<std::string(const RunScores&)>& cell) {
        md << "| " << name << " | ";
        for (const auto& r : runs) md << cell(r) << " | ";
        md << "\n";
    };
    for (const std::string& g : groups)
        row(g, [&](const RunScores& r) {
            for (const auto& s : r.scores.groups)
                if (s.name == g) return fmt(s.score);
            return std::string("–");
        });
    row("**average**", [](const RunScores& r) { return "**" + fmt(r.scores.average) + "**"; });
    row("items scored", [](const RunScores& r) { return std::to_string(r.predictions); });
    row("failed (too long)", [](const RunScores& r) {
        return std::to_string(r.failures) + " (" + std::to_string(r.too_long) + ")";
    });
    row("mean text tokens", [](const RunScores& r) { return fmt(r.mean_text_tokens, 0); });
    row("mean vision tokens", [](const RunScores& r) { return r.send == "pages" ? fmt(r.mean_vision_tokens, 0) : "–"; });
    row("mean pages", [](const RunScores& r) { return r.send == "pages" ? fmt(r.mean_pages, 1) : "–"; });
    row("compression", [](const RunScores& r) { return r.compression > 0 ? fmt(r.compression) + "×" : "–"; });
    row("mean latency (s)", [](const RunScores& r) { return fmt(r.mean_latency_ms / 1000, 2); });

    std::vector<std::string> bins;
    for (const auto& r : runs)
        for (const auto& b : r.by_length)
            if (std::find(bins.begin(), bins.end(), b.first) == bins.end()) bins.push_back(b.first);
    std::sort(bins.begin(), bins.end(), [](const std::string& a, const std::string& b) { return bin_order(a) < bin_order(b); });
    if (!bins.empty()) {
        md << "\n| length | ";
        for (const auto& r : runs) md << r.label << " | ";
        md << "\n|---|";
        for (size_t i = 0; i < runs.size(); ++i) md << "---:|";
        md << "\n";
        for (const std::string& b : bins)
            row(b, [&](const RunScores& r) {
                for (const auto& [name, v] : r.by_length)
                    if (name == b) return fmt(v.first) + " (" + std::to_string(v.second) + ")";
                return std::string("–");
            });
    }
    return md.str();
}

json report_json(const std::vector<RunScores>& runs) {
    json out = json::array();
    for (const auto& r : runs) {
        json scores = json::object(), items = json::object(), by_length = json::object();
        for (const auto& g : r.scores.groups) {
            scores[g.name] = g.score;
            items[g.name] = {{"scored", g.scored}, {"missing", g.missing}};
        }
        scores["average"] = r.scores.average;
        for (const auto& [bin, v] : r.by_length) by_length[bin] = {{"score", v.first}, {"items", v.second}};
        out.push_back({{"dir", r.dir},
                       {"label", r.label},
                       {"bench", bench_name(r.bench)},
                       {"send", r.send},
                       {"scores", scores},
                       {"items", items},
                       {"predictions", r.predictions},
                       {"failures", r.failures},
                       {"too_long", r.too_long},
                       {"mean_text_tokens", r.mean_text_tokens},
                       {"mean_vision_tokens", r.mean_vision_tokens},
                       {"mean_pages", r.mean_pages},
                       {"compression", r.compression},
                       {"mean_latency_ms", r.mean_latency_ms},
                       {"by_length", by_length}});
    }
    return {{"runs", out}};
}

std::string report_svg(const std::vector<RunScores>& runs) {
    std::vector<std::string> bins;
    for (const auto& r : runs)
        for (const auto& b : r.by_length)
            if (std::find(bins.begin(), bins.end(), b.first) == bins.end()) bins.push_back(b.first);
    std::sort(bins.begin(), bins.end(), [](const std::string& a, const std::string& b) { return bin_order(a) < bin_order(b); });
    // Bins are categories, one x position each (a lone bin sits in the middle).
    Chart chart;
    chart.title = "score by context length";
    chart.x = {"context length (tokens)", bins.size() <= 1 ? -1.0 : 0.0, bins.size() <= 1 ? 1.0 : double(bins.size() - 1), {}};
    for (size_t i = 0; i < bins.size(); ++i) chart.x.ticks.push_back({double(i), bins[i]});
    chart.y = {"", 0, 100, {}};
    for (int s = 0; s <= 100; s += 20) chart.y.ticks.push_back({double(s), std::to_string(s)});
    for (const RunScores& run : runs) {
        ChartSeries series;
        series.label = run.label + " (" + run.send;
        if (run.compression > 0) series.label += ", " + fmt(run.compression, 1) + "×";
        series.label += ")";
        for (size_t i = 0; i < bins.size(); ++i)
            for (const auto& [bin, v] : run.by_length)
                if (bin == bins[i]) series.points.push_back({double(i), v.first});
        chart.series.push_back(std::move(series));
    }
    return chart_svg(chart);
}

}  // namespace glyph::eval
