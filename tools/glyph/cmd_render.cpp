// glyph render: text (or a JSONL batch) to page images + manifest.json.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "glyph/accounting.h"
#include "glyph/batch.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "render_options.h"

namespace glyph::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_interrupt(int) { g_stop = true; }

struct RenderArgs {
    RenderFlags flags;
    std::string input, batch, out, layout;
    std::string profile, tokenizer;
    bool no_count = false;
    int threads = 0;
};

// The tokenizer for the compression ratio. Without --tokenizer and without
// the default file the render still succeeds, with a note instead of counts.
std::optional<Tokenizer> ratio_tokenizer(const RenderArgs& a, std::string& path) {
    path = a.tokenizer;
    try {
        if (path.empty()) path = default_tokenizer_path();
        return Tokenizer::load(path);
    } catch (const TokenizerError& e) {
        if (!a.tokenizer.empty()) throw;
        std::fprintf(stderr, "glyph: note: compression not counted: %s\n", e.what());
        return std::nullopt;
    }
}

// Text tokens vs vision tokens for the chosen profile, recorded in the
// manifest, which is rewritten in out_dir.
CompressionStats record_accounting(const std::string& out_dir, std::string_view text, const RenderResult& r,
                                   const Tokenizer& tokenizer, const std::string& tokenizer_path,
                                   const VisionProfile& profile, nlohmann::json& manifest) {
    const CompressionStats stats = account(text, r, tokenizer, profile);
    add_to_manifest(manifest, stats, tokenizer_path);
    const std::string dumped = manifest.dump(2);
    write_file_atomic((std::filesystem::path(out_dir) / "manifest.json").string(), dumped.data(), dumped.size());
    return stats;
}

// The input as the manifest records it, for `glyph ocr --pages`: an absolute
// path when it is a real file (stdin or a pipe cannot be read again).
std::string recorded_source_path(const std::string& input) {
    std::error_code ec;
    if (input == "-" || !std::filesystem::is_regular_file(input, ec)) return "";
    const std::filesystem::path absolute = std::filesystem::absolute(input, ec);
    return ec ? "" : absolute.lexically_normal().string();
}

void run_single(const RenderArgs& a, const RenderConfig& cfg) {
    PageWriter writer(a.out);  // fail on a bad output folder before rendering
    const std::string text = read_text_input(a.input, "input file");
    // Loading a tokenizer.json (~0.25 s for Qwen3's) overlaps the rendering;
    // a bad --tokenizer still fails before the manifest marks pages complete.
    std::string tokenizer_path;
    std::future<std::optional<Tokenizer>> loading;
    if (!a.no_count)
        loading = std::async(std::launch::async, [&a, &tokenizer_path] { return ratio_tokenizer(a, tokenizer_path); });
    RenderOptions opts;
    opts.threads = a.threads;
    opts.keep_layout = !a.layout.empty();
    opts.on_page = [&writer](const Page& page) { writer.write(page); };
    RenderResult r = render_text(text, cfg, opts);
    const std::optional<Tokenizer> tokenizer = a.no_count ? std::nullopt : loading.get();
    if (!a.layout.empty()) {
        std::string rows = layout_jsonl(r);
        write_file_atomic(a.layout, rows.data(), rows.size());
    }
    nlohmann::json manifest = writer.finish(r, cfg, text, recorded_source_path(a.input));
    // Pages are encoded inside the raster workers: report wall time for both
    // together and the CPU time encoding took of it.
    std::printf("%zu pages -> %s (layout %.1f ms, raster+encode %.1f ms, of which encode %.1f ms CPU; %.0f chars/page)\n",
                r.pages.size(), a.out.c_str(), r.timings.layout_ms, r.timings.raster_ms, writer.encode_ms(),
                r.pages.empty() ? 0.0 : double(text.size()) / double(r.pages.size()));
    if (tokenizer) {
        const CompressionStats stats =
            record_accounting(a.out, text, r, *tokenizer, tokenizer_path, find_profile(a.profile), manifest);
        std::printf("%s\n", ratio_line(stats).c_str());
    }
}

void run_batch(const RenderArgs& a, const RenderConfig& cfg) {
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    BatchOptions opts;
    opts.threads = a.threads;
    opts.stop = &g_stop;
    const bool tty = isatty(STDERR_FILENO);
    if (tty) {
        opts.progress = [](size_t done, size_t total) {
            const int width = 30;
            const int filled = total ? int(double(done) / double(total) * width) : width;
            std::fprintf(stderr, "\r[%s%s] %zu/%zu items", std::string(size_t(filled), '#').c_str(),
                         std::string(size_t(width - filled), ' ').c_str(), done, total);
            std::fflush(stderr);
        };
    }
    std::string tokenizer_path;
    const std::optional<Tokenizer> tokenizer =
        a.no_count ? std::nullopt : ratio_tokenizer(a, tokenizer_path);
    const VisionProfile& profile = find_profile(a.profile);
    std::mutex total_mu;
    CompressionStats total;  // over the items rendered in this run
    total.vision.profile = profile.name;
    if (tokenizer) {
        opts.on_item = [&](const std::string& dir, std::string_view text, const RenderResult& r,
                           nlohmann::json& manifest) {
            const CompressionStats s = record_accounting(dir, text, r, *tokenizer, tokenizer_path, profile, manifest);
            std::lock_guard lock(total_mu);
            total.text.tokens += s.text.tokens;
            total.vision.tokens += s.vision.tokens;
            total.vision.pages.insert(total.vision.pages.end(), s.vision.pages.begin(), s.vision.pages.end());
        };
    }
    const std::string base_dir = a.flags.config_file.empty()
                                     ? std::string(".")
                                     : std::filesystem::absolute(a.flags.config_file).parent_path().string();
    BatchReport rep = render_batch(a.batch, cfg, base_dir, a.out, opts);
    if (tty) std::fprintf(stderr, "\n");
    std::printf("%zu items: %zu rendered (%zu pages), %zu already done, %zu failed -> %s\n", rep.total, rep.rendered,
                rep.pages, rep.skipped, rep.failed, rep.results_path.c_str());
    if (tokenizer && rep.rendered > 0) std::printf("%s, items rendered now\n", ratio_line(total).c_str());
    if (rep.stopped) throw CommandError(kExitInterrupted, "interrupted; run the same command again to resume");
    if (rep.failed) throw CommandError(kExitPartial, std::to_string(rep.failed) + " items failed; see \"error\" in " + rep.results_path);
}

}  // namespace

void add_render_command(CLI::App& app) {
    auto args = std::make_shared<RenderArgs>();
    CLI::App* cmd = app.add_subcommand("render", "Render a text into Glyph page images (page_001.png ... + manifest.json)");
    cmd->add_option("input", args->input, "UTF-8 text file, or - for standard input");
    cmd->add_option("--batch", args->batch,
                    "JSONL dataset: one {\"unique_id\", \"context\", \"config\"?} object per line; resumable");
    cmd->add_option("--out", args->out, "Output folder (created if its parent exists)")->required();
    cmd->add_option("--layout", args->layout, "Write one JSON line per rendered line (page, y, x0, x1, words)");
    cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")->check(CLI::Range(0, 1024));
    args->profile = default_profile_name();
    cmd->add_option("--profile", args->profile, "Vision-token profile for the compression ratio printed and recorded in each manifest (see glyph stats --list-profiles)")
        ->capture_default_str();
    cmd->add_option("--tokenizer", args->tokenizer, "tokenizer.json for text tokens (default: models/tokenizer.json)");
    cmd->add_flag("--no-count", args->no_count,
                  "Skip counting text and vision tokens (no ratio, no counts in the manifest; saves loading the tokenizer)");
    args->flags.add_to(*cmd);
    cmd->callback([args] {
        if (args->input.empty() == args->batch.empty())
            throw ConfigError("give either an INPUT file (or -) or --batch FILE.jsonl");
        const RenderConfig cfg = args->flags.resolve();
        validate(cfg);
        find_profile(args->profile);  // an unknown name fails before any work
        if (!args->batch.empty()) run_batch(*args, cfg);
        else run_single(*args, cfg);
    });
}

}  // namespace glyph::cli
