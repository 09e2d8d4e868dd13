// Pairs predictions with benchmark items and scores them per dataset / task,
// as each benchmark's own evaluation script aggregates.
#include <unordered_map>

#include "eval/python_text.h"
#include "glyph/eval.h"

namespace glyph::eval {

namespace {

// id -> prediction text. Rows without an id stand for the data item at
// their position; a later row for an id replaces an earlier one.
template <class Item>
std::unordered_map<std::string, const std::string*> index_predictions(const std::vector<Item>& items,
                                                                      const std::vector<Prediction>& preds,
                                                                      std::vector<LineFailure>& unmatched) {
    std::unordered_map<std::string, const std::string*> out;
    for (const auto& p : preds) {
        if (p.id) {
            out[*p.id] = &p.pred;
        } else if (p.row < items.size()) {
            out[items[p.row].id] = &p.pred;
        } else {
            unmatched.push_back({p.row + 1, "prediction row " + std::to_string(p.row + 1) +
                                                " has no id and the data has only " + std::to_string(items.size()) +
                                                " items"});
        }
    }
    return out;
}

// Groups in first-seen order, each with its item scores.
struct Groups {
    std::vector<std::string> order;
    std::unordered_map<std::string, std::vector<double>> scores;
    std::unordered_map<std::string, size_t> missing;
    std::unordered_map<std::string, std::map<std::string, std::vector<double>>> buckets;

    void see(const std::string& name) {
        if (!scores.count(name) && !missing.count(name)) order.push_back(name);
        scores[name];
        missing[name];
    }
};

ScoreReport finish(Bench bench, Groups& groups, std::vector<std::string> missing_ids,
                   std::vector<LineFailure> unmatched) {
    ScoreReport report;
    report.bench = bench;
    std::vector<double> group_scores;
    for (const auto& name : groups.order) {
        GroupScore g;
        g.name = name;
        const auto& s = groups.scores[name];
        g.scored = s.size();
        g.missing = groups.missing[name];
        if (!s.empty()) {
            g.score = mean_percent(s);
            group_scores.push_back(g.score);
        }
        for (const auto& [bucket, values] : groups.buckets[name])
            if (!values.empty()) g.buckets[bucket] = mean_percent(values);
        report.groups.push_back(std::move(g));
    }
    if (!group_scores.empty()) {
        double sum = 0;
        for (double s : group_scores) sum += s;
        report.average = py::round_to(sum / static_cast<double>(group_scores.size()), 2);
    }
    report.missing_ids = std::move(missing_ids);
    report.unmatched_predictions = std::move(unmatched);
    return report;
}

}  // namespace

ScoreReport score_longbench(const std::vector<LongBenchItem>& items, const std::vector<Prediction>& preds,
                            const ScoreOptions& options) {
    std::vector<LineFailure> unmatched;
    auto by_id = index_predictions(items, preds, unmatched);
    std::unique_ptr<Jieba> jieba;
    for (const auto& item : items)
        if (!jieba && longbench_needs_jieba(item.dataset))
            jieba = Jieba::load(options.jieba_dir.empty() ? Jieba::default_dir() : options.jieba_dir);
    Groups groups;
    std::vector<std::string> missing_ids;
    for (const auto& item : items) {
        groups.see(item.dataset);
        auto it = by_id.find(item.id);
        if (it == by_id.end()) {
            ++groups.missing[item.dataset];
            missing_ids.push_back(item.id);
            continue;
        }
        double s = longbench_item_score(item.dataset, *it->second, item.answers, item.all_classes, jieba.get());
        groups.scores[item.dataset].push_back(s);
        if (options.length_buckets) groups.buckets[item.dataset][longbench_length_bucket(item.length)].push_back(s);
    }
    return finish(Bench::kLongBench, groups, std::move(missing_ids), std::move(unmatched));
}

ScoreReport score_mrcr(const std::vector<MrcrItem>& items, const std::vector<Prediction>& preds,
                       const ScoreOptions& options) {
    std::vector<LineFailure> unmatched;
    auto by_id = index_predictions(items, preds, unmatched);
    Groups groups;
    std::vector<std::string> missing_ids;
    for (const auto& item : items) {
        groups.see("mrcr");
        auto it = by_id.find(item.id);
        if (it == by_id.end()) {
            ++groups.missing["mrcr"];
            missing_ids.push_back(item.id);
            continue;
        }
        std::string reply = *it->second;
        if (options.mrcr_drop_user_token)
            for (size_t at; (at = reply.find("<|user|>")) != std::string::npos;) reply.erase(at, 8);
        groups.scores["mrcr"].push_back(mrcr_grade(reply, item.answer, item.random_prefix));
    }
    return finish(Bench::kMrcr, groups, std::move(missing_ids), std::move(unmatched));
}

ScoreReport score_ruler(const std::vector<RulerItem>& items, const std::vector<Prediction>& preds,
                        const ScoreOptions&) {
    std::vector<LineFailure> unmatched;
    auto by_id = index_predictions(items, preds, unmatched);
    Groups groups;
    std::vector<std::string> missing_ids;
    for (const auto& item : items) {
        groups.see(item.task);
        auto it = by_id.find(item.id);
        if (it == by_id.end()) {
            ++groups.missing[item.task];
            missing_ids.push_back(item.id);
            continue;
        }
        groups.scores[item.task].push_back(ruler_item_score(item.task, *it->second, item.outputs));
    }
    return finish(Bench::kRuler, groups, std::move(missing_ids), std::move(unmatched));
}

}  // namespace glyph::eval
