// One progress reporter for the long-running subcommands (render --batch,
// ocr, and later eval and search): a single stderr line with items done,
// items/s, pages/s and an ETA, redrawn on a terminal and logged every 30 s
// otherwise (Slurm or CI logs get a heartbeat without a flood).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace glyph::cli {

class ProgressReporter {
public:
    // `noun` names the items ("items", "pages"); `total` may grow later.
    ProgressReporter(std::string noun, size_t total);
    // Items finished before this run (a resume): counted as done, not in the rates.
    void skip(size_t items);
    // Thread-safe: `items` more finished now, which made `pages` pages.
    void advance(size_t items, size_t pages = 0);
    // Ends the line on a terminal; call once when the work is over.
    void finish();

private:
    void draw(bool force);

    std::mutex mu_;
    std::string noun_;
    size_t total_ = 0, skipped_ = 0, done_ = 0, pages_ = 0;
    bool tty_ = false, drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1 page", "3 pages": counts a person reads.
std::string plural(size_t n, const std::string& singular, const std::string& plural_form = "");

}  // namespace glyph::cli
