// glyph tokenize: text tokens of a file by a BPE tokenizer.json (a path, a model folder or a known name).
#include <time.h>

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "glyph/accounting.h"
#include "glyph/tokenizer.h"

namespace glyph::cli {
namespace {

struct TokenizeArgs {
    std::string input;
    std::string tokenizer;
    bool ids = false;
    bool stats = false;
    bool json = false;
};


double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU seconds of this process: on a shared machine, wall time also counts other programs' turns.
double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

void run(const TokenizeArgs& a) {
    const std::string text = read_text_input(a.input, "input file");
    const auto load_start = std::chrono::steady_clock::now();
    const Tokenizer tokenizer = Tokenizer::load(a.tokenizer.empty() ? default_tokenizer_path() : a.tokenizer);
    const double load_s = seconds_since(load_start);
    const auto encode_start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    const std::vector<uint32_t> ids = tokenizer.encode(text);
    const double encode_cpu_s = cpu_seconds() - cpu_start;
    const double encode_s = seconds_since(encode_start);

    if (a.json) {
        const TextCount count = count_text(text, {}, tokenizer, nullptr, int64_t(ids.size()));
        nlohmann::json out{{"tokens", ids.size()},
                           {"tokenizer", a.tokenizer.empty() ? default_tokenizer_path() : a.tokenizer},
                           {"characters", count.chars},
                           {"bytes", text.size()}};
        if (a.ids) out["ids"] = ids;
        std::printf("%s\n", out.dump(2).c_str());
    } else if (a.ids) {
        std::string line;
        line.reserve(ids.size() * 7);
        char buf[16];
        for (size_t i = 0; i < ids.size(); ++i) {
            const int n = std::snprintf(buf, sizeof buf, i ? " %u" : "%u", ids[i]);
            line.append(buf, size_t(n));
        }
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
    } else {
        std::printf("%zu\n", ids.size());
    }
    if (a.stats) {
        const double mb = double(text.size()) / 1e6;
        const std::string how = tokenizer.loaded_from_image()   ? "compiled image " + tokenizer.image_path()
                                : tokenizer.image_path().empty() ? std::string("parsed the JSON; no image could be written")
                                                                 : "parsed the JSON; image written to " + tokenizer.image_path();
        std::fprintf(stderr, "load %.3f s (%s); encode %.3f s (cpu %.3f s): %zu bytes, %zu tokens, %.2f MB/s, %.0f tokens/s\n",
                     load_s, how.c_str(), encode_s, encode_cpu_s, text.size(), ids.size(), encode_s > 0 ? mb / encode_s : 0.0,
                     encode_s > 0 ? double(ids.size()) / encode_s : 0.0);
    }
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
    auto args = std::make_shared<TokenizeArgs>();
    CLI::App* cmd = app.add_subcommand("tokenize", "Count (or list) the text tokens of a file with a BPE tokenizer (Qwen3 by default)");
    cmd->add_option("input", args->input, "Text file (UTF-8; invalid bytes read as U+FFFD), or - for standard input")
        ->required();
    cmd->add_option("--tokenizer", args->tokenizer,
                    "A tokenizer.json, a model folder holding one, or a name (qwen3, llama3_1, gpt4o, gemma3, llama2, ...; "
                    "default: $GLYPH_TOKENIZER, else models/tokenizer.json = Qwen3)");
    cmd->add_flag("--ids", args->ids, "Print the token ids on one line, space-separated, instead of the count");
    cmd->add_flag("--json", args->json,
                  "Print {tokens, tokenizer, characters, bytes} (and ids with --ids) as JSON on stdout");
    cmd->add_flag("--stats", args->stats, "Also print load and encode time and throughput to stderr");
    cmd->callback([args] { run(*args); });
}

}  // namespace glyph::cli
