// The benchmark runner: prompts in, one request each, predictions appended
// to DIR/predictions.jsonl as replies arrive (resumable after kill -9),
// permanent failures listed in DIR/failures.jsonl, DIR/run.json recording
// what decides the predictions.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "glyph/accounting.h"
#include "glyph/config_json.h"
#include "glyph/encode.h"
#include "glyph/eval_run.h"
#include "glyph/render.h"
#include "glyph/work_pool.h"
#include "item_key.h"
#include "util/jsonl_files.h"

namespace glyph::eval {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

std::string config_hash(const RenderConfig& config) { return source_digest(to_json(config).dump()).substr(0, 16); }

// What a finished item's row says about how it was made.
struct DoneRow {
    std::string config;  // its render config's hash ("" in text mode)
};

// DIR/run.json: written before the first request; a rerun must agree with it.
class RunRecord {
public:
    RunRecord(const std::string& dir, json record) : path_((fs::path(dir) / "run.json").string()), record_(std::move(record)) {
        std::ifstream in(path_, std::ios::binary);
        if (!in) return;
        std::stringstream text;
        text << in.rdbuf();
        try {
            earlier_ = parse_json_bounded(text.str(), 64);
        } catch (const std::exception& e) {
            throw EvalError(path_ + " is not JSON (" + std::string(e.what()).substr(0, 120) +
                            "); move it away or use another --out folder");
        }
        if (!earlier_.is_object()) throw EvalError(path_ + " is not a JSON object; use another --out folder");
    }

    // Refuses a run that would mix its predictions with different ones.
    void check_compatible() const {
        if (earlier_.is_null()) return;
        for (const std::string& field : reproducibility_fields()) {
            const auto was = earlier_.find(field);
            const auto now = record_.find(field);
            const json a = was == earlier_.end() ? json() : *was, b = now == record_.end() ? json() : *now;
            if (a != b)
                throw EvalError(path_ + " was written by a run with another \"" + field + "\" (" + clip(a.dump()) +
                                ", now " + clip(b.dump()) +
                                "): its predictions would be mixed with this run's; use another --out folder");
        }
        const json& data = earlier_.value("data", json::object());
        if (!data.is_object()) return;
        const json now_data = record_.value("data", json::object());
        for (const auto& [name, file] : now_data.items()) {
            const auto was = data.find(name);
            if (was != data.end() && was->value("sha256", "") != file.value("sha256", ""))
                throw EvalError("data file " + name + " changed since " + path_ +
                                " was written (another sha256): its predictions would not match; use another --out folder");
        }
    }

    // The record written: this run's fields, the data files and render
    // configs of earlier runs into the folder kept beside this run's.
    void write(const std::map<std::string, json>& configs) {
        json out = record_;
        json data = earlier_.is_object() ? earlier_.value("data", json::object()) : json::object();
        const json now_data = record_.value("data", json::object());
        for (const auto& [name, file] : now_data.items()) data[name] = file;
        out["data"] = data;
        json all = earlier_.is_object() ? earlier_.value("configs", json::object()) : json::object();
        for (const auto& [hash, config] : configs) all[hash] = config;
        out["configs"] = all;
        const std::string text = out.dump(2) + "\n";
        write_file_durable(path_, text.data(), text.size());
    }

private:
    static std::string clip(const std::string& s) { return s.size() > 80 ? s.substr(0, 77) + "..." : s; }

    std::string path_;
    json record_, earlier_;
};

struct SentItem {
    std::vector<std::string> image_urls;
    int pages = 0;
    int64_t context_tokens = 0, question_tokens = 0, vision_tokens = 0;
    std::string config_hash;
};

// Renders a prompt's context (into PNG data URLs, with `images`) and counts both sides.
SentItem render_prompt(const Prompt& p, const RenderConfig& config, const RunSetup& setup, bool images = true) {
    SentItem s;
    if (p.context.empty()) return s;
    std::mutex m;
    std::map<int, std::string> urls;
    RenderOptions options;
    options.cancel = setup.stop;
    // Always set, so the result holds each page's size and not its pixels.
    options.on_page = [&](const Page& page) {
        if (!images) return;
        std::string url = vlm::data_url(encode_image(page.image, ImageFormat::Png), "image/png");
        std::lock_guard lock(m);
        urls[page.number] = std::move(url);
    };
    const RenderResult result = render_text(p.context, config, options);
    for (auto& [number, url] : urls) s.image_urls.push_back(std::move(url));
    s.pages = int(result.pages.size());
    s.vision_tokens = count_vision(page_extents(result), *setup.profile).tokens;
    s.context_tokens = int64_t(setup.tokenizer->count(p.context));
    return s;
}

vlm::ChatRequest build_request(const Prompt& p, SentItem& sent, const RunSetup& setup) {
    vlm::ChatRequest request;
    request.model = setup.model;
    request.sampling = setup.sampling;
    if (!setup.extra.empty()) request.extra_json = setup.extra.dump();
    request.stream = false;  // as Glyph's scripts: one JSON reply
    if (setup.send == SendMode::kText) {
        request.messages = p.text_messages;
        return request;
    }
    request.messages.push_back(vlm::pages_message(std::move(sent.image_urls), p.question));
    sent.image_urls.clear();
    return request;
}

int64_t text_tokens_of(const std::vector<vlm::Message>& messages, const Tokenizer& tokenizer) {
    int64_t n = 0;
    for (const auto& m : messages)
        for (const auto& part : m.content)
            if (part.type == vlm::ContentPart::Type::Text) n += int64_t(tokenizer.count(part.value));
    return n;
}

// One worker's view of the run: the shared state and how an item is done.
class Runner {
public:
    Runner(const std::vector<Prompt>& prompts, const RunSetup& setup, const std::string& dir)
        : prompts_(prompts), setup_(setup), client_(setup.client) {
        summary_.predictions_path = (fs::path(dir) / "predictions.jsonl").string();
        summary_.failures_path = (fs::path(dir) / "failures.jsonl").string();
    }

    RunSummary run(const std::string& dir) {
        const std::string idcol = id_column(setup_.bench);
        std::map<std::string, DoneRow> done;
        AppendLedger ledger(
            summary_.predictions_path,
            [&idcol](const json& row) -> std::optional<std::string> {
                const auto id = row.find(idcol);
                if (!row.contains("data") || !row["data"].is_string() || id == row.end() || !row.contains("pred"))
                    return std::nullopt;
                return item_key(row["data"].get<std::string>(), id_text(*id));
            },
            [&](const json& row) {
                const auto id = row.find(idcol);
                if (!row.contains("data") || !row["data"].is_string() || id == row.end()) return;
                done[item_key(row["data"].get<std::string>(), id_text(*id))] = {row.value("config", "")};
            });

        RunRecord record(dir, setup_.run_record);
        record.check_compatible();
        std::map<std::string, json> configs;
        std::vector<size_t> todo;
        configs_.resize(prompts_.size());
        for (size_t i = 0; i < prompts_.size(); ++i) {
            const Prompt& p = prompts_[i];
            const std::string key = item_key(p.data, p.id);
            const bool finished = ledger.done().count(key) > 0;
            if (setup_.send == SendMode::kPages && (!finished || !done[key].config.empty())) {
                configs_[i] = setup_.config_for(p.context, p.newline_marker);
                const std::string hash = config_hash(*configs_[i]);
                if (finished && done[key].config != hash)
                    throw EvalError("item " + p.id + " of " + p.data + " in " + summary_.predictions_path +
                                    " was rendered with another config than this run's (" + done[key].config +
                                    " vs " + hash +
                                    ", see run.json \"configs\"): use another --out folder for another config");
                configs[hash] = to_json(*configs_[i]);
            }
            if (finished) ++summary_.done_before;
            else if (setup_.limit == 0 || todo.size() < setup_.limit) todo.push_back(i);
        }
        summary_.total = prompts_.size();
        record.write(configs);
        if (!todo.empty()) ledger.open_for_append();
        if (setup_.on_start) setup_.on_start(todo.size(), summary_.done_before);

        // Requests are I/O-bound: the pool holds one thread per request in flight.
        WorkPool pool(std::max(1, std::min<int>(setup_.concurrency, int(todo.size()))));
        WorkPool::Group group;
        for (const size_t index : todo)
            pool.submit(group, [this, index, &ledger] {
                if (!stopping()) attempt(index, ledger);
            });
        pool.wait(group);
        summary_.stopped = summary_.done_before + summary_.done + summary_.failures.size() < prompts_.size() &&
                           stopping();
        std::sort(summary_.failures.begin(), summary_.failures.end(), [](const RunFailure& a, const RunFailure& b) {
            return a.data != b.data ? a.data < b.data : a.line < b.line;
        });
        write_failures();
        return summary_;
    }

private:
    bool stopping() const { return abort_.load() || (setup_.stop && setup_.stop->load()); }

    void attempt(size_t index, AppendLedger& ledger) {
        const Prompt& p = prompts_[index];
        std::string stage = "render", error;
        ordered_json row;
        try {
            row = send(index, stage);
        } catch (const vlm::VlmError& e) {
            error = vlm::error_kind_name(e.kind) + ": " + e.what();
            // An endpoint that cannot be reached before anything was answered
            // is a wrong URL or a server not up: every item would fail alike.
            std::lock_guard lock(mu_);
            if (e.kind == vlm::ErrorKind::Unreachable && summary_.done == 0 && !summary_.fatal) {
                summary_.fatal = e.kind;
                summary_.fatal_message = e.what();
                abort_ = true;
            }
        } catch (const std::exception& e) {
            error = e.what();
        }
        std::lock_guard lock(mu_);
        if (error.empty() && !row.empty()) {
            try {
                ledger.append(row);
            } catch (const std::exception& e) {
                stage = "record";
                error = std::string("answered but not recorded: ") + e.what();
            }
        }
        const bool ok = error.empty();
        if (ok) ++summary_.done;
        else summary_.failures.push_back({p.data, p.id, p.row + 1, stage, error});
        if (setup_.on_item) setup_.on_item(ok);
    }

    // The item's predictions row; throws on failure with `stage` set.
    ordered_json send(size_t index, std::string& stage) {
        const Prompt& p = prompts_[index];
        SentItem sent;
        const auto prepare_start = std::chrono::steady_clock::now();
        if (setup_.send == SendMode::kPages) {
            sent = render_prompt(p, *configs_[index], setup_);
            sent.config_hash = config_hash(*configs_[index]);
            sent.question_tokens = int64_t(setup_.tokenizer->count(p.question));
        } else {
            sent.question_tokens = text_tokens_of(p.text_messages, *setup_.tokenizer);
        }
        const int64_t max_tokens = setup_.sampling.max_tokens.value_or(0);
        const int64_t need = sent.vision_tokens + sent.question_tokens + max_tokens;
        if (setup_.max_context > 0 && need > setup_.max_context) {
            stage = "context";
            throw EvalError("needs " + std::to_string(need) + " tokens (" + std::to_string(sent.vision_tokens) +
                            " vision + " + std::to_string(sent.question_tokens) + " text + " +
                            std::to_string(max_tokens) + " max_tokens) > --max-context " +
                            std::to_string(setup_.max_context) + "; not sent");
        }
        stage = "request";
        vlm::ChatRequest request = build_request(p, sent, setup_);
        const double prepare_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - prepare_start).count();
        const vlm::ChatResponse reply = client_.chat(request);
        const std::string pred = clean_reply(reply.content, setup_.cleanup);

        ordered_json row;
        row["data"] = p.data;
        row[id_column(setup_.bench)] = p.id;
        row["group"] = p.group;
        row["pred"] = pred;
        if (pred != reply.content) row["raw"] = reply.content;
        row["send"] = send_mode_name(setup_.send);
        if (setup_.send == SendMode::kPages) {
            row["pages"] = sent.pages;
            row["context_tokens"] = sent.context_tokens;
            row["vision_tokens"] = sent.vision_tokens;
            row["config"] = sent.config_hash;
        }
        row["text_tokens"] = sent.question_tokens;
        row["length"] = p.length;
        row["prompt_tokens"] = reply.usage.prompt_tokens;
        row["completion_tokens"] = reply.usage.completion_tokens;
        row["finish_reason"] = reply.finish_reason;
        row["prepare_ms"] = std::round(prepare_ms * 10) / 10;
        row["latency_ms"] = std::round(reply.total_ms * 10) / 10;
        row["attempts"] = reply.attempts;
        return row;
    }

    void write_failures() {
        std::string rows;
        for (const RunFailure& f : summary_.failures)
            rows += ordered_json{{"id", f.id}, {"line", f.line}, {"stage", f.stage}, {"error", f.error}, {"data", f.data}}
                        .dump(-1, ' ', false, json::error_handler_t::replace) +
                    "\n";
        write_rows_or_remove(summary_.failures_path, rows);
    }

    const std::vector<Prompt>& prompts_;
    const RunSetup& setup_;
    vlm::Client client_;
    std::vector<std::optional<RenderConfig>> configs_;
    std::mutex mu_;
    std::atomic<bool> abort_{false};
    RunSummary summary_;
};

}  // namespace

const std::vector<std::string>& reproducibility_fields() {
    static const std::vector<std::string> fields = {"bench",   "send",      "model",   "sampling",         "extra",
                                                    "prompts", "profile",   "tokenizer", "cleanup", "max_prompt_tokens"};
    return fields;
}

double priced_compression(const std::vector<Prompt>& prompts, const RunSetup& setup) {
    if (!setup.tokenizer || !setup.profile || !setup.config_for)
        throw EvalError("pricing a run needs a tokenizer, a vision-token profile and a render config");
    double context = 0, vision = 0;
    for (const Prompt& p : prompts) {
        const SentItem s = render_prompt(p, setup.config_for(p.context, p.newline_marker), setup, false);
        context += double(s.context_tokens);
        vision += double(s.vision_tokens);
    }
    return vision > 0 ? context / vision : 0;
}

RunSummary run_prompts(const std::vector<Prompt>& prompts, const RunSetup& setup, const std::string& dir) {
    if (!setup.tokenizer) throw EvalError("eval run needs a tokenizer");
    if (setup.send == SendMode::kPages && (!setup.profile || !setup.config_for))
        throw EvalError("eval run in pages mode needs a vision-token profile and a render config");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir)) throw EvalError("cannot create output folder " + dir);
    try {
        const FolderLock lock(dir, "eval run is writing");
        Runner runner(prompts, setup, dir);
        return runner.run(dir);
    } catch (const EvalError&) {
        throw;
    } catch (const vlm::VlmError&) {
        throw;
    } catch (const std::runtime_error& e) {
        throw EvalError(e.what());
    }
}

}  // namespace glyph::eval
