// glyph eval run / eval report: a benchmark sent to an endpoint as Glyph's
// evaluation scripts send it, resumable, then scored; reports of run folders
// side by side.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "glyph/eval_run.h"
#include "glyph/render.h"
#include "glyph/version.h"
#include "progress.h"
#include "render_options.h"

namespace glyph::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::atomic<bool> g_stop{false};
std::atomic<bool> g_cancel{false};

void on_interrupt(int) {
    // The first Ctrl-C lets the requests in flight finish (their answers are
    // kept); the second aborts them.
    if (g_stop) g_cancel = true;
    g_stop = true;
}

struct RunArgs {
    RenderFlags render;
    std::string bench, endpoint, out, model = "glyph", send = "pages", prompts;
    std::vector<std::string> data, fields;
    std::string dataset, task, label;
    std::string api_key_env = "OPENAI_API_KEY";
    std::string profile = "glm-4.1v", tokenizer, newline = "glyph", cleanup = "think", glm_stops = "auto";
    std::string extra_json;
    std::optional<int> max_tokens;
    std::optional<int64_t> max_prompt_tokens;
    size_t limit = 0;
    int concurrency = 4, retries = 3;
    int64_t max_context = 0;
    double timeout = 1200;
    std::string jieba_dir;
};

std::string file_sha256(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CommandError(kExitUsage, "cannot read data file " + path);
    std::stringstream s;
    s << in.rdbuf();
    return source_digest(s.str());
}

// --data PATH...: files, or folders of *.jsonl (sorted), each named by its
// file name, or with its folders when two share one (RULER's task/validation.jsonl).
std::vector<std::pair<std::string, std::string>> data_files(const std::vector<std::string>& specs) {
    std::vector<std::string> paths;
    for (const auto& spec : specs) {
        std::error_code ec;
        if (fs::is_directory(spec, ec)) {
            std::vector<std::string> found;
            for (const auto& e : fs::recursive_directory_iterator(spec, ec))
                if (e.is_regular_file() && e.path().extension() == ".jsonl") found.push_back(e.path().string());
            std::sort(found.begin(), found.end());
            if (found.empty()) throw CommandError(kExitUsage, "--data folder " + spec + " holds no .jsonl file");
            paths.insert(paths.end(), found.begin(), found.end());
        } else if (fs::is_regular_file(spec, ec)) {
            paths.push_back(spec);
        } else {
            throw CommandError(kExitUsage, "--data " + spec + " is neither a JSONL file nor a folder of them");
        }
    }
    std::vector<std::pair<std::string, std::string>> named;  // (name, absolute path)
    for (const auto& p : paths) {
        const fs::path abs = fs::absolute(p).lexically_normal();
        fs::path name = abs.filename();
        for (fs::path up = abs.parent_path();; up = up.parent_path()) {
            bool clash = false;
            for (const auto& other : paths)
                if (fs::absolute(other).lexically_normal() != abs) {
                    const fs::path o = fs::absolute(other).lexically_normal();
                    const std::string a = name.string(), b = o.string();
                    clash |= b.size() >= a.size() && b.compare(b.size() - a.size(), a.size(), a) == 0 &&
                             (b.size() == a.size() || b[b.size() - a.size() - 1] == '/');
                }
            if (!clash || up == up.root_path()) break;
            name = up.filename() / name;
        }
        named.push_back({name.string(), abs.string()});
    }
    return named;
}

template <class Item>
std::vector<Item> usable(eval::Rows<Item> rows, const std::string& path) {
    for (const auto& f : rows.failures)
        std::fprintf(stderr, "glyph: warning: %s:%zu: %s (item skipped)\n", path.c_str(), f.line, f.message.c_str());
    return std::move(rows.items);
}

std::vector<eval::Prompt> read_prompts(const RunArgs& a, eval::Bench bench, const eval::FieldMap& fields,
                                       const eval::PromptOptions& po,
                                       const std::vector<std::pair<std::string, std::string>>& files) {
    std::vector<eval::Prompt> prompts;
    for (const auto& [name, path] : files) {
        std::vector<eval::Prompt> some;
        switch (bench) {
            case eval::Bench::kLongBench:
                some = eval::longbench_prompts(
                    usable(eval::read_longbench(path, fields, a.dataset.empty() ? eval::longbench_dataset_from_path(path) : a.dataset),
                           path),
                    name, po);
                break;
            case eval::Bench::kMrcr:
                some = eval::mrcr_prompts(usable(eval::read_mrcr(path, fields), path), name, po);
                break;
            case eval::Bench::kRuler:
                some = eval::ruler_prompts(
                    usable(eval::read_ruler(path, fields, a.task.empty() ? eval::ruler_task_from_path(path) : a.task), path),
                    name, po);
                break;
        }
        prompts.insert(prompts.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
    }
    return prompts;
}


json sampling_json(const vlm::SamplingParams& s) {
    vlm::ChatRequest probe;
    probe.sampling = s;
    json body = json::parse(vlm::request_body(probe));
    for (const char* k : {"model", "messages", "stream", "stream_options"}) body.erase(k);
    return body;
}

void run_eval(const RunArgs& a) {
    const auto bench = eval::parse_bench(a.bench);
    if (!bench) throw CommandError(kExitUsage, "--bench \"" + a.bench + "\" is not a benchmark (allowed: longbench, mrcr, ruler)");
    const eval::SendMode send = a.send == "text" ? eval::SendMode::kText : eval::SendMode::kPages;
    eval::PromptOptions po;
    po.send = send;
    if (*bench == eval::Bench::kLongBench) {
        if (a.prompts.empty())
            throw CommandError(kExitUsage,
                               "--prompts is required for LongBench: Glyph's dataset2vlmprompt.json (--send pages) or "
                               "LongBench's dataset2prompt.json (--send text)");
        po.templates = eval::load_prompt_templates(a.prompts);
    }
    if (a.newline == "none") po.newline_datasets.clear();
    const bool newline_all = a.newline == "all";

    const Tokenizer tokenizer = Tokenizer::load(a.tokenizer.empty() ? default_tokenizer_path() : a.tokenizer);
    const bool glm = a.glm_stops == "on" || (a.glm_stops == "auto" && eval::is_glm_model(a.model));
    vlm::SamplingParams sampling = eval::glyph_sampling(*bench, glm);
    if (a.max_tokens) sampling.max_tokens = a.max_tokens;
    if (send == eval::SendMode::kText) {
        // LongBench's budget for the prompt: what the context leaves beside the answer.
        po.max_prompt_tokens = a.max_prompt_tokens.value_or(
            a.max_context > 0 ? std::max<int64_t>(1, a.max_context - sampling.max_tokens.value_or(0)) : 0);
        po.tokenizer = &tokenizer;
    }

    const auto files = data_files(a.data);
    const eval::FieldMap fields = parse_field_flags(a.fields);
    std::vector<eval::Prompt> prompts = read_prompts(a, *bench, fields, po, files);
    if (newline_all)
        for (auto& p : prompts) p.newline_marker = true;
    if (prompts.empty()) throw CommandError(kExitUsage, "the data files hold no usable item");

    const VisionProfile& profile = find_profile(a.profile);

    eval::RunSetup setup;
    setup.bench = *bench;
    setup.send = send;
    setup.client.endpoint = a.endpoint;
    if (const char* key = a.api_key_env.empty() ? nullptr : std::getenv(a.api_key_env.c_str())) setup.client.api_key = key;
    setup.client.read_timeout_s = a.timeout;
    setup.client.retry.max_retries = a.retries;
    setup.client.max_concurrent = a.concurrency;
    setup.client.cancel = &g_cancel;
    setup.client.on_retry = [](const vlm::RetryEvent& e) {
        std::fprintf(stderr, "\nglyph eval: %s, retrying in %.1f s\n", e.reason.c_str(), e.delay_s);
    };
    try {
        vlm::chat_completions_url(a.endpoint);  // a bad URL is a usage error before anything runs
    } catch (const vlm::VlmError& e) {
        throw CommandError(kExitUsage, e.what());
    }
    setup.model = a.model;
    setup.sampling = sampling;
    if (!a.extra_json.empty()) {
        setup.extra = json::parse(a.extra_json, nullptr, false);
        if (!setup.extra.is_object()) throw CommandError(kExitUsage, "--extra must be a JSON object, e.g. '{\"seed\": 1}'");
    }
    const json eval_keys = {{"paragraph-lines", 0}, {"tab-spaces", 4}};
    const RenderFlags flags = a.render;
    setup.config_for = [flags, eval_keys](const std::string& context, bool marker) {
        json defaults = eval_keys;
        if (marker) defaults["newline-markup"] = eval::kGlyphNewlineMarker;
        return flags.resolve(context, defaults);
    };
    setup.tokenizer = &tokenizer;
    setup.profile = &profile;
    setup.max_context = a.max_context;
    setup.cleanup = a.cleanup == "glyph" ? eval::ReplyCleanup::kGlyph : eval::ReplyCleanup::kThink;
    setup.concurrency = a.concurrency;
    setup.limit = a.limit;
    setup.stop = &g_stop;

    json data = json::object();
    for (const auto& [name, path] : files) data[name] = {{"path", path}, {"sha256", file_sha256(path)}};
    json record = {{"glyph_version", GLYPH_VERSION},
                   {"bench", eval::bench_name(*bench)},
                   {"send", eval::send_mode_name(send)},
                   {"endpoint", a.endpoint},
                   {"model", a.model},
                   {"sampling", sampling_json(setup.sampling)},
                   {"extra", setup.extra},
                   {"profile", profile.name},
                   {"tokenizer", fs::path(a.tokenizer.empty() ? default_tokenizer_path() : a.tokenizer).filename().string()},
                   {"cleanup", a.cleanup},
                   {"newline", a.newline},
                   {"max_context", a.max_context},
                   {"max_prompt_tokens", po.max_prompt_tokens},
                   {"render", {{"preset", a.render.config_file.empty() ? a.render.preset : ""},
                               {"config_file", a.render.config_file},
                               {"set", a.render.sets},
                               {"evaluation_renderer", eval_keys}}},
                   {"read", {{"fields", fields.renamed}, {"dataset", a.dataset}, {"task", a.task}}},
                   {"data", data}};
    if (!a.prompts.empty())
        record["prompts"] = {{"file", fs::path(a.prompts).filename().string()}, {"sha256", file_sha256(a.prompts)}};
    if (!a.label.empty()) record["label"] = a.label;
    setup.run_record = record;

    std::unique_ptr<ProgressReporter> progress;
    setup.on_start = [&](size_t todo, size_t done_before) {
        if (done_before) std::fprintf(stderr, "glyph eval: %zu items already answered in %s; %zu to go\n", done_before,
                                      a.out.c_str(), todo);
        progress = std::make_unique<ProgressReporter>("items", todo + done_before);
        progress->skip(done_before);
    };
    setup.on_item = [&](bool) { progress->advance(1); };

    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    eval::RunSummary summary;
    try {
        summary = eval::run_prompts(prompts, setup, a.out);
    } catch (const eval::EvalError& e) {
        throw CommandError(kExitUsage, e.what());
    } catch (const vlm::VlmError& e) {
        throw CommandError(exit_code_of(e.kind), e.what());
    }
    if (progress) progress->finish();
    if (summary.fatal)
        throw CommandError(exit_code_of(*summary.fatal), summary.fatal_message + "; nothing was answered, stopping");

    for (size_t i = 0; i < summary.failures.size() && i < 5; ++i) {
        const auto& f = summary.failures[i];
        std::fprintf(stderr, "glyph: warning: %s item %s (%s): %s\n", f.data.c_str(), f.id.c_str(), f.stage.c_str(),
                     f.error.c_str());
    }
    eval::ScoreOptions so;
    so.jieba_dir = a.jieba_dir;
    const eval::RunScores scores = eval::score_run(a.out, so);
    const std::string md = eval::report_markdown({scores});
    write_text_output((fs::path(a.out) / "report.md").string(), md, "report");
    write_text_output((fs::path(a.out) / "report.json").string(), eval::report_json({scores}).dump(2) + "\n", "report");
    std::printf("%s", md.c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "glyph eval: %zu answered this run, %zu earlier, %zu failed; predictions in %s\n", summary.done,
                 summary.done_before, summary.failures.size(), summary.predictions_path.c_str());
    if (summary.stopped) throw CommandError(kExitInterrupted, "interrupted; run the same command again to resume");
    if (!summary.failures.empty())
        throw CommandError(kExitPartial, std::to_string(summary.failures.size()) + " items failed (listed in " +
                                             summary.failures_path + "); run the same command again to retry them");
}

struct ReportArgs {
    std::vector<std::string> dirs;
    bool json = false;
    std::string svg, markdown, jieba_dir;
    bool drop_user_token = false;
};

void run_report(const ReportArgs& a) {
    eval::ScoreOptions so;
    so.jieba_dir = a.jieba_dir;
    so.mrcr_drop_user_token = a.drop_user_token;
    std::vector<eval::RunScores> runs;
    for (const auto& dir : a.dirs) {
        try {
            runs.push_back(eval::score_run(dir, so));
        } catch (const eval::EvalError& e) {
            throw CommandError(kExitUsage, e.what());
        }
    }
    if (!a.svg.empty()) write_text_output(a.svg, eval::report_svg(runs), "--svg");
    const std::string md = eval::report_markdown(runs);
    if (!a.markdown.empty()) write_text_output(a.markdown, md, "--markdown");
    if (a.json) std::printf("%s\n", eval::report_json(runs).dump(2).c_str());
    else std::printf("%s", md.c_str());
}

}  // namespace

void add_eval_run_command(CLI::App& eval_cmd) {
    auto a = std::make_shared<RunArgs>();
    CLI::App* cmd = eval_cmd.add_subcommand(
        "run", "Send a benchmark to an OpenAI-compatible endpoint as Glyph's evaluation does; resumable, then scored");
    cmd->add_option("--bench", a->bench, "longbench | mrcr | ruler")->required();
    cmd->add_option("--data", a->data, "Data file(s) in the benchmark's JSONL format, or folders of them")->required();
    cmd->add_option("--endpoint", a->endpoint, "OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")->required();
    cmd->add_option("--out", a->out,
                    "Run folder: predictions.jsonl, failures.jsonl, run.json, report.md/json (rerun to resume)")
        ->required();
    cmd->add_option("--send", a->send, "pages (the context as page images) or text (a text model's baseline)")
        ->check(CLI::IsMember({"pages", "text"}))
        ->capture_default_str();
    cmd->add_option("--model", a->model, "Model name sent in each request")->capture_default_str();
    cmd->add_option("--prompts", a->prompts,
                    "LongBench prompt templates: Glyph's dataset2vlmprompt.json (pages) or LongBench's "
                    "dataset2prompt.json (text)");
    a->render.add_to(*cmd);
    cmd->add_option("--newline", a->newline,
                    "Inline newline marker: glyph (Glyph's 12 LongBench datasets), all, or none")
        ->check(CLI::IsMember({"glyph", "all", "none"}))
        ->capture_default_str();
    cmd->add_option("--profile", a->profile, "Vision-token profile for counting (see glyph stats --help)")
        ->capture_default_str();
    cmd->add_option("--tokenizer", a->tokenizer, "tokenizer.json for text tokens (default: Qwen3's in models/)");
    cmd->add_option("--limit", a->limit, "Answer at most N more items this run (0: all)");
    cmd->add_option("--concurrency", a->concurrency, "Requests in flight")->check(CLI::Range(1, 256))->capture_default_str();
    cmd->add_option("--max-context", a->max_context,
                    "Model context in tokens: an item whose pages/text + max_tokens exceed it is listed, not sent");
    cmd->add_option("--max-tokens", a->max_tokens, "Override max_tokens (Glyph: 8192)");
    cmd->add_option("--max-prompt-tokens", a->max_prompt_tokens,
                    "--send text, LongBench: cut longer prompts in the middle to N tokens as LongBench's pred.py "
                    "(default: --max-context minus max_tokens; 0: never)");
    cmd->add_option("--glm-stops", a->glm_stops,
                    "GLM stop token ids + include_stop_str_in_output: auto (when the model name has glm/glyph), on, off")
        ->check(CLI::IsMember({"auto", "on", "off"}))
        ->capture_default_str();
    cmd->add_option("--extra", a->extra_json, "JSON object merged into every request body");
    cmd->add_option("--cleanup", a->cleanup,
                    "Reply to prediction: think (after the last </think>, newlines kept) or glyph (Glyph's "
                    "clear_pred.py: whitespace collapsed; breaks LongBench's first-line rule)")
        ->check(CLI::IsMember({"think", "glyph"}))
        ->capture_default_str();
    cmd->add_option("--field", a->fields, "NAME=COLUMN: read our column NAME from the data's COLUMN; repeatable");
    cmd->add_option("--dataset", a->dataset, "LongBench dataset of rows without a \"dataset\" field");
    cmd->add_option("--task", a->task, "RULER task of rows without a \"task\" field");
    cmd->add_option("--label", a->label, "Name of this run in reports (default: the folder's name)");
    cmd->add_option("--api-key-env", a->api_key_env, "Environment variable holding the API key")->capture_default_str();
    cmd->add_option("--timeout", a->timeout, "Seconds of silence allowed per request")->capture_default_str();
    cmd->add_option("--retries", a->retries, "Retries of a transient failure (5xx, 429, dropped connection)")
        ->capture_default_str();
    cmd->add_option("--jieba-dir", a->jieba_dir, "python3-jieba's data folder (Chinese LongBench metrics)");
    cmd->callback([a] { run_eval(*a); });
}

void add_eval_report_command(CLI::App& eval_cmd) {
    auto a = std::make_shared<ReportArgs>();
    CLI::App* cmd = eval_cmd.add_subcommand("report", "Score run folders and show them side by side");
    cmd->add_option("dirs", a->dirs, "Run folders written by glyph eval run")->required();
    cmd->add_flag("--json", a->json, "Print JSON instead of the Markdown table");
    cmd->add_option("--svg", a->svg, "Write an SVG chart of score against context length");
    cmd->add_option("--markdown", a->markdown, "Also write the Markdown table to this file");
    cmd->add_flag("--drop-user-token", a->drop_user_token, "MRCR: delete \"<|user|>\" from replies (Glyph's script)");
    cmd->add_option("--jieba-dir", a->jieba_dir, "python3-jieba's data folder (Chinese LongBench metrics)");
    cmd->callback([a] { run_report(*a); });
}

}  // namespace glyph::cli
