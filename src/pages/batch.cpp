#include "glyph/batch.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "glyph/encode.h"
#include "glyph/render.h"
#include "glyph/work_pool.h"
#include "glyph/config_json.h"
#include "glyph/page_writer.h"
#include "util/jsonl_files.h"

namespace glyph {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A batch line holds one item's whole text; this bounds what one line may
// take in memory (a 1M-token document is a few MB).
constexpr size_t kMaxLineBytes = size_t(256) << 20;
// Deeper JSON than this is no dataset row; the bound keeps recursive code
// (error messages that quote a value) off deep inputs.
constexpr int kMaxJsonDepth = 64;
constexpr size_t kMaxFolderPrefix = 80;

uint64_t fnv1a64(const std::string& s) {
    uint64_t h = 1469598103934665603ull;
    for (char c : s) h = (h ^ uint8_t(c)) * 1099511628211ull;
    return h;
}

}  // namespace

std::string item_folder_name(const std::string& id) {
    std::string out;
    for (char c : id) out += (std::isalnum(uint8_t(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    // The batch's own files (results.jsonl, results.shard-0-of-4.jsonl, ...) are not item folders.
    const auto own_file = [&out](std::string_view stem) {
        return out.size() >= stem.size() + 6 && out.starts_with(stem) && out.ends_with(".jsonl") &&
               (out[stem.size()] == '.');
    };
    const bool reserved = own_file("results") || own_file("failures");
    const bool changed = out != id || out.empty() || out.find_first_not_of('.') == std::string::npos || reserved;
    if (!changed && out.size() <= kMaxFolderPrefix) return out;
    // Replacing or cutting characters can make two ids equal: the hash of
    // the whole id keeps them apart.
    if (out.size() > kMaxFolderPrefix) out.resize(kMaxFolderPrefix);
    char hash[24];
    std::snprintf(hash, sizeof hash, "-%016llx", static_cast<unsigned long long>(fnv1a64(id)));
    return (out.empty() || out[0] == '.' ? "item" + out : out) + hash;
}

BatchShard parse_batch_shard(std::string_view text) {
    constexpr size_t kMaxShards = 1000000;
    const auto bad = [&text] {
        return ConfigError("--shard expects I/N with 0 <= I < N <= " + std::to_string(kMaxShards) + " (e.g. 0/4), got \"" +
                           std::string(text) + "\"");
    };
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) throw bad();
    const auto number = [&bad](std::string_view digits) {
        if (digits.empty() || digits.size() > 7 || digits.find_first_not_of("0123456789") != std::string_view::npos)
            throw bad();
        return size_t(std::stoul(std::string(digits)));
    };
    BatchShard shard{number(text.substr(0, slash)), number(text.substr(slash + 1))};
    if (shard.count == 0 || shard.count > kMaxShards || shard.index >= shard.count) throw bad();
    return shard;
}

nlohmann::ordered_json BatchFailure::to_json() const {
    return nlohmann::ordered_json{{"id", id}, {"line", line}, {"stage", stage}, {"error", error}};
}

namespace {

struct Item {
    json id;          // as the input gave it (string or integer)
    std::string key;  // the id as text: what results.jsonl rows are matched on
    std::string folder;
    std::string context;
    RenderConfig config;
    size_t line = 0;
};

// Integers and strings name items; 17 and "17" are the same item.
std::string id_key(const json& id) { return id.is_string() ? id.get<std::string>() : id.dump(); }

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

struct Input {
    std::vector<Item> items;
    std::vector<BatchFailure> failures;  // stage "read"
    size_t lines = 0;                    // non-blank lines: items in the input
};

// One line to an item, or the reason it cannot be one (throws InputError
// with that reason; `id` is set as soon as it is known). `whole`: false reads
// only what names the item (id, key, folder), not its text and config.
Item parse_item(const std::string& line, const BatchOptions& options, const RenderConfig& base,
                const std::string& base_dir, const ConfigWarn& warn, json& id, bool whole = true) {
    json j;
    try {
        j = parse_json_bounded(line, kMaxJsonDepth);
    } catch (const json::parse_error& e) {
        throw InputError("not valid JSON (byte " + std::to_string(e.byte) + ")");
    } catch (const std::length_error& e) {
        throw InputError(std::string("JSON ") + e.what());
    }
    if (!j.is_object()) throw InputError("not a JSON object");
    const auto id_it = j.find(options.id_field);
    if (id_it == j.end()) throw InputError("no " + quoted(options.id_field) + " field (a string or an integer)");
    if (!id_it->is_string() && !id_it->is_number_integer())
        throw InputError(quoted(options.id_field) + " must be a string or an integer");
    id = *id_it;
    const auto text_it = j.find(options.text_field);
    if (text_it == j.end()) throw InputError("no " + quoted(options.text_field) + " field (a string)");
    if (!text_it->is_string()) throw InputError(quoted(options.text_field) + " must be a string");
    Item item;
    item.id = id;
    item.key = id_key(id);
    item.folder = item_folder_name(item.key);
    if (!whole) return item;
    item.context = text_it->get<std::string>();
    try {
        item.config = options.base_for_text ? options.base_for_text(item.context) : base;
    } catch (const ConfigError& e) {
        throw InputError(e.what());
    }
    const auto config_it = j.find("config");
    if (config_it != j.end() && !config_it->is_null()) {
        if (!config_it->is_object()) throw InputError("\"config\" must be an object of config keys");
        try {
            item.config = apply_config(*config_it, item.config, base_dir, UnknownKeys::Reject, warn);
            validate(item.config);
        } catch (const ConfigError& e) {
            throw InputError(std::string("\"config\": ") + e.what());
        }
    }
    return item;
}

// Every line of the input as an item or a read failure. Repeated ids and
// ids whose folders coincide are failures of the later line, so two items
// never share a folder. A shard keeps only its own lines but reads the ids of
// all, so a line repeating an id of another shard's fails as in the whole
// batch. (Other shards' lines are not configured: one whose only fault is
// its "config" still claims its id here, where the whole batch would let a
// later line have it.)
Input read_input(const std::string& path, const BatchOptions& options, const RenderConfig& base,
                 const std::string& base_dir) {
    Input in;
    LineReader reader(path, "batch file", kMaxLineBytes);
    std::map<std::string, size_t> line_of_key, line_of_folder;
    std::string line;
    bool too_long = false;
    size_t position = 0;  // among non-blank lines: what shards split on
    for (size_t n = 1; reader.next(line, too_long); ++n) {
        if (!too_long && line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const bool in_shard = position++ % options.shard.count == options.shard.index;
        if (in_shard) ++in.lines;
        json id;  // null until the line's id is read
        try {
            if (too_long) throw InputError("line longer than " + std::to_string(kMaxLineBytes >> 20) + " MiB");
            const ConfigWarn warn = [&](const std::string& w) {
                if (options.on_warning) options.on_warning(n, w);
            };
            Item item = parse_item(line, options, base, base_dir, warn, id, in_shard);
            if (const auto seen = line_of_key.find(item.key); seen != line_of_key.end())
                throw InputError("repeats the id of line " + std::to_string(seen->second));
            if (const auto seen = line_of_folder.find(item.folder); seen != line_of_folder.end())
                throw InputError("its folder " + item.folder + " is already the folder of line " +
                                 std::to_string(seen->second) + "'s id");
            line_of_key.emplace(item.key, n);
            line_of_folder.emplace(item.folder, n);
            item.line = n;
            if (in_shard) in.items.push_back(std::move(item));
        } catch (const InputError& e) {
            if (in_shard) in.failures.push_back({id, n, "read", e.what()});
        }
    }
    return in;
}

// Renders one item into OUT/<folder>/ and returns its results.jsonl row
// (paths relative to OUT). Throws on any failure.
nlohmann::ordered_json render_item(const Item& item, const std::string& out_dir, const BatchOptions& options,
                                   size_t& pages) {
    PageWriter writer((fs::path(out_dir) / item.folder).string(), /*sweep_stale=*/false);
    RenderOptions ro;
    ro.on_page = [&writer](const Page& page) { writer.write(page); };
    const RenderResult r = render_text(item.context, item.config, ro);
    json manifest = writer.manifest(r, item.config, item.context);
    if (options.on_item) options.on_item(writer.out_dir(), item.context, r, manifest);
    writer.commit(manifest);
    json files = json::array();
    for (const auto& p : manifest["pages"]) files.push_back(item.folder + "/" + p["file"].get<std::string>());
    pages = r.pages.size();
    return nlohmann::ordered_json{
        {"unique_id", item.id}, {"pages", files}, {"page_count", pages}, {"manifest", item.folder + "/manifest.json"}};
}

// failures.jsonl describes the run that just ended: written (durably, via a
// temporary name) when it has failures, removed when it has none.
void write_failures(const std::string& path, const std::vector<BatchFailure>& failures) {
    std::string rows;
    for (const BatchFailure& f : failures) rows += f.to_json().dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    try {
        write_rows_or_remove(path, rows);
    } catch (const std::runtime_error& e) {
        if (failures.empty()) throw;
        const size_t n = failures.size();
        throw std::runtime_error(std::to_string(n) + (n == 1 ? " item" : " items") + " failed and " + e.what());
    }
}

}  // namespace

BatchReport render_batch(const std::string& jsonl_path, const RenderConfig& base, const std::string& base_dir,
                         const std::string& out_dir, const BatchOptions& options) {
    if (options.id_field.empty() || options.text_field.empty())
        throw ConfigError("the id and text field names must not be empty");
    const BatchShard& shard = options.shard;
    if (shard.count == 0 || shard.index >= shard.count)
        throw ConfigError("shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count) +
                          " does not exist (0 <= I < N)");
    Input input = read_input(jsonl_path, options, base, base_dir);
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (!fs::is_directory(out_dir)) throw InputError("cannot create output folder " + out_dir);
    const std::string suffix =
        shard.whole() ? "" : ".shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count);
    BatchReport report;
    report.total = input.lines;
    report.results_path = (fs::path(out_dir) / ("results" + suffix + ".jsonl")).string();
    report.failures_path = (fs::path(out_dir) / ("failures" + suffix + ".jsonl")).string();
    // The parts of a sharded batch share the folder (their items are
    // disjoint) and each holds its own ledger; a whole batch holds the folder alone.
    const FolderLock lock(out_dir, "batch is rendering",
                          shard.whole() ? FolderLock::Mode::Exclusive : FolderLock::Mode::Shared);
    std::optional<FolderLock> shard_lock;
    if (!shard.whole())
        shard_lock.emplace(FolderLock::file(report.results_path, "batch shard " + std::to_string(shard.index) + "/" +
                                                                     std::to_string(shard.count) + " is rendering"));
    // Once here, not once per item. Not in a shard: the other parts may run
    // on other machines, where a live render's process id means nothing here.
    if (shard.whole()) remove_stale_staging(out_dir);
    // "error" rows are an older glyph's failures: they finish nothing.
    AppendLedger ledger(report.results_path, [](const json& row) -> std::optional<std::string> {
        const auto id = row.find("unique_id");
        if (row.contains("error") || id == row.end() || !(id->is_string() || id->is_number_integer())) return std::nullopt;
        return id_key(*id);
    });

    // A finished id from an earlier run owns its folder: an input id that
    // would land in it fails instead of overwriting the other's pages.
    std::map<std::string, const std::string*> key_of_folder;
    for (const Item& it : input.items) key_of_folder.emplace(it.folder, &it.key);
    std::set<std::string> taken;
    for (const std::string& key : ledger.done()) {
        const auto owner = key_of_folder.find(item_folder_name(key));
        if (owner != key_of_folder.end() && *owner->second != key) taken.insert(owner->first);
    }
    std::vector<const Item*> todo;
    for (const Item& it : input.items) {
        if (ledger.done().count(it.key)) ++report.skipped;
        else if (taken.count(it.folder))
            input.failures.push_back({it.id, it.line, "read",
                                      "its folder " + it.folder + " holds another id finished in an earlier run"});
        else todo.push_back(&it);
    }
    if (!todo.empty()) ledger.open_for_append();
    if (options.on_start) options.on_start(report.skipped + todo.size(), report.skipped);

    // Items are tasks on the one work pool, taken in input order; each
    // renders its pages on its own task's thread.
    std::mutex mu;
    WorkPool pool(std::max(1, std::min<int>(options.threads > 0 ? options.threads
                                                                : int(std::max(1u, std::thread::hardware_concurrency())),
                                            int(todo.size()))));
    WorkPool::Group items;
    for (const Item* it : todo) {
        pool.submit(items, [&, it] {
            if (options.stop && options.stop->load()) return;
            size_t pages = 0;
            std::string error;
            nlohmann::ordered_json row;
            try {
                row = render_item(*it, out_dir, options, pages);
            } catch (const std::exception& e) {
                error = e.what();
            }
            std::lock_guard lock(mu);
            if (error.empty()) {
                try {
                    ledger.append(row);
                } catch (const std::exception& e) {
                    error = std::string("rendered but not recorded: ") + e.what();
                }
            }
            if (error.empty()) {
                ++report.rendered;
                report.pages += pages;
            } else {
                input.failures.push_back({it->id, it->line, "render", error});
                pages = 0;
            }
            if (options.progress) options.progress(pages);
        });
    }
    pool.wait(items);
    std::sort(input.failures.begin(), input.failures.end(),
              [](const BatchFailure& a, const BatchFailure& b) { return a.line < b.line; });
    report.failed = input.failures.size();
    report.stopped = report.skipped + report.rendered + report.failed < report.total;
    write_failures(report.failures_path, input.failures);
    report.failures = std::move(input.failures);
    return report;
}

}  // namespace glyph
