// glyph render: text (or a JSONL batch) to page images + manifest.json.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "glyph/accounting.h"
#include "glyph/accounting_manifest.h"
#include "glyph/batch.h"
#include "glyph/encode.h"
#include "glyph/page_writer.h"
#include "glyph/render.h"
#include "glyph/work_pool.h"
#include "progress.h"
#include "render_options.h"

namespace glyph::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_interrupt(int) { g_stop = true; }

struct RenderArgs {
    RenderFlags flags;
    std::string input, batch, out, layout;
    std::string profile, tokenizer;
    std::string id_field = "unique_id", text_field = "context";
    std::string shard;  // "I/N", --batch only
    bool no_count = false;
    bool json = false;
    int threads = 0;
};

// The tokenizer for the compression ratio. Without --tokenizer and without
// the default file the render still succeeds, with a note instead of counts:
// the note is kept in `missing` and printed once the render has succeeded, so
// that bad input still gets one error line and nothing else.
std::optional<Tokenizer> ratio_tokenizer(const RenderArgs& a, std::string& path, std::string& missing) {
    path = a.tokenizer;
    try {
        if (path.empty()) path = default_tokenizer_path();
        return Tokenizer::load(path);
    } catch (const TokenizerError& e) {
        if (!a.tokenizer.empty()) throw;
        missing = e.what();
        return std::nullopt;
    }
}

void print_not_counted(const std::string& missing) {
    if (!missing.empty()) std::fprintf(stderr, "glyph: note: compression not counted: %s\n", missing.c_str());
}

// Warnings and the summary go to stderr when stdout carries --json or --layout -.
void report(FILE* to, const RenderArgs& a, const RenderResult& r, const PageWriter& writer, std::string_view text,
            const std::string& chosen, const CompressionStats* stats) {
    const size_t pages = r.pages.size();
    std::fprintf(to, "%s -> %s (%s; layout %.1f ms, raster+encode %.1f ms wall, encoding %.1f ms CPU over all "
                     "threads; %.0f chars/page)\n",
                 plural(pages, "page").c_str(), a.out.c_str(), chosen.c_str(), r.timings.layout_ms,
                 r.timings.raster_ms, writer.encode_ms(), pages ? double(text.size()) / double(pages) : 0.0);
    if (stats) std::fprintf(to, "%s\n", ratio_line(*stats).c_str());
}

// The input as the manifest records it, for `glyph ocr --pages`: an absolute
// path when it is a real file (stdin or a pipe cannot be read again).
std::string recorded_source_path(const std::string& input) {
    std::error_code ec;
    if (input == "-" || !std::filesystem::is_regular_file(input, ec)) return "";
    const std::filesystem::path absolute = std::filesystem::absolute(input, ec);
    return ec ? "" : absolute.lexically_normal().string();
}

void run_single(const RenderArgs& a) {
    if (a.json && a.layout == "-") throw CommandError(kExitUsage, "--json and --layout - would both write to stdout");
    const std::string text = read_text_input(a.input, "input file");
    const RenderConfig cfg = a.flags.resolve(text);
    validate(cfg);
    PageWriter writer(a.out);  // fail on a bad output folder before rendering
    // Counting shares the render's threads (--threads N is N threads doing
    // all of it): loading the tokenizer and, on two or more threads,
    // counting the whole text are queued first, to run beside the layout,
    // and so is the source's digest for the manifest; only the pages' own
    // counts wait for the pages, and they reuse the words the whole text's
    // count merged. On one thread the whole text is counted with the pages,
    // in one pass that shares its word cache (accounting.h). A bad
    // --tokenizer still fails before the folder is swapped in. The pool is
    // declared last: it is joined before what its tasks write to goes away.
    const std::string source_path = recorded_source_path(a.input);
    std::string source_sha256;
    std::string tokenizer_path, tokenizer_missing;
    std::optional<Tokenizer> tokenizer;
    std::optional<int64_t> text_tokens;
    Tokenizer::WordMemo text_words;
    WorkPool::Group loading;
    WorkPool pool(a.threads);
    if (!a.no_count)
        pool.submit(loading, [&] {
            tokenizer = ratio_tokenizer(a, tokenizer_path, tokenizer_missing);
            if (tokenizer && pool.threads() > 1) text_tokens = int64_t(tokenizer->count(text, text_words));
        });
    if (!source_path.empty()) pool.submit(loading, [&] { source_sha256 = source_digest(text); });
    RenderOptions opts;
    opts.pool = &pool;
    opts.keep_layout = !a.layout.empty();
    opts.on_page = [&writer](const Page& page) { writer.write(page); };
    RenderResult r = render_text(text, cfg, opts);
    pool.wait(loading);
    nlohmann::json manifest = writer.manifest(r, cfg, text, source_path, source_sha256);
    std::optional<CompressionStats> stats;
    if (tokenizer) {
        stats = account(text, r, *tokenizer, find_profile(a.profile), &pool, text_tokens, &text_words);
        add_to_manifest(manifest, *stats, tokenizer_path);
    }
    writer.commit(manifest);
    print_not_counted(tokenizer_missing);
    if (!a.layout.empty()) write_text_output(a.layout, layout_jsonl(r), "--layout");
    const std::string warning = missing_glyph_warning(r.missing);
    if (!warning.empty()) std::fprintf(stderr, "glyph: warning: %s\n", warning.c_str());
    report(a.json || a.layout == "-" ? stderr : stdout, a, r, writer, text, a.flags.source(text),
           stats ? &*stats : nullptr);
    if (a.json) {
        manifest["out"] = writer.out_dir();
        write_text_output("-", manifest.dump(2) + "\n", "--json");
    }
}

// "line 3 (id \"a\"): not valid JSON (byte 4)": the first failure, for the error line.
std::string failure_text(const BatchFailure& f) {
    std::string where = "line " + std::to_string(f.line);
    if (!f.id.is_null()) where += " (id " + f.id.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ")";
    return where + ": " + f.error;
}

void run_batch(const RenderArgs& a, const RenderConfig& cfg) {
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    BatchOptions opts;
    opts.threads = a.threads;
    if (!a.shard.empty()) opts.shard = parse_batch_shard(a.shard);
    opts.stop = &g_stop;
    opts.id_field = a.id_field;
    opts.text_field = a.text_field;
    std::optional<ProgressReporter> progress;
    opts.on_start = [&progress](size_t total, size_t already_done) {
        progress.emplace("items", total);
        progress->skip(already_done);
    };
    opts.progress = [&progress](size_t pages) { progress->advance(1, pages); };
    opts.on_warning = [](size_t line, const std::string& warning) {
        print_config_warning("line " + std::to_string(line) + ": " + warning);
    };
    std::string tokenizer_path, tokenizer_missing;
    const std::optional<Tokenizer> tokenizer =
        a.no_count ? std::nullopt : ratio_tokenizer(a, tokenizer_path, tokenizer_missing);
    const VisionProfile& profile = find_profile(a.profile);
    // --preset auto chooses en or zh per item, from its own text.
    if (a.flags.config_file.empty() && a.flags.preset == "auto")
        opts.base_for_text = [&a](std::string_view text) { return a.flags.resolve(text); };
    std::mutex item_mu;
    CompressionStats total;  // over the items rendered in this run
    total.vision.profile = profile.name;
    size_t boxed_items = 0;  // items whose pages draw missing-glyph boxes
    opts.on_item = [&](const std::string&, std::string_view text, const RenderResult& r, nlohmann::json& manifest) {
        std::optional<CompressionStats> s;
        if (tokenizer) {
            s = account(text, r, *tokenizer, profile);
            add_to_manifest(manifest, *s, tokenizer_path);
        }
        std::lock_guard lock(item_mu);
        boxed_items += r.missing.count > 0;
        if (!s) return;
        total.text.tokens += s->text.tokens;
        total.vision.tokens += s->vision.tokens;
        total.vision.pages.insert(total.vision.pages.end(), s->vision.pages.begin(), s->vision.pages.end());
    };
    BatchReport rep;
    try {
        rep = render_batch(a.batch, cfg, a.flags.base_dir(), a.out, opts);
    } catch (...) {
        if (progress) progress->finish();
        throw;
    }
    if (progress) progress->finish();
    print_not_counted(tokenizer_missing);
    std::printf("%s: %zu rendered (%s), %zu already done, %zu failed -> %s\n", plural(rep.total, "item").c_str(),
                rep.rendered, plural(rep.pages, "page").c_str(), rep.skipped, rep.failed, rep.results_path.c_str());
    if (boxed_items)
        std::fprintf(stderr,
                     "glyph: warning: characters with no glyph in their font are drawn as boxes in %s "
                     "(\"missing_glyphs\" in their manifests); use another preset (--preset auto picks zh for Chinese items), a font that has "
                     "them (--set font-path=FILE), or --mode clean (falls back to other fonts)\n",
                     plural(boxed_items, "item").c_str());
    if (tokenizer && rep.rendered > 0) std::printf("%s, items rendered now\n", ratio_line(total).c_str());
    if (rep.stopped) throw CommandError(kExitInterrupted, "interrupted; run the same command again to resume");
    if (rep.failed)
        throw CommandError(kExitPartial, plural(rep.failed, "item") + " failed (first: " +
                                             failure_text(rep.failures.front()) + "); all listed in " +
                                             rep.failures_path);
}

}  // namespace

void add_render_command(CLI::App& app) {
    auto args = std::make_shared<RenderArgs>();
    CLI::App* cmd = app.add_subcommand("render", "Render a text into Glyph page images (page_001.png ... + manifest.json)");
    cmd->add_option("input", args->input, "UTF-8 text file, or - for standard input");
    cmd->add_option("--batch", args->batch,
                    "JSONL dataset (or - for standard input): one {\"unique_id\", \"context\", \"config\"?} object per "
                    "line; resumable; bad lines and failed items go to OUT/failures.jsonl and the rest renders");
    cmd->add_option("--id-field", args->id_field, "--batch: the field holding each item's id (a string or an integer)")
        ->capture_default_str();
    cmd->add_option("--text-field", args->text_field, "--batch: the field holding each item's text")
        ->capture_default_str();
    cmd->add_option("--shard", args->shard,
                    "--batch: render only part I of N (items whose position mod N is I), with its own "
                    "OUT/results.shard-I-of-N.jsonl; N jobs with I = 0..N-1 render the whole batch")
        ->type_name("I/N");
    cmd->add_option("--out", args->out,
                    "Output folder, created with its parents; an earlier render there is replaced whole when this "
                    "one is complete")
        ->required();
    cmd->add_option("--layout", args->layout,
                    "Write one JSON line per rendered line (page, y, x0, x1, words, source span) to FILE, or - for "
                    "stdout");
    cmd->add_flag("--json", args->json, "Print the manifest as JSON on stdout (the summary goes to stderr)");
    cmd->add_option("--threads", args->threads,
                    "Threads doing all the work: layout, pages, token counting (--batch: items) (0 = all cores)")->check(CLI::Range(0, 1024));
    args->profile = default_profile_name();
    cmd->add_option("--profile", args->profile, "Vision-token profile for the compression ratio printed and recorded in each manifest (see glyph stats --list-profiles)")
        ->capture_default_str();
    cmd->add_option("--tokenizer", args->tokenizer, "Text tokenizer: a tokenizer.json, a model folder holding one, or a name (qwen3, llama3_1, gpt4o, gemma3, llama2, ...; default: models/tokenizer.json = Qwen3)");
    cmd->add_flag("--no-count", args->no_count,
                  "Skip counting text and vision tokens (no ratio, no counts in the manifest; saves loading the tokenizer)");
    args->flags.add_to(*cmd);
    cmd->callback([args] {
        if (args->input.empty() == args->batch.empty())
            throw ConfigError("give either an INPUT file (or -) or --batch FILE.jsonl");
        if (!args->shard.empty() && args->batch.empty()) throw ConfigError("--shard I/N needs --batch");
        find_profile(args->profile);  // an unknown name fails before any work
        if (!args->batch.empty()) {
            const RenderConfig cfg = args->flags.resolve("");
            validate(cfg);
            run_batch(*args, cfg);
        } else {
            run_single(*args);
        }
    });
}

}  // namespace glyph::cli
