// The search space: which config keys a candidate varies, their ranges and
// distributions, the constraints between them, and the genetic operators
// that stay inside it.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "eval/prng.h"
#include "glyph/config_json.h"
#include "glyph/data_path.h"
#include "glyph/search.h"

namespace glyph::search {

using nlohmann::json;

struct Rng::State {
    explicit State(uint64_t seed) : prng(seed) {}
    eval::Prng prng;
};
Rng::Rng(uint64_t seed) : state_(std::make_unique<State>(seed)) {}
Rng::~Rng() = default;
uint64_t Rng::below(uint64_t n) { return state_->prng.below(n); }
double Rng::unit() { return double(state_->prng.next() >> 11) * 0x1.0p-53; }

namespace {

// Space files are small; anything bigger is not one.
constexpr size_t kMaxSpaceBytes = 1 << 20;
constexpr size_t kMaxChoices = 1000;

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
    throw SearchError("search space " + origin + ": " + what);
}

double number_field(const json& o, const char* name, const std::string& origin, const std::string& where) {
    if (!o.contains(name) || !o[name].is_number()) fail(origin, where + " needs a number \"" + name + "\"");
    const double v = o[name].get<double>();
    if (!std::isfinite(v)) fail(origin, where + " \"" + name + "\" is not finite");
    return v;
}

double weight_field(const json& o, const std::string& origin, const std::string& where) {
    if (!o.contains("weight")) return 1;
    const double w = number_field(o, "weight", origin, where);
    if (w <= 0) fail(origin, where + " \"weight\" must be positive");
    return w;
}

KeySpec parse_number(const std::string& key, const json& o, const std::string& origin) {
    KeySpec spec;
    spec.key = key;
    spec.is_number = true;
    const std::string where = "key \"" + key + "\"";
    if (o.contains("step")) {
        spec.step = number_field(o, "step", origin, where);
        if (spec.step < 0) fail(origin, where + " \"step\" must be >= 0");
    }
    if (o.contains("mixture")) {
        if (!o["mixture"].is_array() || o["mixture"].empty() || o["mixture"].size() > kMaxChoices)
            fail(origin, where + " \"mixture\" must be a non-empty list of {min, max, weight} or {values, weight}");
        for (const json& part : o["mixture"]) {
            if (!part.is_object()) fail(origin, where + " \"mixture\" entries must be objects");
            NumberRange r;
            r.weight = weight_field(part, origin, where);
            if (part.contains("values")) {
                if (!part["values"].is_array() || part["values"].empty() || part["values"].size() > kMaxChoices)
                    fail(origin, where + " mixture \"values\" must be a non-empty list of numbers");
                for (const json& v : part["values"]) {
                    if (!v.is_number()) fail(origin, where + " mixture \"values\" must be numbers");
                    r.values.push_back(v.get<double>());
                }
                r.min = *std::min_element(r.values.begin(), r.values.end());
                r.max = *std::max_element(r.values.begin(), r.values.end());
            } else {
                r.min = number_field(part, "min", origin, where + " mixture entry");
                r.max = number_field(part, "max", origin, where + " mixture entry");
            }
            if (r.min > r.max) fail(origin, where + " has a range whose min is above its max");
            spec.mixture.push_back(r);
        }
    } else {
        NumberRange r;
        r.min = number_field(o, "min", origin, where);
        r.max = number_field(o, "max", origin, where);
        if (r.min > r.max) fail(origin, where + " \"min\" is above \"max\"");
        spec.mixture.push_back(r);
    }
    spec.min = spec.mixture.front().min;
    spec.max = spec.mixture.front().max;
    for (const NumberRange& r : spec.mixture) {
        spec.min = std::min(spec.min, r.min);
        spec.max = std::max(spec.max, r.max);
    }
    return spec;
}

KeySpec parse_choice(const std::string& key, const json& o, const std::string& origin) {
    KeySpec spec;
    spec.key = key;
    const std::string where = "key \"" + key + "\"";
    if (!o.contains("choices") || !o["choices"].is_array() || o["choices"].empty() ||
        o["choices"].size() > kMaxChoices)
        fail(origin, where + " needs a non-empty list \"choices\" (at most 1000)");
    for (const json& c : o["choices"]) {
        if (!c.is_string() && !c.is_number() && !c.is_boolean())
            fail(origin, where + " choices must be strings, numbers or booleans");
        spec.choices.push_back(c);
    }
    if (o.contains("weights")) {
        if (!o["weights"].is_array() || o["weights"].size() != spec.choices.size())
            fail(origin, where + " \"weights\" must list one positive number per choice");
        for (const json& w : o["weights"]) {
            if (!w.is_number() || w.get<double>() <= 0)
                fail(origin, where + " \"weights\" must list one positive number per choice");
            spec.weights.push_back(w.get<double>());
        }
    } else {
        spec.weights.assign(spec.choices.size(), 1.0);
    }
    return spec;
}

size_t weighted_pick(const std::vector<double>& weights, Rng& rng) {
    double total = 0;
    for (double w : weights) total += w;
    double x = rng.unit() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
        if (x < weights[i]) return i;
        x -= weights[i];
    }
    return weights.size() - 1;
}

double luminance(Color c) { return (0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b) / 255.0; }

bool numbers_equal(const json& a, const json& b) {
    return a.is_number() && b.is_number() && std::fabs(a.get<double>() - b.get<double>()) < 1e-9;
}

size_t choice_index(const KeySpec& spec, const json& value) {
    for (size_t i = 0; i < spec.choices.size(); ++i)
        if (spec.choices[i] == value || numbers_equal(spec.choices[i], value)) return i;
    return spec.choices.size();
}

std::string file_text(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw SearchError("search space file " + path + " not found");
    if (std::filesystem::file_size(path, ec) > kMaxSpaceBytes)
        throw SearchError("search space file " + path + " is over 1 MiB: not a space file");
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    if (!in && !in.eof()) throw SearchError("cannot read search space file " + path);
    return s.str();
}

}  // namespace

std::string default_space_path() {
    const std::string path = find_data_file("share/search/space-default.json");
    if (path.empty())
        throw SearchError("the default search space share/search/space-default.json is in none of " + data_dirs_line() +
                          "; pass --space FILE");
    return path;
}

SearchSpace SearchSpace::load(const std::string& path) { return parse(file_text(path), path); }

SearchSpace SearchSpace::parse(const std::string& json_text, const std::string& origin) {
    if (json_text.size() > kMaxSpaceBytes) fail(origin, "over 1 MiB: not a space file");
    const json doc = json::parse(json_text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) fail(origin, "not a JSON object");
    for (const auto& [name, v] : doc.items())
        if (name != "comment" && name != "version" && name != "base" && name != "fixed" && name != "keys" &&
            name != "constraints")
            fail(origin, "unknown field \"" + name + "\" (allowed: comment, version, base, fixed, keys, constraints)");
    if (doc.contains("version") && doc["version"] != 1) fail(origin, "\"version\" must be 1");
    SearchSpace space;
    space.text_ = json_text;
    space.base_ = doc.value("base", std::string("en"));
    try {
        (void)preset(space.base_);
    } catch (const ConfigError& e) {
        fail(origin, std::string("\"base\": ") + e.what());
    }
    if (doc.contains("fixed")) {
        if (!doc["fixed"].is_object()) fail(origin, "\"fixed\" must be an object of config keys");
        space.fixed_ = doc["fixed"];
    }
    if (!doc.contains("keys") || !doc["keys"].is_object() || doc["keys"].empty())
        fail(origin, "needs an object \"keys\": config key -> {\"type\": \"number\" | \"choice\", ...}");
    for (const auto& [key, o] : doc["keys"].items()) {
        if (!is_config_key(key)) fail(origin, unknown_key_message(key));
        if (space.fixed_.contains(key)) fail(origin, "key \"" + key + "\" is both fixed and varied");
        if (!o.is_object() || !o.contains("type") || !o["type"].is_string())
            fail(origin, "key \"" + key + "\" needs \"type\": \"number\" or \"choice\"");
        const std::string type = o["type"].get<std::string>();
        KeySpec spec;
        if (type == "number") spec = parse_number(key, o, origin);
        else if (type == "choice") spec = parse_choice(key, o, origin);
        else fail(origin, "key \"" + key + "\" type \"" + type + "\" is not allowed (number, choice)");
        if (o.contains("relative-to")) {
            if (!o["relative-to"].is_string()) fail(origin, "key \"" + key + "\" \"relative-to\" must name a key");
            spec.relative_to = o["relative-to"].get<std::string>();
        }
        space.keys_.push_back(std::move(spec));
    }
    for (const KeySpec& spec : space.keys_) {
        if (spec.relative_to.empty()) continue;
        const bool varied = std::any_of(space.keys_.begin(), space.keys_.end(), [&](const KeySpec& k) {
            return k.key == spec.relative_to && k.relative_to.empty();
        });
        if (!varied) fail(origin, "key \"" + spec.key + "\" is relative to \"" + spec.relative_to +
                                      "\", which is not a varied (non-relative) key");
    }
    if (doc.contains("constraints")) {
        const json& c = doc["constraints"];
        if (!c.is_object()) fail(origin, "\"constraints\" must be an object");
        for (const auto& [name, v] : c.items()) {
            if (!v.is_number()) fail(origin, "constraint \"" + name + "\" must be a number");
            if (name == "min-text-width") space.constraints_.min_text_width = v.get<double>();
            else if (name == "min-text-height") space.constraints_.min_text_height = v.get<double>();
            else if (name == "min-contrast") space.constraints_.min_contrast = v.get<double>();
            else fail(origin, "constraint \"" + name + "\" is unknown (min-text-width, min-text-height, min-contrast)");
        }
    }
    try {
        (void)apply_config(space.fixed_, preset(space.base_), ".", UnknownKeys::Reject);
    } catch (const ConfigError& e) {
        fail(origin, std::string("\"fixed\": ") + e.what());
    }
    return space;
}

std::string SearchSpace::constraint_lines() const {
    std::ostringstream s;
    s << "line-height >= font-size (line-height is font-size plus a non-negative offset)\n"
      << "text width (page width - 2 margin-x - left-indent - right-indent) >= " << constraints_.min_text_width
      << " pt\n"
      << "text height (page height - 2 margin-y) >= " << constraints_.min_text_height << " pt\n"
      << "|luminance(font-color) - luminance(page-bg-color)| >= " << constraints_.min_contrast << "\n"
      << "the config passes glyph's own validation (fonts readable, margins inside the page)\n";
    return s.str();
}

json SearchSpace::config_json(const Genes& genes) const {
    json config = fixed_;
    for (const KeySpec& spec : keys_) {
        auto it = genes.find(spec.key);
        if (it == genes.end()) continue;
        if (spec.relative_to.empty()) {
            config[spec.key] = it->second;
            continue;
        }
        auto base = genes.find(spec.relative_to);
        if (base == genes.end() || !base->second.is_number() || !it->second.is_number()) continue;
        const double v = base->second.get<double>() + it->second.get<double>();
        config[spec.key] = std::round(v * 1000) / 1000;
    }
    return config;
}

RenderConfig SearchSpace::resolve(const Genes& genes) const {
    return apply_config(config_json(genes), preset(base_), ".", UnknownKeys::Reject);
}

std::string SearchSpace::violation(const Genes& genes) const {
    for (const KeySpec& spec : keys_)
        if (!genes.count(spec.key)) return "key \"" + spec.key + "\" has no value";
    RenderConfig c;
    try {
        c = resolve(genes);
        validate(c);
    } catch (const ConfigError& e) {
        return e.what();
    }
    if (c.leading() < c.font_size) return "line-height is below font-size";
    const double width = c.page_width - 2 * c.margin_x - c.left_indent - c.right_indent;
    if (width < constraints_.min_text_width) return "text width " + std::to_string(int(width)) + " pt is too small";
    const double height = c.page_height - 2 * c.margin_y;
    if (height < constraints_.min_text_height) return "text height " + std::to_string(int(height)) + " pt is too small";
    if (std::fabs(luminance(c.font_color) - luminance(c.page_bg_color)) < constraints_.min_contrast)
        return "font and page colours are too close";
    return "";
}

json SearchSpace::snap(const KeySpec& spec, double value) const {
    value = std::clamp(value, spec.min, spec.max);
    if (spec.step > 0) {
        value = spec.min + std::round((value - spec.min) / spec.step) * spec.step;
        if (value > spec.max + 1e-9) value -= spec.step;
        value = std::round(value * 1e6) / 1e6;
    }
    if (value == std::floor(value) && std::fabs(value) < 1e9) return json(int64_t(value));
    return json(value);
}

Genes SearchSpace::sample(Rng& rng) const {
    Genes genes;
    for (const KeySpec& spec : keys_) {
        if (!spec.is_number) {
            genes[spec.key] = spec.choices[weighted_pick(spec.weights, rng)];
            continue;
        }
        std::vector<double> weights;
        for (const NumberRange& r : spec.mixture) weights.push_back(r.weight);
        const NumberRange& r = spec.mixture[weighted_pick(weights, rng)];
        if (!r.values.empty()) genes[spec.key] = snap(spec, r.values[rng.below(r.values.size())]);
        else genes[spec.key] = snap(spec, r.min + rng.unit() * (r.max - r.min));
    }
    return genes;
}

Genes SearchSpace::mutate(const Genes& genes, double rate, Rng& rng) const {
    Genes out = genes;
    for (const KeySpec& spec : keys_) {
        if (rng.unit() >= rate) continue;
        // A third of mutations redraw the key from its distribution (a jump);
        // the others move it to a neighbouring value (a local step).
        const bool redraw = rng.below(3) == 0;
        if (!spec.is_number) {
            const size_t n = spec.choices.size();
            size_t i = choice_index(spec, out[spec.key]);
            if (redraw || i >= n || n < 2) i = weighted_pick(spec.weights, rng);
            else i = (i == 0) ? 1 : (i + 1 == n) ? n - 2 : (rng.below(2) ? i + 1 : i - 1);
            out[spec.key] = spec.choices[i];
            continue;
        }
        if (redraw) {
            Genes fresh = sample(rng);
            out[spec.key] = fresh[spec.key];
            continue;
        }
        const double span = spec.max - spec.min;
        const double current = out[spec.key].is_number() ? out[spec.key].get<double>() : spec.min;
        // A step of up to a tenth of the range, at least one `step`.
        double delta = (rng.unit() * 2 - 1) * span / 10;
        if (spec.step > 0 && std::fabs(delta) < spec.step) delta = delta < 0 ? -spec.step : spec.step;
        out[spec.key] = snap(spec, current + delta);
    }
    return out;
}

Genes SearchSpace::crossover(const Genes& a, const Genes& b, Rng& rng) const {
    Genes child;
    for (const KeySpec& spec : keys_) {
        const Genes& from = rng.below(2) ? a : b;
        auto it = from.find(spec.key);
        if (it != from.end()) child[spec.key] = it->second;
    }
    // A relative key travels with the key it is relative to, so a child of
    // two valid parents keeps a leading its font size was chosen with.
    for (const KeySpec& spec : keys_)
        if (!spec.relative_to.empty()) {
            const Genes& from = (child[spec.relative_to] == a.at(spec.relative_to)) ? a : b;
            child[spec.key] = from.at(spec.key);
        }
    return child;
}

ProposalCheck SearchSpace::check_proposal(const json& config) const {
    ProposalCheck check;
    if (!config.is_object()) {
        check.note = "not a JSON object";
        return check;
    }
    Genes genes;
    std::string clamped;
    for (const KeySpec& spec : keys_) {
        if (!config.contains(spec.key)) {
            check.note = "lacks key \"" + spec.key + "\"";
            return check;
        }
        json v = config[spec.key];
        if (!spec.relative_to.empty()) {
            // The proposal gives the config value; the gene is its offset.
            const json& base = genes[spec.relative_to];
            if (!v.is_number() || !base.is_number()) {
                check.note = "\"" + spec.key + "\" is not a number";
                return check;
            }
            v = v.get<double>() - base.get<double>();
        }
        if (spec.is_number) {
            if (!v.is_number()) {
                check.note = "\"" + spec.key + "\" is not a number";
                return check;
            }
            const json snapped = snap(spec, v.get<double>());
            if (!numbers_equal(snapped, v)) {
                ++check.clamped;
                clamped += " " + spec.key + "=" + snapped.dump();
            }
            genes[spec.key] = snapped;
            continue;
        }
        size_t i = choice_index(spec, v);
        if (i == spec.choices.size() && v.is_number()) {
            // The nearest numeric choice.
            double best = INFINITY;
            for (size_t k = 0; k < spec.choices.size(); ++k)
                if (spec.choices[k].is_number()) {
                    const double d = std::fabs(spec.choices[k].get<double>() - v.get<double>());
                    if (d < best) best = d, i = k;
                }
            if (i < spec.choices.size()) {
                ++check.clamped;
                clamped += " " + spec.key + "=" + spec.choices[i].dump();
            }
        }
        if (i == spec.choices.size()) {
            check.note = "\"" + spec.key + "\" " + v.dump() + " is not one of its choices";
            return check;
        }
        genes[spec.key] = spec.choices[i];
    }
    // Keys outside the space must not change what the space fixes.
    const json resolved = to_json(preset(base_));
    for (const auto& item : config.items()) {
        const std::string& key = item.key();  // a named variable: clang 14 cannot capture a structured binding
        const json& v = item.value();
        if (std::any_of(keys_.begin(), keys_.end(), [&](const KeySpec& k) { return k.key == key; })) continue;
        const json& expected = fixed_.contains(key) ? fixed_[key] : resolved.contains(key) ? resolved[key] : json();
        if (expected.is_null() && !is_config_key(key)) {
            check.note = "unknown key \"" + key + "\"";
            return check;
        }
        if (!(expected == v || numbers_equal(expected, v))) {
            check.note = "key \"" + key + "\" is fixed by the space";
            return check;
        }
    }
    const std::string why = violation(genes);
    if (!why.empty()) {
        check.note = why;
        return check;
    }
    if (check.clamped) check.note = "clamped:" + clamped;
    check.genes = std::move(genes);
    return check;
}

}  // namespace glyph::search
