// Batch rendering of a JSONL dataset (Glyph's batch format: one object per
// line with "unique_id", "context" and optional "config" overrides), on all
// cores, resumable: finished ids are recorded in OUT/results.jsonl only after
// their pages and manifest are complete, and skipped on the next run.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "glyph/config.h"
#include "glyph/render.h"

namespace glyph {

struct BatchOptions {
    int threads = 0;  // 0 = all cores
    std::atomic<bool>* stop = nullptr;  // set to stop after the items in flight
    // Called after each item (from worker threads, serialized): done, total.
    std::function<void(size_t done, size_t total)> progress;
    // Called from worker threads, concurrently, once an item's pages and
    // manifest.json are written and before it is recorded as done: a later
    // stage (accounting) can add to the manifest and rewrite it in item_dir.
    // Throwing marks the item failed with the message.
    std::function<void(const std::string& item_dir, std::string_view text, const RenderResult& result,
                       nlohmann::json& manifest)>
        on_item;
};

struct BatchReport {
    size_t total = 0;      // items in the input
    size_t skipped = 0;    // already done in an earlier run
    size_t rendered = 0;
    size_t failed = 0;     // recorded with an "error" field; retried on the next run
    size_t pages = 0;
    bool stopped = false;  // interrupted before every item was attempted
    std::string results_path;
};

// Throws InputError if the input cannot be read or a line is not a JSON
// object with a string "unique_id" and "context" (the message names the line).
BatchReport render_batch(const std::string& jsonl_path, const RenderConfig& base, const std::string& base_dir,
                         const std::string& out_dir, const BatchOptions& options);

// A folder name for an item id: safe characters kept, anything else (and
// path tricks such as "..") replaced, with a short hash when changed.
std::string item_folder_name(const std::string& unique_id);

}  // namespace glyph
