#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace glyph::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string duration_text(double seconds) {
    char buf[32];
    const long s = long(seconds + 0.5);
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%lds", s);
    return buf;
}

// Slow work (OCR of big pages) runs below 0.1 items/s: keep two significant digits there.
std::string rate_text(double per_second) {
    char buf[32];
    std::snprintf(buf, sizeof buf, per_second >= 10 ? "%.0f" : per_second >= 1 ? "%.1f" : "%.2g", per_second);
    return buf;
}

}  // namespace

std::string plural(size_t n, const std::string& singular, const std::string& plural_form) {
    return std::to_string(n) + " " + (n == 1 ? singular : plural_form.empty() ? singular + "s" : plural_form);
}

ProgressReporter::ProgressReporter(std::string noun, size_t total)
    : noun_(std::move(noun)), total_(total), tty_(isatty(STDERR_FILENO)), start_(Clock::now()), last_draw_(start_) {}

void ProgressReporter::skip(size_t items) {
    std::lock_guard lock(mu_);
    skipped_ += items;
}

void ProgressReporter::advance(size_t items, size_t pages) {
    std::lock_guard lock(mu_);
    done_ += items;
    pages_ += pages;
    draw(false);
}

void ProgressReporter::finish() {
    std::lock_guard lock(mu_);
    if (tty_ && drawn_) {
        draw(true);
        std::fputc('\n', stderr);
    }
    drawn_ = false;
}

void ProgressReporter::draw(bool force) {
    const auto now = Clock::now();
    const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
    const size_t finished = done_ + skipped_;
    // A terminal redraws at most 10 times a second and shows the last count;
    // a log gets a line every 30 s.
    const bool complete = finished >= total_;
    if (!force && since_draw < (tty_ ? 0.1 : 30.0) && !(tty_ && complete)) return;
    last_draw_ = now;
    const double elapsed = std::max(1e-6, std::chrono::duration<double>(now - start_).count());
    const double rate = double(done_) / elapsed;
    std::string line = std::to_string(finished) + "/" + std::to_string(total_) + " " + noun_;
    if (skipped_) line += " (" + std::to_string(skipped_) + " already done)";
    line += ", " + rate_text(rate) + " " + noun_ + "/s";
    if (pages_) line += ", " + rate_text(double(pages_) / elapsed) + " pages/s";
    if (!complete && done_ > 0) line += ", ETA " + duration_text(double(total_ - finished) / rate);
    else if (complete) line += ", " + duration_text(elapsed);
    if (tty_) std::fprintf(stderr, "\r\033[K%s", line.c_str());
    else std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
}

}  // namespace glyph::cli
