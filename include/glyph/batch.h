// Batch rendering of a JSONL dataset (Glyph's batch format: one object per
// line with "unique_id", "context" and optional "config" overrides; other
// column names by option), on all cores, resumable: finished ids are recorded
// in OUT/results.jsonl only after their pages and manifest are complete, and
// skipped on the next run. A bad line or a failed item never stops the batch:
// it is listed in OUT/failures.jsonl and retried on the next run.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "glyph/config.h"
#include "glyph/render.h"

namespace glyph {

// One of N disjoint parts of a batch, so that N jobs (a Slurm array, a
// Kubernetes Indexed Job, Dask tasks) share one input and one output folder:
// part `index` takes the items whose position (0-based, among the input's
// non-blank lines) mod `count` is `index`, and keeps its own ledger and
// failures (results.shard-I-of-N.jsonl, failures.shard-I-of-N.jsonl), so the
// parts run at the same time and each resumes on its own.
struct BatchShard {
    size_t index = 0;
    size_t count = 1;  // 1: the whole batch, results.jsonl and failures.jsonl
    bool whole() const { return count == 1; }
};

// "I/N" with 0 <= I < N (N at most 1,000,000); throws ConfigError otherwise.
BatchShard parse_batch_shard(std::string_view text);

struct BatchOptions {
    int threads = 0;  // 0 = all cores
    BatchShard shard;
    std::atomic<bool>* stop = nullptr;  // set to stop after the items in flight
    // The columns holding an item's id (a string or an integer) and its text.
    std::string id_field = "unique_id";
    std::string text_field = "context";
    // Called once, before any item renders: items in the input (bad lines
    // included) and how many of them an earlier run finished.
    std::function<void(size_t total, size_t already_done)> on_start;
    // Called after each item this run attempts (from worker threads,
    // serialized) with the pages it made: 0 when it failed.
    std::function<void(size_t pages)> progress;
    // When set, an item's config before its own "config" keys, chosen from
    // its text (the CLI's --preset auto: en or zh per item); else `base`.
    // Throwing ConfigError makes the item a read failure.
    std::function<RenderConfig(std::string_view text)> base_for_text;
    // Called while the input is read, for what the config module accepts
    // but doubts in an item's "config" (an alignment that is not LEFT,
    // CENTER, RIGHT or JUSTIFY renders as JUSTIFY, as the reference does):
    // the item's 1-based line and one line of text.
    std::function<void(size_t line, const std::string& warning)> on_warning;
    // Called from worker threads, concurrently, once an item's pages are
    // written and before its manifest is: a later stage (accounting) can add
    // to the manifest, which is then written and the item's folder (item_dir)
    // swapped in whole. Throwing marks the item failed with the message.
    std::function<void(const std::string& item_dir, std::string_view text, const RenderResult& result,
                       nlohmann::json& manifest)>
        on_item;
};

// One row of failures.jsonl: {"id", "line", "stage", "error"}. `id` is the
// item's id as the input gave it (null when the line has none readable),
// `line` the 1-based line of the input, `stage` "read" (the line cannot
// become an item: not JSON, a missing field, a repeated id, a bad "config")
// or "render" (the item failed to render or to be recorded).
struct BatchFailure {
    nlohmann::json id;
    size_t line = 0;
    std::string stage;
    std::string error;
    nlohmann::ordered_json to_json() const;  // keys in that order
};

struct BatchReport {
    size_t total = 0;      // items in the input (in the shard), bad lines included
    size_t skipped = 0;    // already done in an earlier run
    size_t rendered = 0;
    size_t failed = 0;     // == failures.size()
    size_t pages = 0;
    bool stopped = false;  // interrupted before every item was attempted
    std::string results_path;
    std::string failures_path;  // written only when failures is not empty
    std::vector<BatchFailure> failures;  // in input order
};

// Throws InputError when the input cannot be read or the output folder cannot
// be created, ConfigError for an empty field name or a bad shard, std::runtime_error when the
// ledger cannot be opened or repaired or failures.jsonl cannot be written; a
// bad line or item is a failure in the report instead.
BatchReport render_batch(const std::string& jsonl_path, const RenderConfig& base, const std::string& base_dir,
                         const std::string& out_dir, const BatchOptions& options);

// A folder name for an item id, distinct for distinct ids: safe characters
// kept; when anything is replaced (path tricks such as ".." included), the
// id is longer than 80 bytes or it names one of the batch's own files
// (results*.jsonl, failures*.jsonl), the name ends in a hash of the whole id.
std::string item_folder_name(const std::string& unique_id);

}  // namespace glyph
