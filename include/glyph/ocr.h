// Reading page images back with Tesseract: the legibility check behind
// `glyph ocr`, and the eyes of the OCR test server used by the tests.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "glyph/config.h"
#include "glyph/image.h"

namespace glyph {

struct OcrOptions {
    std::string language = "eng";  // Tesseract language(s), e.g. "eng", "chi_sim", "eng+chi_sim"
    double upscale = 0;            // 0: choose from the text height; else a fixed factor
    // Baseline-to-baseline distance in image pixels when the caller knows it
    // (leading × dpi / 72); 0: estimate it from the image.
    double line_pitch_px = 0;
    // true: the image is a rendered page, lines of text at a regular pitch:
    // each line is cut out at the quietest ink row between lines and read on
    // its own, so Tesseract's line finding cannot drop, split or merge lines
    // (it did on small Han text). false: the image is read as one block.
    bool by_line = true;
};

// Text read from one image. Throws std::runtime_error when Tesseract or the
// language data is unavailable, std::invalid_argument for an empty image or
// a malformed language list. Each thread keeps its own Tesseract engine per
// language (the engine is not thread-safe, and loading one takes ~0.2 s), so
// calls from different threads run in parallel.
std::string ocr_image(const Image& image, const OcrOptions& options = {});

// The Tesseract library's version, e.g. "5.3.0": part of what decides a reading.
std::string tesseract_version();

// True for a well-formed Tesseract language list: names of letters, digits
// and '_' joined by '+' ("eng", "chi_sim", "eng+chi_sim").
bool is_language_list(std::string_view languages);

// The distance between text lines in pixels, from the periodicity of the ink
// rows; for a single line, the height of its ink. 0 when the image has no ink.
double estimate_line_pitch(const Image& image);

// The rows [begin, end) of each text line of a page whose lines are about
// `line_pitch_px` apart: cuts fall on the row with the least ink near each
// pitch step; bands without ink are left out. Empty for a page without ink.
struct RowBand {
    int begin = 0, end = 0;
};
std::vector<RowBand> text_line_bands(const Image& image, double line_pitch_px);

// The factor ocr_image enlarges an image by when options.upscale is 0: text
// lines are brought to ~30 px apart (x-height ~15 px), where Tesseract's LSTM
// reads best; never below 1, at most 4.
double choose_upscale(double line_pitch_px);

// Edit distance and reference length, both in code points after
// normalization: NFKC (full-width punctuation equals its ASCII form, "ﬁ"
// equals "fi"), typographic quotes equal ' and " (Tesseract reads them so),
// whitespace runs fold to one space, ends are trimmed, and
// whitespace beside a CJK character is dropped unless its other side is a
// Latin letter or a digit (Chinese has no word spaces, and Tesseract puts
// spaces between Han characters; a space before a Latin word shows).
struct CharacterErrors {
    size_t edits = 0;
    size_t reference_length = 0;
};
// The version of those rules: raised whenever they change, so that scores
// kept from older rules (the search's evaluation cache) are not reused.
constexpr int kCharacterErrorRules = 2;
CharacterErrors character_errors(std::string_view reference, std::string_view hypothesis);

// Character error rate: edits divided by the reference length. An empty
// reference gives 0 for an empty hypothesis and 1 otherwise.
double character_error_rate(std::string_view reference, std::string_view hypothesis);

// The text a page shows for source bytes [begin, end), what a read-back is
// compared with: with an inline newline marker (newline-markup
// "<font ...>TEXT</font>") each line break inside a paragraph is drawn as
// TEXT (Glyph's marker: " \n "), so it is TEXT here too; a break between
// paragraphs (every paragraph-lines source lines) stays a break. With
// "<br/>" the span as it is.
std::string shown_text(std::string_view source, size_t begin, size_t end, const RenderConfig& config);

// Checking rendered pages against their source, the legibility measure of
// `glyph ocr` and of the config search.
struct PageCheck {
    int number = 0;               // 1-based page number, for the report
    const Image* image = nullptr;
    std::string_view reference;   // the source text the page shows
};
struct PageReading {
    int number = 0;
    std::string text;  // what Tesseract read
    CharacterErrors errors;
    double seconds = 0;
};

// Called as each page is read, from the worker threads, in completion order:
// the page's index in the input and its reading. Lets a caller report
// progress on inputs that take minutes.
using PageReadCallback = std::function<void(size_t index, const PageReading& reading)>;

// OCRs the pages on `threads` threads (0: all cores; each thread has its own
// engine) and compares each with its reference. Results keep the input order.
// Rethrows the first OCR failure (pages already read were reported).
std::vector<PageReading> read_back_pages(const std::vector<PageCheck>& pages, const OcrOptions& options,
                                         int threads = 0, const PageReadCallback& on_page = {});

// Indices of `sample` pages spread evenly over `page_count` pages, first and
// last included; all pages when sample <= 0 or sample >= page_count.
std::vector<size_t> sample_pages(size_t page_count, int sample);

// Tesseract here is built with OpenMP, whose worker threads spin-wait: with
// pages read in parallel on a busy 2-core machine one page took 7x longer.
// OpenMP reads OMP_THREAD_LIMIT only when the program starts, so a program
// that OCRs calls this first thing in main: unless the variable is already
// set, it re-executes the program with OMP_THREAD_LIMIT=1. Returns when it
// did not re-execute (variable set, or exec failed: then OCR is just slower).
void limit_tesseract_threads(char** argv);

// The variable alone: sets OMP_THREAD_LIMIT=1 unless it is set already and
// returns whether it did. A program that executes one which OCRs calls it
// first to spare that program the re-exec (inline: it needs no Tesseract).
inline bool set_tesseract_thread_limit() {
    return std::getenv("OMP_THREAD_LIMIT") == nullptr && ::setenv("OMP_THREAD_LIMIT", "1", 1) == 0;
}

}  // namespace glyph
