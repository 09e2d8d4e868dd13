// A render folder: page_001.png ... and manifest.json, written so that the
// folder always holds one complete render. The manifest is a JSON document
// that later stages add to (accounting_manifest.h), hence nlohmann::json here.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "glyph/config.h"
#include "glyph/render.h"

namespace glyph {

// Writes page_001.png ... and manifest.json into a folder so that the folder
// always holds exactly one complete render: pages go into a hidden staging
// folder beside it, and commit() swaps that in (an atomic exchange where the
// file system has one), so a failed or interrupted render leaves the previous
// one intact and two renders never mix. Missing parent folders are created.
// A folder holding files glyph does not write (anything but page_NNN.png,
// manifest.json, layout.jsonl) is refused rather than emptied. write() may be
// called from several threads.
class PageWriter {
public:
    // `sweep_stale`: remove staging folders that killed renders left beside
    // out_dir (a scan of its parent); a batch sweeps its output folder once
    // with remove_stale_staging() instead of once per item.
    explicit PageWriter(std::string out_dir, bool sweep_stale = true);  // throws InputError
    ~PageWriter();                              // drops the staging folder unless committed
    PageWriter(const PageWriter&) = delete;
    PageWriter& operator=(const PageWriter&) = delete;

    void write(const Page& page);
    // The manifest describing `result` (not yet written). `source_path`
    // (empty: none, e.g. stdin or a batch item) is recorded as "source" with
    // "source_sha256", so the pages can be checked against their text later.
    // `source_sha256` is source_digest(source) when the caller has it already
    // (the CLI computes it beside the layout); empty: computed here.
    nlohmann::json manifest(const RenderResult& result, const RenderConfig& config, std::string_view source,
                            const std::string& source_path = "", const std::string& source_sha256 = "") const;
    // Writes `manifest` as manifest.json and swaps the staging folder in.
    void commit(const nlohmann::json& manifest);
    // manifest() then commit(); returns the manifest.
    nlohmann::json finish(const RenderResult& result, const RenderConfig& config, std::string_view source,
                          const std::string& source_path = "");
    double encode_ms() const { return encode_us_.load() / 1000.0; }
    const std::string& out_dir() const { return dir_; }
    static std::string page_file_name(int number);

private:
    std::string dir_;
    std::string staging_;
    bool committed_ = false;
    std::atomic<long long> encode_us_{0};
};

// Removes the staging folders of killed renders (their process is gone) in `parent`.
void remove_stale_staging(const std::string& parent);

// In-memory result to a folder, pages encoded on `threads` threads.
nlohmann::json write_pages(const RenderResult& result, const RenderConfig& config, std::string_view source,
                           const std::string& out_dir, int threads = 1);

}  // namespace glyph
