// glyph stats: characters, text tokens, pages, vision tokens and the
// compression ratio per VLM profile, for a text, a rendered folder or a batch.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "glyph/accounting.h"
#include "glyph/accounting_manifest.h"
#include "glyph/config_json.h"
#include "glyph/render.h"
#include "progress.h"
#include "render_options.h"

namespace glyph::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct StatsArgs {
    RenderFlags flags;
    std::string input, batch, tokenizer, source;
    std::vector<std::string> profiles;
    int64_t min_pixels = -1, max_pixels = -1, client_max_pixels = -1;
    bool json_out = false;
    bool list_profiles = false;
    int threads = 0;
};


// The profiles asked for ("all" = every built-in one), with the limit overrides applied.
std::vector<VisionProfile> chosen_profiles(const StatsArgs& a) {
    std::vector<VisionProfile> out;
    std::vector<std::string> names = a.profiles;
    if (names.empty()) names.push_back(default_profile_name());
    for (const std::string& n : names) {
        if (n == "all") {
            for (const auto& p : vision_profiles()) out.push_back(p);
            continue;
        }
        out.push_back(find_profile(n));
    }
    for (VisionProfile& p : out) {
        if (a.min_pixels >= 0) p.limits.min_pixels = a.min_pixels;
        if (a.max_pixels >= 0) p.limits.max_pixels = a.max_pixels;
        if (a.client_max_pixels >= 0) p.limits.client_max_pixels = a.client_max_pixels;
    }
    return out;
}

// Accounting needs only page sizes and spans, so pixels are dropped as each page finishes.
RenderOptions metadata_only(int threads) {
    RenderOptions o;
    o.threads = threads;
    o.on_page = [](const Page&) {};
    return o;
}

std::string format_ratio(double r) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fx", r);
    return buf;
}

// Everything reported for one document: its text count, pages and one vision count per profile.
struct DocumentStats {
    std::string label;
    TextCount text;
    std::vector<PageExtent> pages;
    std::vector<VisionCount> vision;
};

// `page_count` rather than d.pages.size(): a batch total has counts but no pages of its own.
json summary_json(const DocumentStats& d, const std::vector<VisionProfile>& profiles, size_t page_count) {
    json per_profile = json::array();
    for (size_t i = 0; i < profiles.size(); ++i) {
        const VisionCount& v = d.vision[i];
        CompressionStats s{d.text, v};
        per_profile.push_back({{"profile", v.profile},
                               {"family", profiles[i].family},
                               {"vision_tokens", v.tokens},
                               {"image_tokens", v.image_tokens},
                               {"compression_ratio", s.ratio()}});
    }
    return {{"input", d.label},          {"chars", d.text.chars},         {"bytes", d.text.bytes},
            {"text_tokens", d.text.tokens}, {"page_count", page_count}, {"profiles", per_profile}};
}

json document_json(const DocumentStats& d, const std::vector<VisionProfile>& profiles) {
    json out = summary_json(d, profiles, d.pages.size());
    json pages = json::array();
    for (size_t p = 0; p < d.pages.size(); ++p) {
        json vt = json::object();
        for (const VisionCount& v : d.vision) vt[v.profile] = v.pages[p].total();
        pages.push_back({{"page", d.pages[p].number},
                         {"width", d.pages[p].width},
                         {"height", d.pages[p].height},
                         {"text_begin", d.pages[p].text_begin},
                         {"text_end", d.pages[p].text_end},
                         {"text_tokens", d.text.page_tokens.empty() ? json(nullptr) : json(d.text.page_tokens[p])},
                         {"vision_tokens", vt}});
    }
    out["pages"] = std::move(pages);
    return out;
}

void print_document(const DocumentStats& d, const std::vector<VisionProfile>& profiles, const std::string& setup) {
    std::printf("%s: %s chars, %s text tokens, %s (%s)\n", d.label.c_str(),
                group_thousands(int64_t(d.text.chars)).c_str(), group_thousands(d.text.tokens).c_str(),
                plural(d.pages.size(), "page").c_str(), setup.c_str());
    std::printf("  %-20s %14s %12s %8s\n", "profile", "vision tokens", "per page", "ratio");
    for (size_t i = 0; i < profiles.size(); ++i) {
        const VisionCount& v = d.vision[i];
        const double per_page = d.pages.empty() ? 0.0 : double(v.tokens) / double(d.pages.size());
        std::printf("  %-20s %14s %12.1f %8s\n", v.profile.c_str(), group_thousands(v.tokens).c_str(), per_page,
                    format_ratio(CompressionStats{d.text, v}.ratio()).c_str());
    }
}

DocumentStats document_stats(std::string label, std::string_view text, const RenderResult& rendered,
                             const Tokenizer& tokenizer, const std::vector<VisionProfile>& profiles) {
    DocumentStats d;
    d.label = std::move(label);
    d.pages = page_extents(rendered);
    d.text = count_text(text, d.pages, tokenizer);
    for (const VisionProfile& p : profiles) d.vision.push_back(count_vision(d.pages, p));
    return d;
}

std::string setup_text(const RenderConfig& cfg) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%gx%g pt at %g dpi, font %g pt", cfg.page_width, cfg.page_height, cfg.dpi,
                  cfg.font_size);
    return buf;
}

// A finished render folder: sizes and spans from manifest.json; text tokens
// from --source when given, else from the counts a render recorded.
DocumentStats folder_stats(const StatsArgs& a, const std::vector<VisionProfile>& profiles, std::string& setup) {
    const std::string manifest_path = (fs::path(a.input) / "manifest.json").string();
    std::error_code ec;
    if (!fs::is_regular_file(manifest_path, ec))
        throw InputError("folder " + a.input + " has no manifest.json (not a finished render)");
    json manifest = json::parse(read_text_input(manifest_path, "manifest"), nullptr, false);
    if (manifest.is_discarded()) throw InputError(manifest_path + " is not valid JSON");
    DocumentStats d;
    d.label = a.input;
    d.pages = page_extents(manifest);
    if (manifest.contains("config") && manifest["config"].contains("dpi"))
        setup = "rendered at " + manifest["config"]["dpi"].dump() + " dpi";
    if (!a.source.empty()) {
        const std::string text = read_text_input(a.source, "--source");
        if (manifest.contains("source_bytes") && manifest["source_bytes"] != text.size())
            throw InputError(a.source + " has " + std::to_string(text.size()) + " bytes but " + manifest_path +
                             " was rendered from " + manifest["source_bytes"].dump());
        d.text = count_text(text, d.pages, Tokenizer::load(a.tokenizer.empty() ? default_tokenizer_path() : a.tokenizer));
    } else {
        const json* acc = manifest.contains("accounting") ? &manifest["accounting"] : nullptr;
        if (!acc || !acc->contains("text_tokens"))
            throw InputError(manifest_path + " has no text-token counts; pass --source FILE (the rendered text)");
        d.text.tokens = (*acc)["text_tokens"].get<int64_t>();
        d.text.bytes = manifest.value("source_bytes", size_t(0));
        d.text.chars = manifest.value("source_chars", size_t(0));
        for (const json& p : manifest["pages"]) d.text.page_tokens.push_back(p.value("text_tokens", int64_t(0)));
        setup += ", text tokens as recorded by the render (" + acc->value("tokenizer", std::string("?")) + ")";
    }
    for (const VisionProfile& p : profiles) d.vision.push_back(count_vision(d.pages, p));
    return d;
}

void run_batch(const StatsArgs& a, const Tokenizer& tokenizer, const std::vector<VisionProfile>& profiles) {
    std::ifstream in(a.batch, std::ios::binary);
    if (!in) throw InputError("cannot read batch file " + a.batch);
    const std::string base_dir = a.flags.base_dir();
    std::vector<DocumentStats> docs;
    std::string line;
    const RenderOptions ropts = metadata_only(a.threads);
    for (size_t n = 1; std::getline(in, line); ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = a.batch + " line " + std::to_string(n);
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) throw InputError(where + " is not a JSON object");
        if (!j.contains("context") || !j["context"].is_string()) throw InputError(where + " has no string \"context\"");
        if (!j.contains("unique_id") || !(j["unique_id"].is_string() || j["unique_id"].is_number_integer()))
            throw InputError(where + " has no string \"unique_id\"");
        const std::string id = j["unique_id"].is_string() ? j["unique_id"].get<std::string>() : j["unique_id"].dump();
        const std::string context = j["context"].get<std::string>();
        RenderConfig cfg = a.flags.resolve(context);
        if (j.contains("config") && !j["config"].is_null()) {
            if (!j["config"].is_object()) throw InputError(where + ": \"config\" must be an object of config keys");
            cfg = apply_config(j["config"], cfg, base_dir);
        }
        validate(cfg);
        try {
            const RenderResult rendered = render_text(context, cfg, ropts);
            const std::string warning = missing_glyph_warning(rendered.missing);
            if (!warning.empty()) std::fprintf(stderr, "glyph: warning: %s: %s\n", where.c_str(), warning.c_str());
            docs.push_back(document_stats(id, context, rendered, tokenizer, profiles));
        } catch (const std::exception& e) {
            throw InputError("item \"" + id + "\" (" + where + "): " + e.what());
        }
    }
    // Totals: the batch as one corpus (sum of tokens, then one ratio).
    DocumentStats all;
    all.label = "total (" + std::to_string(docs.size()) + " items)";
    for (const VisionProfile& p : profiles) all.vision.push_back({p.name, {}, 0, 0});
    size_t pages = 0;
    for (const DocumentStats& d : docs) {
        all.text.chars += d.text.chars;
        all.text.bytes += d.text.bytes;
        all.text.tokens += d.text.tokens;
        pages += d.pages.size();
        for (size_t i = 0; i < profiles.size(); ++i) {
            all.vision[i].tokens += d.vision[i].tokens;
            all.vision[i].image_tokens += d.vision[i].image_tokens;
        }
    }
    if (a.json_out) {
        json items = json::array();
        for (const DocumentStats& d : docs) items.push_back(document_json(d, profiles));
        std::cout << json{{"items", items}, {"total", summary_json(all, profiles, pages)}}.dump(2) << "\n";
        return;
    }
    std::printf("%-24s %10s %12s %6s", "item", "chars", "text tokens", "pages");
    for (const VisionProfile& p : profiles) std::printf("  %14s", (p.name + " ratio").c_str());
    std::printf("\n");
    auto row = [&](const DocumentStats& d, size_t page_count) {
        std::printf("%-24s %10s %12s %6zu", d.label.c_str(), group_thousands(int64_t(d.text.chars)).c_str(),
                    group_thousands(d.text.tokens).c_str(), page_count);
        for (const VisionCount& v : d.vision)
            std::printf("  %14s", format_ratio(CompressionStats{d.text, v}.ratio()).c_str());
        std::printf("\n");
    };
    for (const DocumentStats& d : docs) row(d, d.pages.size());
    row(all, pages);
}

void list_profiles(bool as_json) {
    json out = json::array();
    for (const VisionProfile& p : vision_profiles()) {
        out.push_back({{"name", p.name},
                       {"aliases", p.aliases},
                       {"family", p.family},
                       {"source", p.source},
                       {"note", p.note},
                       {"text_tokenizer", p.text_tokenizer},
                       {"text_tokenizer_note", p.text_tokenizer_note},
                       {"a4_72dpi_tokens", p.per_image_total(595, 842)},
                       {"a4_96dpi_tokens", p.per_image_total(794, 1123)}});
    }
    if (as_json) {
        std::cout << out.dump(2) << "\n";
        return;
    }
    std::printf("%-20s %-40s %8s %8s  %s\n", "profile", "family", "A4@72", "A4@96", "aliases");
    for (const json& p : out) {
        std::string aliases;
        for (const auto& a : p["aliases"]) aliases += (aliases.empty() ? "" : ", ") + a.get<std::string>();
        std::printf("%-20s %-40s %8lld %8lld  %s\n", p["name"].get<std::string>().c_str(),
                    p["family"].get<std::string>().c_str(), static_cast<long long>(p["a4_72dpi_tokens"].get<int64_t>()),
                    static_cast<long long>(p["a4_96dpi_tokens"].get<int64_t>()), aliases.c_str());
        std::printf("    source: %s\n", p["source"].get<std::string>().c_str());
        if (!p["note"].get<std::string>().empty()) std::printf("    note: %s\n", p["note"].get<std::string>().c_str());
        const std::string tokenizer = p["text_tokenizer"].get<std::string>(), why = p["text_tokenizer_note"].get<std::string>();
        std::printf("    text tokenizer: %s%s%s\n", tokenizer.empty() ? "none available" : ("--tokenizer " + tokenizer).c_str(),
                    why.empty() ? "" : "; ", why.c_str());
    }
}

void run(const StatsArgs& a) {
    if (a.list_profiles) {
        list_profiles(a.json_out);
        return;
    }
    if (a.input.empty() == a.batch.empty())
        throw InputError("give either an INPUT (text file, -, or a rendered folder) or --batch FILE.jsonl");
    const std::vector<VisionProfile> profiles = chosen_profiles(a);
    std::error_code ec;
    if (!a.input.empty() && a.input != "-" && fs::is_directory(a.input, ec)) {
        std::string setup = "rendered folder";
        DocumentStats d = folder_stats(a, profiles, setup);
        if (a.json_out) std::cout << document_json(d, profiles).dump(2) << "\n";
        else print_document(d, profiles, setup);
        return;
    }
    const Tokenizer tokenizer = Tokenizer::load(a.tokenizer.empty() ? default_tokenizer_path() : a.tokenizer);
    if (!a.batch.empty()) {
        run_batch(a, tokenizer, profiles);
        return;
    }
    const std::string text = read_text_input(a.input, "input file");
    const RenderConfig cfg = a.flags.resolve(text);
    validate(cfg);
    const RenderOptions ropts = metadata_only(a.threads);
    const RenderResult rendered = render_text(text, cfg, ropts);
    // The figures below price pages of boxes if the font lacks the text's characters: say so first.
    const std::string warning = missing_glyph_warning(rendered.missing);
    if (!warning.empty()) std::fprintf(stderr, "glyph: warning: %s\n", warning.c_str());
    const DocumentStats d = document_stats(a.input == "-" ? "stdin" : a.input, text, rendered, tokenizer, profiles);
    if (a.json_out) {
        json out = document_json(d, profiles);
        out["config"] = to_json(cfg);
        out["missing_glyphs"] = rendered.missing.count;
        std::cout << out.dump(2) << "\n";
    } else {
        print_document(d, profiles, a.flags.source(text) + ", " + setup_text(cfg));
    }
}

}  // namespace

void add_stats_command(CLI::App& app) {
    auto args = std::make_shared<StatsArgs>();
    CLI::App* cmd = app.add_subcommand(
        "stats", "Characters, text tokens, pages, vision tokens and compression ratio per VLM profile");
    cmd->add_option("input", args->input, "UTF-8 text file, - for standard input, or a rendered folder");
    cmd->add_option("--batch", args->batch, "JSONL dataset: one {\"unique_id\", \"context\", \"config\"?} per line");
    cmd->add_option("--profile", args->profiles,
                    "Vision-token profile (repeatable, or comma-separated; \"all\" for every one). Default: glm-4.1v "
                    "(Glyph)")
        ->delimiter(',')
        ->allow_extra_args(false);
    cmd->add_option("--tokenizer", args->tokenizer, "Text tokenizer: a tokenizer.json, a model folder holding one, or a name (qwen3, llama3_1, gpt4o, gemma3, llama2, ...; default: models/tokenizer.json = Qwen3)");
    cmd->add_option("--source", args->source, "For a rendered folder: the text it was rendered from");
    cmd->add_option("--min-pixels", args->min_pixels, "Override the server's resize floor (smart_resize profiles)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--max-pixels", args->max_pixels, "Override the server's resize ceiling (0 = none)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--client-max-pixels", args->client_max_pixels,
                    "Pixel cap the client applies before upload (0 = none; Glyph's scripts use 36000000)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--threads", args->threads, "Render threads (0 = all cores)")->check(CLI::Range(0, 1024));
    cmd->add_flag("--json", args->json_out, "Print JSON instead of a table");
    cmd->add_flag("--list-profiles", args->list_profiles, "List the vision-token profiles with their sources");
    args->flags.add_to(*cmd);
    cmd->callback([args] { run(*args); });
}

}  // namespace glyph::cli
