// Reading a set of pages back in parallel and scoring each against its source.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "glyph/ocr.h"
#include "glyph/work_pool.h"

namespace glyph {

std::vector<PageReading> read_back_pages(const std::vector<PageCheck>& pages, const OcrOptions& options,
                                         int threads, const PageReadCallback& on_page) {
    std::vector<PageReading> readings(pages.size());
    if (pages.empty()) return readings;
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    threads = std::min<int>(threads, int(pages.size()));

    // A failed page skips the pages not yet started; wait() rethrows its error.
    WorkPool pool(threads);
    WorkPool::Group reads;
    for (size_t i = 0; i < pages.size(); ++i) {
        pool.submit(reads, [&, i] {
            const auto start = std::chrono::steady_clock::now();
            PageReading& r = readings[i];
            r.number = pages[i].number;
            r.text = ocr_image(*pages[i].image, options);
            r.errors = character_errors(pages[i].reference, r.text);
            r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (on_page) on_page(i, r);
        });
    }
    pool.wait(reads);
    return readings;
}

std::vector<size_t> sample_pages(size_t page_count, int sample) {
    std::vector<size_t> indices;
    if (sample <= 0 || size_t(sample) >= page_count) {
        for (size_t i = 0; i < page_count; ++i) indices.push_back(i);
        return indices;
    }
    if (sample == 1) return {0};
    // Spread from the first to the last page; distinct because sample < count.
    for (int i = 0; i < sample; ++i)
        indices.push_back(size_t(std::llround(double(i) * double(page_count - 1) / double(sample - 1))));
    return indices;
}

void limit_tesseract_threads(char** argv) {
    if (!set_tesseract_thread_limit()) return;
    ::execv("/proc/self/exe", argv);
    // exec failed: carry on in this process, with OpenMP's default threads.
}

}  // namespace glyph
