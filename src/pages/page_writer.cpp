// PageWriter: a render folder that is replaced whole or not at all.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "glyph/encode.h"
#include "glyph/render.h"
#include "glyph/config_json.h"
#include "glyph/file_write.h"
#include "glyph/page_writer.h"
#include "util/utf8.h"

namespace glyph {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kStagingTag = ".glyph-staging-";

// What glyph itself writes into a render folder; anything else in an
// existing folder is the user's, and a render never deletes it.
bool is_render_file(const std::string& name) {
    if (name == "manifest.json" || name == "layout.jsonl") return true;
    if (name.size() < 12 || name.rfind("page_", 0) != 0 || name.compare(name.size() - 4, 4, ".png") != 0)
        return false;
    for (size_t i = 5; i + 4 < name.size(); ++i)
        if (name[i] < '0' || name[i] > '9') return false;
    return true;
}

void check_reusable(const fs::path& dir, const std::string& shown) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!it->is_regular_file(ec) || !is_render_file(name))
            throw InputError("output folder " + shown + " holds \"" + name +
                             "\", which glyph did not write; give a new or empty folder (glyph replaces only "
                             "page_NNN.png, manifest.json and layout.jsonl)");
    }
    if (ec) throw InputError("cannot read output folder " + shown + ": " + ec.message());
}

// Staging folders of renders that were killed (their process is gone); all
// of them when `base` is empty, else those beside the folder `base`.
void sweep_staging(const fs::path& parent, const std::string& base) {
    std::error_code ec;
    for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const size_t tag = name.find(kStagingTag);
        if (name.empty() || name[0] != '.' || tag == std::string::npos) continue;
        if (!base.empty() && name.compare(1, tag - 1, base) != 0) continue;
        const long pid = std::strtol(name.c_str() + tag + std::strlen(kStagingTag), nullptr, 10);
        if (pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno != ESRCH)) continue;  // still rendering
        std::error_code rm;
        fs::remove_all(it->path(), rm);
    }
}

std::string staging_name(const std::string& base) {
    static std::atomic<unsigned> counter{0};
    const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
    return "." + base + kStagingTag + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
           std::to_string(static_cast<unsigned long long>(ticks) % 1000000007ull);
}

// Put `staging` at `target`; what was at `target` is removed afterwards.
void swap_in(const fs::path& staging, const fs::path& target) {
    std::error_code ec;
    if (!fs::exists(target, ec)) {
        if (::rename(staging.c_str(), target.c_str()) == 0) return;
        throw InputError("cannot move the render into " + target.string() + ": " + std::strerror(errno));
    }
    // One atomic step where the file system supports it: a reader sees the
    // old render or the new one, never a mix and never nothing.
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
        fs::remove_all(staging, ec);
        return;
    }
    if (errno != EINVAL && errno != ENOSYS)
        throw InputError("cannot swap the render into " + target.string() + ": " + std::strerror(errno));
    fs::path old = staging;
    old += ".old";
    if (::rename(target.c_str(), old.c_str()) != 0)
        throw InputError("cannot replace " + target.string() + ": " + std::strerror(errno));
    if (::rename(staging.c_str(), target.c_str()) != 0) {
        const int error = errno;
        ::rename(old.c_str(), target.c_str());  // put the previous render back
        throw InputError("cannot move the render into " + target.string() + ": " + std::strerror(error));
    }
    fs::remove_all(old, ec);
}

}  // namespace

void remove_stale_staging(const std::string& parent) { sweep_staging(parent, ""); }

PageWriter::PageWriter(std::string out_dir, bool sweep_stale) : dir_(std::move(out_dir)) {
    std::error_code ec;
    fs::path dir = fs::absolute(fs::path(dir_), ec).lexically_normal();
    if (dir.has_filename() == false) dir = dir.parent_path();  // "out/" names the folder "out"
    if (fs::exists(dir, ec)) {
        if (!fs::is_directory(dir, ec)) throw InputError("output path " + dir_ + " exists and is not a folder");
        check_reusable(dir, dir_);
    }
    const fs::path parent = dir.parent_path();
    if (dir == parent || dir.filename() == "..") throw InputError("output folder " + dir_ + " cannot be replaced");
    fs::create_directories(parent, ec);
    if (!fs::is_directory(parent, ec))
        throw InputError("cannot create the folder " + parent.string() + " for " + dir_ +
                         (ec ? ": " + ec.message() : std::string()));
    const std::string base = dir.filename().string();
    if (sweep_stale) sweep_staging(parent, base);
    fs::path staging = parent / staging_name(base);
    if (!fs::create_directory(staging, ec) || ec)
        throw InputError("cannot create a folder beside " + dir_ + ": " + (ec ? ec.message() : "it exists"));
    staging_ = staging.string();
    dir_ = dir.string();
}

PageWriter::~PageWriter() {
    if (committed_) return;
    std::error_code ec;
    fs::remove_all(staging_, ec);
}

std::string PageWriter::page_file_name(int number) {
    char name[32];
    std::snprintf(name, sizeof name, "page_%03d.png", number);
    return name;
}

void PageWriter::write(const Page& page) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<uint8_t> png = encode_png(page.image);
    write_new_file((fs::path(staging_) / page_file_name(page.number)).string(), png.data(), png.size());
    encode_us_ += std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
}

json PageWriter::manifest(const RenderResult& result, const RenderConfig& config, std::string_view source,
                          const std::string& source_path, const std::string& source_sha256) const {
    json pages = json::array();
    for (const Page& p : result.pages) {
        pages.push_back({{"file", page_file_name(p.number)},
                         {"width", p.image.width},
                         {"height", p.image.height},
                         {"channels", p.image.channels},
                         {"lines", p.line_count},
                         {"text_begin", p.text_begin},
                         {"text_end", p.text_end},
                         {"char_begin", p.char_begin},
                         {"char_end", p.char_end}});
    }
    const size_t chars = count_code_points(source);
    json m{{"generator", "glyph 0.1.0"},
                {"pages", pages},
                {"page_count", result.pages.size()},
                {"source_bytes", source.size()},
                {"source_chars", chars},
                {"config", to_json(config)},
                {"timings_ms",
                 {{"layout", result.timings.layout_ms}, {"raster", result.timings.raster_ms}, {"encode", encode_ms()}}}};
    if (!source_path.empty()) {
        m["source"] = source_path;
        m["source_sha256"] = source_sha256.empty() ? source_digest(source) : source_sha256;
    }
    if (result.missing.count)
        m["missing_glyphs"] = {{"count", result.missing.count}, {"examples", result.missing.examples}};
    return m;
}

void PageWriter::commit(const json& manifest) {
    if (committed_) throw std::logic_error("PageWriter::commit called twice");
    const std::string text = manifest.dump(2, ' ', false, json::error_handler_t::replace);
    write_new_file((fs::path(staging_) / "manifest.json").string(), text.data(), text.size());
    swap_in(staging_, dir_);
    committed_ = true;
}

json PageWriter::finish(const RenderResult& result, const RenderConfig& config, std::string_view source,
                        const std::string& source_path) {
    json m = manifest(result, config, source, source_path);
    commit(m);
    return m;
}

}  // namespace glyph
