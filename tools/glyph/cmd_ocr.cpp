// glyph ocr: read rendered pages back with Tesseract and report the character
// error rate against the source text, per page and overall.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "glyph/config_json.h"
#include "glyph/encode.h"
#include "glyph/ocr.h"
#include "glyph/render.h"
#include "progress.h"
#include "render_options.h"

namespace glyph::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct OcrArgs {
    RenderFlags flags;
    std::string input;
    std::string pages_dir;
    std::string source;
    double font_size = 0;
    int sample = 0;
    int threads = 0;
    bool json_output = false;
    std::string language;
    double upscale = 0;
    std::string segment = "lines";
    double max_cer = 0.02;
};

bool has_han(std::string_view text) {
    // U+4E00..U+9FFF in UTF-8: lead byte E4..E9. Enough to pick a language.
    for (unsigned char c : text)
        if (c >= 0xE4 && c <= 0xE9) return true;
    return false;
}

double line_pitch_px(double leading_pt, double dpi) { return leading_pt * dpi / 72.0; }

// The pages to read and what they show, gathered from a fresh render or a folder.
struct Job {
    std::string source;
    std::vector<Image> images;  // only the sampled pages
    std::vector<PageCheck> checks;
    // What each page shows (the inline newline marker in place of line
    // breaks): the checks' references point into these.
    std::deque<std::string> shown;
    RenderConfig shows;  // newline-markup and paragraph-lines, which decide `shown`
    size_t page_count = 0;
    double pitch_px = 0;
    double render_seconds = 0;
    json config;
};

void add_check(Job& job, int number, size_t begin, size_t end) {
    if (begin > end || end > job.source.size())
        throw InputError("page " + std::to_string(number) + " spans bytes " + std::to_string(begin) + ".." +
                         std::to_string(end) + ", outside the " + std::to_string(job.source.size()) +
                         "-byte source text");
    job.shown.push_back(shown_text(job.source, begin, end, job.shows));
    job.checks.push_back({number, nullptr, job.shown.back()});
}

Job render_job(const OcrArgs& a) {
    Job job;
    job.source = read_text_input(a.input, "input");
    RenderConfig cfg = a.flags.resolve(job.source);
    if (a.font_size > 0) {
        // Leading follows the size as in Glyph's configs (size + 1).
        cfg = apply_config(json{{"font-size", a.font_size}, {"line-height", a.font_size + 1}}, cfg, ".");
    }
    validate(cfg);
    const auto start = std::chrono::steady_clock::now();
    RenderOptions options;
    options.threads = a.threads;
    RenderResult result = render_text(job.source, cfg, options);
    job.render_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    job.page_count = result.pages.size();
    job.pitch_px = line_pitch_px(cfg.leading(), cfg.dpi);
    job.config = to_json(cfg);
    job.shows = cfg;
    for (size_t i : sample_pages(result.pages.size(), a.sample)) {
        Page& page = result.pages[i];
        add_check(job, page.number, page.text_begin, page.text_end);
        job.images.push_back(std::move(page.image));
    }
    return job;
}

// The text a pages folder was rendered from: --source, or the file its
// manifest names. Either must still be that text (its size, and its SHA-256
// when the manifest has one), or the CER would measure the wrong text.
std::string source_for(const OcrArgs& a, const json& manifest, const std::string& manifest_path) {
    std::string path = a.source;
    if (path.empty()) {
        if (!manifest.contains("source") || !manifest["source"].is_string() ||
            manifest["source"].get<std::string>().empty())
            throw InputError(manifest_path +
                             " names no source text (rendered from stdin, or a batch item); pass --source FILE, "
                             "the text the pages were rendered from");
        path = (fs::path(manifest_path).parent_path() / manifest["source"].get<std::string>()).string();
        std::error_code ec;
        if (!fs::is_regular_file(path, ec))
            throw InputError("the pages were rendered from " + path +
                             ", which is no longer there; pass --source FILE with that text");
    }
    std::string text = read_text_input(path, "source");
    const bool size_differs = manifest.contains("source_bytes") && manifest["source_bytes"].is_number_unsigned() &&
                              manifest["source_bytes"].get<size_t>() != text.size();
    const bool digest_differs = manifest.contains("source_sha256") && manifest["source_sha256"].is_string() &&
                                manifest["source_sha256"].get<std::string>() != source_digest(text);
    if (size_differs || digest_differs)
        throw InputError("source " + path + " is not the text the pages were rendered from (its " +
                         (size_differs ? "size" : "SHA-256") +
                         " differs from the manifest's): edited since the render, or another file");
    return text;
}

Job folder_job(const OcrArgs& a) {
    Job job;
    const fs::path dir(a.pages_dir);
    const fs::path manifest_path = dir / "manifest.json";
    std::error_code ec;
    if (!fs::is_regular_file(manifest_path, ec))
        throw CommandError(kExitBadInput,
                           a.pages_dir + " has no manifest.json (not a glyph pages folder, or an incomplete one)");
    const json manifest = json::parse(read_text_input(manifest_path.string(), "manifest"), nullptr, false);
    if (manifest.is_discarded() || !manifest.is_object() || !manifest.contains("pages") ||
        !manifest["pages"].is_array())
        throw InputError(manifest_path.string() + " is not a glyph manifest (no \"pages\" list)");

    job.source = source_for(a, manifest, manifest_path.string());
    if (manifest.contains("config") && manifest["config"].is_object()) {
        job.config = manifest["config"];
        const json& c = job.config;
        if (c.contains("dpi") && c["dpi"].is_number() && c.contains("line-height") && c["line-height"].is_number())
            job.pitch_px = line_pitch_px(c["line-height"].get<double>(), c["dpi"].get<double>());
        if (c.contains("newline-markup") && c["newline-markup"].is_string())
            job.shows.newline_markup = c["newline-markup"].get<std::string>();
        if (c.contains("paragraph-lines") && c["paragraph-lines"].is_number_integer())
            job.shows.paragraph_lines = c["paragraph-lines"].get<int>();
    }
    const json& pages = manifest["pages"];
    job.page_count = pages.size();
    for (size_t i : sample_pages(pages.size(), a.sample)) {
        const json& p = pages[i];
        if (!p.is_object() || !p.contains("file") || !p["file"].is_string() || !p.contains("text_begin") ||
            !p["text_begin"].is_number_unsigned() || !p.contains("text_end") || !p["text_end"].is_number_unsigned())
            throw InputError(manifest_path.string() + ": page entry " + std::to_string(i + 1) +
                             " lacks file, text_begin or text_end");
        const int number = p.contains("number") && p["number"].is_number_integer() ? p["number"].get<int>()
                                                                                      : int(i + 1);
        add_check(job, number, p["text_begin"].get<size_t>(), p["text_end"].get<size_t>());
        job.images.push_back(read_image_file((dir / p["file"].get<std::string>()).string()));
    }
    return job;
}

double page_cer(const CharacterErrors& e) {
    return e.reference_length ? double(e.edits) / double(e.reference_length) : (e.edits ? 1.0 : 0.0);
}

// The table's rows, printed as pages finish but in page order: a row goes
// out once it and every page before it are read, so a long read shows its
// first results early and the table still reads top to bottom. The progress
// line (stderr) is advanced under the same lock, so on a terminal the rows
// and the redrawn progress line never interleave.
class StreamedTable {
public:
    StreamedTable(size_t pages, bool print_rows)
        : rows_(pages), print_rows_(print_rows), progress_("pages", pages),
          shared_terminal_(isatty(STDOUT_FILENO) && isatty(STDERR_FILENO)) {}

    void page_read(size_t index, const PageReading& r) {
        std::lock_guard lock(mu_);
        rows_[index] = Row{r.number, r.errors, r.seconds};
        bool line_cleared = false;
        for (; print_rows_ && next_ < rows_.size() && rows_[next_]; ++next_) {
            // On a shared terminal the cursor sits on the progress line.
            if (shared_terminal_ && !line_cleared) std::fputs("\r\033[K", stdout);
            line_cleared = true;
            print_row(*rows_[next_]);
        }
        std::fflush(stdout);
        progress_.advance(1);
    }
    // Ends the progress line; the table's summary goes after it.
    void finish() { progress_.finish(); }

private:
    struct Row {
        int number;
        CharacterErrors errors;
        double seconds;
    };
    void print_row(const Row& row) {
        if (!header_printed_) std::printf("%6s %8s %7s %8s %8s\n", "page", "chars", "edits", "CER", "seconds");
        header_printed_ = true;
        std::printf("%6d %8zu %7zu %7.2f%% %8.2f\n", row.number, row.errors.reference_length, row.errors.edits,
                    100 * page_cer(row.errors), row.seconds);
    }

    std::mutex mu_;
    std::vector<std::optional<Row>> rows_;
    size_t next_ = 0;
    bool print_rows_, header_printed_ = false;
    ProgressReporter progress_;
    bool shared_terminal_;
};

void run_ocr(const OcrArgs& a) {
    if (a.pages_dir.empty() == a.input.empty())
        throw InputError("give either an INPUT text to render or --pages DIR, not both or neither");
    if (!a.pages_dir.empty() && (a.flags.preset != "auto" || !a.flags.config_file.empty() || a.flags.dpi != 0 ||
                                 a.font_size != 0 || !a.flags.sets.empty() || !a.flags.mode.empty()))
        throw InputError("--pages reads pages as rendered: render options (--preset, --config, --set, --dpi, "
                         "--mode, --font-size) do not apply");
    if (!a.input.empty() && !a.source.empty())
        throw InputError("--source goes with --pages; when rendering, INPUT is the source");

    Job job = a.pages_dir.empty() ? render_job(a) : folder_job(a);
    for (size_t i = 0; i < job.checks.size(); ++i) job.checks[i].image = &job.images[i];
    // Blank pages would read back "perfectly" (CER 0) and pass as legible.
    size_t reference_chars = 0;
    for (const PageCheck& c : job.checks) reference_chars += character_errors(c.reference, "").reference_length;
    if (reference_chars == 0)
        throw InputError("the pages to read show no text (only whitespace): there is nothing to measure");

    OcrOptions options;
    options.language = !a.language.empty() ? a.language : has_han(job.source) ? "chi_sim" : "eng";
    if (!is_language_list(options.language))
        throw InputError("--lang \"" + options.language +
                         "\" is not a Tesseract language list (names joined by '+', e.g. eng, chi_sim, eng+chi_sim)");
    options.upscale = a.upscale;
    options.by_line = a.segment == "lines";
    options.line_pitch_px = job.pitch_px;
    const int threads = a.threads > 0 ? a.threads : int(std::max(1u, std::thread::hardware_concurrency()));

    const auto start = std::chrono::steady_clock::now();
    StreamedTable table(job.checks.size(), !a.json_output);
    std::vector<PageReading> readings;
    try {
        readings = read_back_pages(job.checks, options, threads,
                                   [&table](size_t i, const PageReading& r) { table.page_read(i, r); });
    } catch (...) {
        table.finish();  // the error line goes below the progress line, not over it
        throw;
    }
    table.finish();
    const double ocr_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    CharacterErrors total;
    for (const PageReading& r : readings) {
        total.edits += r.errors.edits;
        total.reference_length += r.errors.reference_length;
    }
    const double cer = page_cer(total);
    const bool legible = cer <= a.max_cer;

    if (a.json_output) {
        json pages = json::array();
        for (const PageReading& r : readings)
            pages.push_back({{"page", r.number},
                             {"reference_chars", r.errors.reference_length},
                             {"edits", r.errors.edits},
                             {"cer", page_cer(r.errors)},
                             {"seconds", r.seconds},
                             {"text", r.text}});
        json report{{"pages", pages},
                    {"pages_read", readings.size()},
                    {"page_count", job.page_count},
                    {"reference_chars", total.reference_length},
                    {"edits", total.edits},
                    {"cer", cer},
                    {"max_cer", a.max_cer},
                    {"legible", legible},
                    {"language", options.language},
                    {"line_pitch_px", job.pitch_px},
                    {"threads", threads},
                    {"seconds", {{"render", job.render_seconds}, {"ocr", ocr_seconds}}}};
        if (!job.config.is_null()) report["config"] = job.config;
        std::printf("%s\n", report.dump(2).c_str());
    } else {
        std::printf("overall: %zu of %s, %zu chars, %zu edits, CER %.2f%% (%s, OCR %.1f s) -> %s\n", readings.size(),
                    plural(job.page_count, "page").c_str(), total.reference_length, total.edits, 100 * cer,
                    options.language.c_str(), ocr_seconds, legible ? "legible" : "NOT legible");
    }
    std::fflush(stdout);
    if (!legible) {
        char message[160];
        std::snprintf(message, sizeof message,
                      "character error rate %.2f%% is above --max-cer %.2f%%: these pages are not legible", 100 * cer,
                      100 * a.max_cer);
        throw CommandError(kExitNotLegible, message);
    }
}

}  // namespace

void add_ocr_command(CLI::App& app) {
    auto args = std::make_shared<OcrArgs>();
    CLI::App* cmd = app.add_subcommand(
        "ocr", "Read pages back with Tesseract and report the character error rate against the source text");
    cmd->add_option("INPUT", args->input, "UTF-8 text to render and read back (- for stdin)");
    args->flags.add_to(*cmd);
    cmd->add_option("--font-size", args->font_size, "Font size in points (leading follows as size + 1)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--pages", args->pages_dir, "Read an already rendered folder (manifest.json + pages) instead");
    cmd->add_option("--source", args->source, "With --pages: the text the pages were rendered from");
    cmd->add_option("--sample", args->sample, "Read only N pages, spread evenly from first to last (0: all)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--threads", args->threads, "Pages read in parallel (0: all cores)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--lang", args->language,
                    "Tesseract language(s), e.g. eng, chi_sim, eng+chi_sim (default: chi_sim if the text has Han "
                    "characters, else eng)");
    cmd->add_option("--upscale", args->upscale,
                    "Enlarge pages by this factor before OCR (default: bring lines to ~30 px apart)")
        ->check(CLI::Range(0.0, 16.0));
    cmd->add_option("--segment", args->segment,
                    "lines: cut each text line out and read it alone (default); block: let Tesseract find the "
                    "lines of the page")
        ->check(CLI::IsMember({"lines", "block"}));
    cmd->add_option("--max-cer", args->max_cer,
                    "Legibility threshold: above it the pages are reported NOT legible and the exit code is 10")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_flag("--json", args->json_output, "Print the report as JSON (per page: CER and the text read)");
    cmd->callback([args] { run_ocr(*args); });
}

}  // namespace glyph::cli
