// Scoring a candidate config: OCR legibility offline, or benchmark accuracy
// through `glyph eval run`'s runner; and the rule that ranks the scores.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "glyph/accounting.h"
#include "glyph/config_json.h"
#include "glyph/render.h"
#include "glyph/search.h"
#include "glyph/version.h"

namespace glyph::search {

using nlohmann::json;

namespace {

// One line without its first word and the blanks after it (indentation kept);
// a line of fewer than two words as it is.
std::string without_first_word(const std::string& line) {
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    size_t word = 0;
    while (word < line.size() && blank(line[word])) ++word;
    size_t end = word;
    while (end < line.size() && !blank(line[end])) ++end;
    size_t next = end;
    while (next < line.size() && blank(line[next])) ++next;
    if (end == word || next == line.size()) return line;
    return line.substr(0, word) + line.substr(next);
}

}  // namespace

std::vector<NamedText> second_layout(const std::vector<NamedText>& texts) {
    std::vector<NamedText> out;
    out.reserve(texts.size());
    for (const NamedText& t : texts) {
        std::string text;
        text.reserve(t.text.size());
        size_t begin = 0;
        while (begin <= t.text.size()) {
            size_t nl = t.text.find('\n', begin);
            const bool last = nl == std::string::npos;
            if (last) nl = t.text.size();
            text += without_first_word(t.text.substr(begin, nl - begin));
            if (last) break;
            text += '\n';
            begin = nl + 1;
        }
        out.push_back({t.name + " (second layout)", std::move(text)});
    }
    return out;
}

OcrFitness::OcrFitness(std::vector<NamedText> texts, const Tokenizer& tokenizer, const VisionProfile& profile,
                       OcrFitnessOptions options)
    : texts_(std::move(texts)), tokenizer_(tokenizer), profile_(profile), options_(std::move(options)) {
    if (texts_.empty()) throw SearchError("the OCR fitness needs at least one validation text");
    if (!is_language_list(options_.language))
        throw SearchError("--lang \"" + options_.language + "\" is not a Tesseract language list (e.g. eng, chi_sim)");
}

json OcrFitness::identity() const {
    json data = json::array();
    for (const NamedText& t : texts_) data.push_back({{"name", t.name}, {"sha256", source_digest(t.text)}});
    return {{"fitness", "ocr"},
            {"data", data},
            {"language", options_.language},
            {"segment", "lines"},
            {"reference", "shown-text"},
            {"cer_rules", kCharacterErrorRules},
            {"give_up_cer", options_.give_up_cer},
            {"profile", profile_.name},
            {"tokenizer", options_.tokenizer_name},
            {"glyph", GLYPH_VERSION},
            {"tesseract", tesseract_version()}};
}

// Every validation text rendered with one config, priced as `glyph stats` prices it.
struct OcrFitness::Rendered {
    std::vector<RenderResult> renders;  // one per text
    int64_t text_tokens = 0, vision_tokens = 0;
    double compression() const { return vision_tokens ? double(text_tokens) / double(vision_tokens) : 0; }
};

OcrFitness::Rendered OcrFitness::render(const RenderConfig& config) const {
    Rendered r;
    r.renders.reserve(texts_.size());
    for (const NamedText& t : texts_) {
        r.renders.push_back(render_text(t.text, config));
        const CompressionStats stats = account(t.text, r.renders.back(), tokenizer_, profile_);
        r.text_tokens += stats.text.tokens;
        r.vision_tokens += stats.vision.tokens;
    }
    return r;
}

std::optional<double> OcrFitness::compression(const RenderConfig& config) const { return render(config).compression(); }

void OcrFitness::evaluate(const RenderConfig& config, Evaluation& out) const {
    OcrOptions ocr;
    ocr.language = options_.language;
    ocr.line_pitch_px = config.leading() * config.dpi / 72.0;
    const Rendered rendered = render(config);
    struct Shown {
        const Page* page;
        std::string text;
    };
    std::vector<Shown> pages;
    for (size_t i = 0; i < texts_.size(); ++i)
        for (const Page& p : rendered.renders[i].pages)
            pages.push_back({&p, shown_text(texts_[i].text, p.text_begin, p.text_end, config)});
    size_t all_chars = 0;
    for (const Shown& s : pages) all_chars += character_errors(s.text, "").reference_length;
    CharacterErrors read;
    size_t pages_read = 0;
    for (const Shown& s : pages) {
        // One page at a time on this thread: the candidates are what runs in parallel.
        const PageCheck check{s.page->number, &s.page->image, s.text};
        const PageReading r = read_back_pages({check}, ocr, 1).front();
        read.edits += r.errors.edits;
        read.reference_length += r.errors.reference_length;
        ++pages_read;
        if (options_.give_up_cer > 0 && double(read.edits) > options_.give_up_cer * double(all_chars)) break;
    }
    out.quality = read.reference_length ? double(read.edits) / double(read.reference_length) : 1.0;
    out.compression = rendered.compression();
    out.detail = {{"pages", pages.size()},
                  {"pages_read", pages_read},
                  {"text_tokens", rendered.text_tokens},
                  {"vision_tokens", rendered.vision_tokens},
                  {"edits", read.edits},
                  {"reference_chars", read.reference_length}};
}

TaskFitness::TaskFitness(std::vector<eval::Prompt> prompts, eval::RunSetup setup, json identity, std::string work_dir)
    : prompts_(std::move(prompts)), setup_(std::move(setup)), identity_(std::move(identity)),
      work_dir_(std::move(work_dir)) {
    if (prompts_.empty()) throw SearchError("the task fitness needs at least one validation item");
    identity_["fitness"] = "task";
    identity_["glyph"] = GLYPH_VERSION;
}

eval::RunSetup TaskFitness::setup_for(const RenderConfig& config) const {
    eval::RunSetup setup = setup_;
    // Glyph's evaluation renderer on top of the candidate, as `eval run` does.
    const json candidate = to_json(config);
    setup.config_for = [candidate](const std::string&, bool marker) {
        json keys = candidate;
        keys["paragraph-lines"] = 0;
        keys["tab-spaces"] = 4;
        if (marker) keys["newline-markup"] = eval::kGlyphNewlineMarker;
        return apply_config(keys, RenderConfig{}, ".", UnknownKeys::Reject);
    };
    setup.run_record["render"] = {{"config", candidate}};
    return setup;
}

std::optional<double> TaskFitness::compression(const RenderConfig& config) const {
    return eval::priced_compression(prompts_, setup_for(config));
}

void TaskFitness::evaluate(const RenderConfig& config, Evaluation& out) const {
    const eval::RunSetup setup = setup_for(config);
    const std::string dir = (std::filesystem::path(work_dir_) / out.key).string();
    const eval::RunSummary summary = eval::run_prompts(prompts_, setup, dir);
    if (summary.fatal) throw SearchError(summary.fatal_message);
    if (!summary.failures.empty())
        throw SearchError(std::to_string(summary.failures.size()) + " items failed (see " + summary.failures_path +
                          "): " + summary.failures.front().error);
    const eval::RunScores scores = eval::score_run(dir, {});
    out.quality = scores.scores.average;
    out.compression = scores.compression;
    out.detail = {{"items", scores.predictions},
                  {"mean_pages", scores.mean_pages},
                  {"mean_text_tokens", scores.mean_text_tokens},
                  {"mean_vision_tokens", scores.mean_vision_tokens},
                  {"run_dir", dir}};
}

bool FitnessRule::feasible(const Evaluation& e) const {
    if (!e.error.empty()) return false;
    if (kind == kWeighted) return true;
    return lower_is_better ? e.quality <= floor : e.quality >= floor;
}

double FitnessRule::fitness(const Evaluation& e) const {
    if (!e.error.empty()) return -INFINITY;
    const double points = lower_is_better ? -100 * e.quality : e.quality;
    if (kind == kWeighted) return e.compression + weight * points;
    // Feasible: the compression; infeasible: below every feasible one, by quality.
    return feasible(e) ? e.compression : -1000 + points;
}

bool FitnessRule::better(const Evaluation& a, const Evaluation& b) const {
    const double fa = fitness(a), fb = fitness(b);
    if (fa != fb) return fa > fb;
    return a.key < b.key;
}

std::string FitnessRule::describe() const {
    char line[200];
    const char* measure = lower_is_better ? "CER" : "accuracy";
    if (kind == kWeighted)
        std::snprintf(line, sizeof line, "maximize compression + %g * %s", weight,
                      lower_is_better ? "(-CER in %)" : "accuracy (0-100)");
    else if (lower_is_better)
        std::snprintf(line, sizeof line, "maximize compression subject to %s <= %.2f%%", measure, 100 * floor);
    else
        std::snprintf(line, sizeof line, "maximize compression subject to %s >= %.2f", measure, floor);
    return line;
}

json FitnessRule::to_json() const {
    json j = {{"rule", kind == kWeighted ? "weighted" : "floor"}, {"description", describe()}};
    if (kind == kWeighted) j["weight"] = weight;
    else j["floor"] = floor;
    j["quality"] = lower_is_better ? "cer" : "accuracy";
    return j;
}

}  // namespace glyph::search
