#include "glyph/batch.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>
#include <fcntl.h>

#include <nlohmann/json.hpp>

#include "glyph/render.h"

namespace glyph {
namespace fs = std::filesystem;
using nlohmann::json;

std::string item_folder_name(const std::string& id) {
    std::string out;
    for (char c : id) out += (std::isalnum(uint8_t(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    const bool changed = out != id || out.empty() || out.find_first_not_of('.') == std::string::npos;
    if (out.size() > 80) out.resize(80);
    if (changed) {
        uint64_t h = 1469598103934665603ull;  // FNV-1a keeps distinct ids apart
        for (char c : id) h = (h ^ uint8_t(c)) * 1099511628211ull;
        char buf[20];
        std::snprintf(buf, sizeof buf, "-%08llx", static_cast<unsigned long long>(h & 0xffffffffull));
        out = (out.empty() || out[0] == '.' ? "item" + out : out) + buf;
    }
    return out;
}

namespace {

struct Item {
    std::string id;
    std::string context;
    json config;
    size_t line = 0;
};

std::vector<Item> read_items(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError("cannot read batch file " + path);
    std::vector<Item> items;
    std::set<std::string> ids;
    std::string line;
    for (size_t n = 1; std::getline(in, line); ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        json j = json::parse(line, nullptr, false);
        const std::string where = path + " line " + std::to_string(n);
        if (j.is_discarded() || !j.is_object()) throw InputError(where + " is not a JSON object");
        if (!j.contains("unique_id") || !(j["unique_id"].is_string() || j["unique_id"].is_number_integer()))
            throw InputError(where + " has no string \"unique_id\"");
        if (!j.contains("context") || !j["context"].is_string())
            throw InputError(where + " has no string \"context\"");
        Item it;
        it.id = j["unique_id"].is_string() ? j["unique_id"].get<std::string>() : j["unique_id"].dump();
        it.context = j["context"].get<std::string>();
        if (j.contains("config") && !j["config"].is_null()) {
            if (!j["config"].is_object()) throw InputError(where + ": \"config\" must be an object of config keys");
            it.config = j["config"];
        }
        it.line = n;
        if (!ids.insert(it.id).second) throw InputError(where + " repeats unique_id \"" + it.id + "\"");
        items.push_back(std::move(it));
    }
    return items;
}

// Ids that finished in an earlier run. A torn last line (a crash mid-write)
// is dropped so the file stays valid JSONL.
std::set<std::string> finished_ids(const std::string& results_path) {
    std::set<std::string> done;
    std::ifstream in(results_path, std::ios::binary);
    if (!in) return done;
    std::string line, valid;
    while (std::getline(in, line)) {
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;
        valid += line + "\n";
        if (j.contains("unique_id") && !j.contains("error")) done.insert(j["unique_id"].get<std::string>());
    }
    in.close();
    std::ofstream out(results_path + ".tmp", std::ios::binary);
    out << valid;
    out.close();
    fs::rename(results_path + ".tmp", results_path);
    return done;
}

}  // namespace

BatchReport render_batch(const std::string& jsonl_path, const RenderConfig& base, const std::string& base_dir,
                         const std::string& out_dir, const BatchOptions& options) {
    std::vector<Item> items = read_items(jsonl_path);
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (!fs::is_directory(out_dir)) throw InputError("cannot create output folder " + out_dir);
    BatchReport report;
    report.total = items.size();
    report.results_path = (fs::path(out_dir) / "results.jsonl").string();
    const std::set<std::string> done = finished_ids(report.results_path);
    std::vector<const Item*> todo;
    for (const Item& it : items) {
        if (done.count(it.id)) ++report.skipped;
        else todo.push_back(&it);
    }
    const int fd = ::open(report.results_path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) throw InputError("cannot write " + report.results_path);
    std::mutex mu;
    size_t next = 0, finished = report.skipped;
    auto record = [&](const json& row) {
        // One write() per line on an O_APPEND file: a line is whole or absent.
        std::string line = row.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
        ssize_t n = ::write(fd, line.data(), line.size());
        if (n == ssize_t(line.size())) ::fsync(fd);
    };
    int threads = options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    threads = std::max(1, std::min<int>(threads, int(todo.size())));
    if (options.progress) options.progress(finished, report.total);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            for (;;) {
                const Item* it;
                {
                    std::lock_guard lock(mu);
                    if (next >= todo.size() || (options.stop && options.stop->load())) return;
                    it = todo[next++];
                }
                json row{{"unique_id", it->id}};
                size_t pages = 0;
                try {
                    RenderConfig cfg = it->config.is_object() ? apply_config(it->config, base, base_dir) : base;
                    const fs::path dir = fs::path(out_dir) / item_folder_name(it->id);
                    PageWriter writer(dir.string());
                    RenderOptions ro;
                    ro.on_page = [&writer](const Page& page) { writer.write(page); };
                    RenderResult r = render_text(it->context, cfg, ro);
                    json manifest = writer.finish(r, cfg, it->context);
                    if (options.on_item) options.on_item(dir.string(), it->context, r, manifest);
                    json paths = json::array();
                    for (const auto& p : manifest["pages"]) paths.push_back((dir / p["file"].get<std::string>()).string());
                    pages = r.pages.size();
                    row["pages"] = paths;
                    row["page_count"] = pages;
                    row["manifest"] = (dir / "manifest.json").string();
                } catch (const std::exception& e) {
                    row["error"] = e.what();
                }
                std::lock_guard lock(mu);
                record(row);
                if (row.contains("error")) ++report.failed;
                else {
                    ++report.rendered;
                    report.pages += pages;
                }
                ++finished;
                if (options.progress) options.progress(finished, report.total);
            }
        });
    }
    for (auto& th : pool) th.join();
    ::close(fd);
    report.stopped = report.skipped + report.rendered + report.failed < report.total;
    return report;
}

}  // namespace glyph
