// The batch JSONL reader and what follows it: any bytes as a dataset file,
// rendered on small pages into a fresh folder. A bad file must be an
// InputError naming the line; a bad item a recorded failure; never a crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "glyph/batch.h"
#include "glyph/config_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace fs = std::filesystem;
    static const fs::path work = fs::temp_directory_path() / ("glyph-fuzz-batch-" + std::to_string(getpid()));
    static const glyph::RenderConfig base =
        glyph::apply_config(nlohmann::json{{"page-size", "200,200"}}, glyph::preset("en"));
    fs::remove_all(work);
    fs::create_directories(work);
    const std::string dataset = (work / "data.jsonl").string();
    std::ofstream(dataset, std::ios::binary).write(reinterpret_cast<const char*>(data), std::streamsize(size));
    glyph::BatchOptions options;
    options.threads = 1;
    try {
        const glyph::BatchReport report = glyph::render_batch(dataset, base, work.string(), (work / "out").string(), options);
        if (report.rendered + report.failed + report.skipped != report.total) __builtin_trap();
    } catch (const glyph::InputError&) {
    }
    return 0;
}
