// glyph ask: render a document, send its pages and a question to an
// OpenAI-compatible VLM, stream the answer, and report what the pages saved.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "glyph/accounting.h"
#include "glyph/context_budget.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "glyph/tokenizer.h"
#include "glyph/vision_tokens.h"
#include "glyph/vlm.h"
#include "progress.h"
#include "render_options.h"

namespace glyph::cli {
namespace {

constexpr int kExitInput = kExitUsage;
constexpr int kExitCancelled = kExitInterrupted;


std::atomic<bool> g_cancel{false};

void on_interrupt(int) {
    g_cancel = true;
    // A second Ctrl-C kills at once, should anything fail to notice the first.
    std::signal(SIGINT, SIG_DFL);
}

struct AskArgs {
    RenderFlags render;
    std::string doc, question, endpoint, model = "zai-org/Glyph", profile = "glm-4.1v";
    std::string api_key, api_key_env = "OPENAI_API_KEY";
    long long max_pixels = 0;
    std::string image_format = "png";
    int image_quality = 90;
    std::optional<int> max_tokens, top_k;
    long long max_context = 0;
    std::optional<double> temperature, top_p, repetition_penalty;
    std::vector<int> stop_token_ids;
    std::string extra_json;
    bool no_stream = false, hide_thinking = false;
    bool json = false;
    double connect_timeout = 10, read_timeout = 600, retry_base = 0.5, max_retry_after = 120;
    int retries = 3, threads = 0;
    std::string compare_endpoint, compare_model, compare_api_key_env;
};


struct RenderedPages {
    std::vector<std::string> data_urls;  // page order
    std::vector<PageExtent> sent;  // sizes as sent, after --max-pixels
    double seconds = 0;
    MissingGlyphs missing;
};

RenderedPages render_pages(const std::string& text, const RenderConfig& config, const AskArgs& a) {
    const ImageFormat format = parse_image_format(a.image_format);
    std::mutex m;
    std::map<int, std::pair<std::string, PageExtent>> by_number;
    RenderOptions options;
    options.threads = a.threads;
    // Encoding runs in the raster workers as each page is finished.
    options.on_page = [&](const Page& page) {
        const Image sent = a.max_pixels > 0 ? fit_to_pixel_budget(page.image, a.max_pixels) : page.image;
        std::string url = vlm::data_url(encode_image(sent, format, a.image_quality), mime_type(format));
        std::lock_guard lock(m);
        by_number[page.number] = {std::move(url), {page.number, sent.width, sent.height, page.text_begin, page.text_end}};
    };
    const auto start = std::chrono::steady_clock::now();
    const RenderResult result = render_text(text, config, options);
    RenderedPages pages;
    pages.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (auto& [number, page] : by_number) {
        pages.data_urls.push_back(std::move(page.first));
        pages.sent.push_back(page.second);
    }
    pages.missing = result.missing;
    if (pages.data_urls.size() != result.pages.size())
        throw std::runtime_error("renderer returned " + std::to_string(result.pages.size()) + " pages but delivered " +
                                 std::to_string(pages.data_urls.size()));
    return pages;
}

std::string api_key(const std::string& flag, const std::string& env_name) {
    if (!flag.empty()) return flag;
    if (env_name.empty()) return {};
    const char* v = std::getenv(env_name.c_str());
    return v ? v : "";
}

vlm::ClientOptions client_options(const AskArgs& a, const std::string& endpoint, const std::string& key) {
    vlm::ClientOptions o;
    o.endpoint = endpoint;
    o.api_key = key;
    o.connect_timeout_s = a.connect_timeout;
    o.read_timeout_s = a.read_timeout;
    o.retry.max_retries = a.retries;
    o.retry.base_delay_s = a.retry_base;
    o.retry.max_retry_after_s = a.max_retry_after;
    o.max_concurrent = 2;
    o.cancel = &g_cancel;
    const int attempts = a.retries + 1;
    o.on_retry = [endpoint, attempts](const vlm::RetryEvent& e) {
        std::fprintf(stderr, "glyph ask: %s from %s, retrying in %.1f s (attempt %d of %d)\n", e.reason.c_str(),
                     endpoint.c_str(), e.delay_s, e.failed_attempt + 1, attempts);
    };
    return o;
}

// Explicit flags over the profile's defaults.
vlm::SamplingParams sampling(const AskArgs& a, vlm::SamplingParams s) {
    if (a.max_tokens) s.max_tokens = a.max_tokens;
    if (a.temperature) s.temperature = a.temperature;
    if (a.top_p) s.top_p = a.top_p;
    if (a.top_k) s.top_k = a.top_k;
    if (a.repetition_penalty) s.repetition_penalty = a.repetition_penalty;
    if (!a.stop_token_ids.empty()) s.stop_token_ids = a.stop_token_ids;
    return s;
}

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f s", s);
    return buf;
}

std::string count_or_na(long long n) { return n >= 0 ? std::to_string(n) : "n/a"; }

// Prints the answer and the thinking as they stream.
class Terminal {
public:
    explicit Terminal(bool show_thinking)
        : show_thinking_(show_thinking), dim_(isatty(STDERR_FILENO) != 0) {}

    vlm::StreamHandler handler() {
        vlm::StreamHandler h;
        h.on_reasoning = [this](std::string_view d) {
            if (!show_thinking_) return;
            if (!thinking_) std::fputs(dim_ ? "\033[2mthinking: " : "thinking: ", stderr);
            thinking_ = true;
            std::fwrite(d.data(), 1, d.size(), stderr);
            std::fflush(stderr);
        };
        h.on_content = [this](std::string_view d) {
            end_thinking();
            std::fwrite(d.data(), 1, d.size(), stdout);
            std::fflush(stdout);
            wrote_ = true;
        };
        return h;
    }
    void end_thinking() {
        if (!thinking_) return;
        std::fputs(dim_ ? "\033[0m\n" : "\n", stderr);
        thinking_ = false;
    }
    void finish() {
        end_thinking();
        if (wrote_) std::fputc('\n', stdout);
        std::fflush(stdout);
    }

private:
    bool show_thinking_, dim_;
    bool thinking_ = false, wrote_ = false;
};

struct Outcome {
    std::optional<vlm::ChatResponse> response;
    std::optional<vlm::VlmError> error;
};

Outcome run_chat(vlm::Client& client, const vlm::ChatRequest& request, const vlm::StreamHandler& handler) {
    try {
        return {client.chat(request, handler), std::nullopt};
    } catch (const vlm::VlmError& e) {
        return {std::nullopt, e};
    }
}

// One request's outcome for --json: the answer, thinking and the server's usage.
nlohmann::json response_json(const Outcome& o) {
    if (!o.response) return {{"error", o.error ? o.error->what() : "no reply"}};
    const vlm::ChatResponse& r = *o.response;
    auto count = [](long long n) { return n >= 0 ? nlohmann::json(n) : nlohmann::json(); };
    return {{"content", r.content},
            {"thinking", r.reasoning},
            {"finish_reason", r.finish_reason},
            {"model", r.model},
            {"usage",
             {{"prompt_tokens", count(r.usage.prompt_tokens)},
              {"completion_tokens", count(r.usage.completion_tokens)},
              {"total_tokens", count(r.usage.total_tokens)}}},
            {"first_token_seconds", r.first_token_ms >= 0 ? nlohmann::json(r.first_token_ms / 1000) : nlohmann::json()},
            {"total_seconds", r.total_ms / 1000},
            {"attempts", r.attempts}};
}

// The proxy's context check (docs/serve.md, "The context limit") before
// sending: a request that cannot fit is not sent. The denser renderings that
// stay legible for the preset are named, not applied: ask renders what it is told.
void check_context(const AskArgs& a, vlm::Client& client, long long vision_tokens, long long question_tokens,
                   long long max_tokens, const std::string& preset) {
    const long long limit = a.max_context > 0 ? a.max_context : client.max_model_len(a.model);
    if (limit <= 0) return;
    PromptCount count;
    count.vision = vision_tokens;
    count.text = text_tokens_with_margin(question_tokens);
    count.template_tokens = kTemplateTokensPerMessage + kTemplateTokensPerRequest;
    count.max_tokens = max_tokens;
    if (count.total() <= limit) return;
    std::string denser;
    const auto& ladder = context_ladder();
    for (size_t r = 1; r < ladder.size(); ++r) {
        if (!rung_admissible(ladder[r], preset)) continue;
        std::string flags;
        for (const auto& [key, value] : ladder[r].config.items())
            flags += (flags.empty() ? "--set " : " --set ") + key + "=" +
                     (value.is_string() ? "'" + value.get<std::string>() + "'" : value.dump());
        denser += (denser.empty() ? "" : "; ") + ladder[r].name + ": " + flags;
    }
    throw CommandError(kExitRejected,
                       "not sent: the request needs " + count.describe() + " tokens but the model's context is " +
                           std::to_string(limit) + " tokens (" +
                           (a.max_context > 0 ? "--max-context" : "max_model_len at " + client.url()) +
                           "); shorten the document, lower --max-tokens" +
                           (denser.empty() ? std::string(" (no denser rendering stays legible for " + preset + ")")
                                           : ", or render denser (" + denser + ")"));
}

void run(const AskArgs& a) {
    if (a.question.empty()) throw CommandError(kExitInput, "--question is empty");
    if (!a.extra_json.empty()) {
        const nlohmann::json extra = nlohmann::json::parse(a.extra_json, nullptr, false);
        if (extra.is_discarded() || !extra.is_object())
            throw CommandError(kExitInput, "--extra-json must be a JSON object, e.g. '{\"top_k\": 50}'");
    }
    const VisionProfile* profile = nullptr;
    std::string text;
    RenderConfig config;
    std::string preset_used;
    std::optional<vlm::Client> client, compare_client;
    try {
        profile = &find_profile(a.profile);
        client.emplace(client_options(a, a.endpoint, api_key(a.api_key, a.api_key_env)));
        if (!a.compare_endpoint.empty())
            compare_client.emplace(client_options(
                a, a.compare_endpoint,
                api_key(a.api_key, a.compare_api_key_env.empty() ? a.api_key_env : a.compare_api_key_env)));
        text = read_text_input(a.doc, "--doc");
        preset_used = a.render.source(text);
        config = a.render.resolve(text);
    } catch (const CommandError&) {
        throw;
    } catch (const std::exception& e) {
        throw CommandError(kExitInput, e.what());
    }

    std::signal(SIGINT, on_interrupt);
    RenderedPages pages;
    try {
        pages = render_pages(text, config, a);
    } catch (const std::exception& e) {
        throw CommandError(kExitInput, e.what());
    }
    const long long vision_tokens = count_vision(pages.sent, *profile).tokens;
    long long text_tokens = -1;
    long long question_tokens = -1;
    std::string tokenizer_problem;
    try {
        const Tokenizer tokenizer = Tokenizer::load(default_tokenizer_path());
        text_tokens = (long long)tokenizer.count(text);
        question_tokens = (long long)tokenizer.count(a.question);
    } catch (const std::exception& e) {
        tokenizer_problem = e.what();
    }
    const std::string warning = missing_glyph_warning(pages.missing);
    if (!warning.empty()) std::fprintf(stderr, "glyph: warning: %s\n", warning.c_str());
    std::fprintf(stderr, "glyph ask: %s (%s, %g dpi) rendered in %s; sending them to %s\n",
                 plural(pages.data_urls.size(), "page").c_str(), preset_used.c_str(), config.dpi, seconds(pages.seconds).c_str(),
                 client->url().c_str());

    // Glyph's message layout: one user message, the page images first, the
    // question last as text.
    vlm::ChatRequest request;
    request.model = a.model;
    request.sampling = sampling(a, vlm::default_sampling(profile->name));
    request.extra_json = a.extra_json;
    request.stream = !a.no_stream;
    request.messages.push_back(vlm::pages_message(std::move(pages.data_urls), a.question));
    check_context(a, *client, vision_tokens, question_tokens < 0 ? (long long)a.question.size() : question_tokens,
                  request.sampling.max_tokens.value_or(0), preset_used);

    std::future<Outcome> compared;
    if (compare_client) {
        vlm::ChatRequest plain;
        plain.model = a.compare_model.empty() ? a.model : a.compare_model;
        plain.sampling = sampling(a, vlm::default_sampling("text"));
        plain.extra_json = a.extra_json;
        plain.stream = !a.no_stream;  // streamed for its time to first token; shown afterwards
        plain.messages.push_back(vlm::text_message(text, a.question));
        compared = std::async(std::launch::async, [&compare_client, plain] {
            return run_chat(*compare_client, plain, {});
        });
    }

    // --json keeps stdout for the one JSON document: nothing streams there.
    Terminal terminal(!a.hide_thinking && !a.json);
    Outcome vision = run_chat(*client, request, a.json ? vlm::StreamHandler{} : terminal.handler());
    terminal.finish();
    const bool comparing = compared.valid();
    Outcome textual;
    if (comparing) textual = compared.get();

    const double ratio = compression_ratio(text_tokens, vision_tokens);
    auto row = [](const char* label, const std::string& value) {
        std::fprintf(stderr, "  %-28s %s\n", label, value.c_str());
    };
    std::fprintf(stderr, "\n");
    row("text tokens (document)", text_tokens >= 0 ? std::to_string(text_tokens) : "n/a (" + tokenizer_problem + ")");
    row("vision tokens sent", std::to_string(vision_tokens) + " (" + profile->name + ", " +
                                  plural(pages.sent.size(), "page") + ")");
    if (ratio > 0) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2fx", ratio);
        row("compression ratio", buf);
    }
    row("render time", seconds(pages.seconds));
    if (vision.response) {
        const auto& r = *vision.response;
        row("time to first token", r.first_token_ms >= 0 ? seconds(r.first_token_ms / 1000) : "n/a");
        row("total time", seconds(r.total_ms / 1000));
        row("prompt tokens (server)", count_or_na(r.usage.prompt_tokens));
        if (r.attempts > 1) row("attempts", std::to_string(r.attempts));
    }

    if (a.json) {
        nlohmann::json out{{"pages", pages.sent.size()},
                           {"config_source", preset_used},
                           {"dpi", config.dpi},
                           {"profile", profile->name},
                           {"vision_tokens", vision_tokens},
                           {"text_tokens", text_tokens >= 0 ? nlohmann::json(text_tokens) : nlohmann::json()},
                           {"compression_ratio", ratio > 0 ? nlohmann::json(ratio) : nlohmann::json()},
                           {"render_seconds", pages.seconds}};
        if (pages.missing.count) out["missing_glyphs"] = pages.missing.count;
        out["answer"] = response_json(vision);
        if (comparing) out["text_llm"] = response_json(textual);
        std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else if (comparing) {
        std::printf("\n--- text LLM answer (%s) ---\n", compare_client->url().c_str());
        if (textual.response) std::printf("%s\n", textual.response->content.c_str());
        else std::printf("(failed: %s)\n", textual.error->what());
        std::fflush(stdout);
        std::fprintf(stderr, "\n  %-28s %-18s %s\n", "", "glyph (pages)", "text LLM");
        auto pair = [](const char* label, const Outcome& v, const Outcome& t, auto get) {
            std::fprintf(stderr, "  %-28s %-18s %s\n", label, v.response ? get(*v.response).c_str() : "failed",
                         t.response ? get(*t.response).c_str() : "failed");
        };
        pair("prompt tokens (server)", vision, textual,
             [](const vlm::ChatResponse& r) { return count_or_na(r.usage.prompt_tokens); });
        pair("time to first token", vision, textual, [](const vlm::ChatResponse& r) {
            return r.first_token_ms >= 0 ? seconds(r.first_token_ms / 1000) : std::string("n/a");
        });
        pair("total time", vision, textual, [](const vlm::ChatResponse& r) { return seconds(r.total_ms / 1000); });
        std::fprintf(stderr, "  %-28s %-18s %s\n", "document cost (tokens)", std::to_string(vision_tokens).c_str(),
                     count_or_na(text_tokens).c_str());
    }
    if (vision.error) throw CommandError(exit_code_of(vision.error->kind), vision.error->what());
    if (textual.error)
        throw CommandError(exit_code_of(textual.error->kind), std::string("text LLM: ") + textual.error->what());
}

}  // namespace

int exit_code_of(vlm::ErrorKind kind) {
    switch (kind) {
        case vlm::ErrorKind::Unreachable: return kExitUnreachable;
        case vlm::ErrorKind::Timeout: return kExitTimeout;
        case vlm::ErrorKind::ServerError: return kExitServerError;
        case vlm::ErrorKind::Rejected: return kExitRejected;
        case vlm::ErrorKind::BadReply: return kExitBadReply;
        case vlm::ErrorKind::TruncatedStream: return kExitTruncated;
        case vlm::ErrorKind::Cancelled: return kExitInterrupted;
        case vlm::ErrorKind::InvalidRequest: return kExitUsage;
    }
    return kExitFailure;
}

void add_ask_command(CLI::App& app) {
    auto args = std::make_shared<AskArgs>();
    CLI::App* cmd = app.add_subcommand("ask", "Render a document, ask a VLM about its pages, report the saving");
    cmd->footer(
        "Exit codes: 0 answered; 1 internal error; 2 bad input or option; 3 endpoint unreachable; "
        "4 read timeout; 5 server error after retries (5xx, 429, dropped connections); 6 request rejected "
        "(other 4xx); 7 bad reply (not JSON, no choices, malformed stream); 8 stream cut off mid-answer; "
        "130 interrupted (Ctrl-C). Flag syntax errors use CLI11's codes (100 and up). See docs/ask.md.");
    cmd->add_option("--doc", args->doc, "Text file to ask about ('-' for stdin)")->required();
    cmd->add_option("--question", args->question, "The question (sent as text, after the page images)")->required();
    cmd->add_option("--endpoint", args->endpoint, "OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")
        ->required();
    cmd->add_option("--model", args->model, "Model name the server knows")->capture_default_str();
    args->render.add_to(*cmd);
    cmd->add_option("--profile", args->profile, "Vision-token profile for the accounting and the request defaults")
        ->capture_default_str();
    cmd->add_option("--max-pixels", args->max_pixels, "Downscale each page to at most this many pixels (Lanczos)");
    cmd->add_option("--image-format", args->image_format, "png, webp or jpeg")
        ->check(CLI::IsMember({"png", "webp", "jpeg", "jpg"}))
        ->capture_default_str();
    cmd->add_option("--image-quality", args->image_quality, "WebP/JPEG quality (WebP 100 = lossless)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    cmd->add_option("--api-key", args->api_key, "API key (prefer --api-key-env: flags show in process lists)");
    cmd->add_option("--api-key-env", args->api_key_env, "Environment variable holding the API key")
        ->capture_default_str();
    cmd->add_option("--max-tokens", args->max_tokens, "Longest answer (default 8192)");
    cmd->add_option("--max-context", args->max_context,
                    "The model's context in tokens (0: the endpoint's /models max_model_len, when it reports one); "
                    "a request that cannot fit is not sent (exit 6)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--temperature", args->temperature, "Sampling temperature (glm-4.1v default 0.0001)");
    cmd->add_option("--top-p", args->top_p, "Nucleus sampling (glm-4.1v default 1.0)");
    cmd->add_option("--top-k", args->top_k, "Top-k sampling (glm-4.1v default 1)");
    cmd->add_option("--repetition-penalty", args->repetition_penalty, "glm-4.1v default 1.1");
    cmd->add_option("--stop-token-ids", args->stop_token_ids, "Comma-separated ids (glm-4.1v: 151329,151348,151336)")
        ->delimiter(',');
    cmd->add_option("--extra-json", args->extra_json,
                    "JSON object merged into the request body last (null removes a key)");
    cmd->add_flag("--no-stream", args->no_stream, "Wait for the whole answer instead of streaming it");
    cmd->add_flag("--hide-thinking", args->hide_thinking, "Do not show reasoning_content on stderr");
    cmd->add_flag("--json", args->json,
                  "Print one JSON object on stdout when done: answer, thinking, usage, pages, text and vision "
                  "tokens, compression ratio (the report still goes to stderr; nothing streams to stdout)");
    cmd->add_option("--connect-timeout", args->connect_timeout, "Seconds to establish a connection")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--read-timeout", args->read_timeout,
                    "Longest silence from the server in seconds (covers the prefill before the first token)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--retries", args->retries, "Retries after 5xx, 429 or a dropped connection")
        ->check(CLI::Range(0, 20))
        ->capture_default_str();
    cmd->add_option("--retry-base", args->retry_base, "First backoff in seconds (doubles per retry, jittered)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--max-retry-after", args->max_retry_after,
                    "Give up instead of waiting when Retry-After asks for longer (seconds)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--threads", args->threads, "Render threads (0: all cores)")->capture_default_str();
    cmd->add_option("--compare-text-endpoint", args->compare_endpoint,
                    "Also send the plain text to this text LLM and compare answers and costs");
    cmd->add_option("--compare-model", args->compare_model, "Model name at the text endpoint (default: --model)");
    cmd->add_option("--compare-api-key-env", args->compare_api_key_env,
                    "Environment variable with the text endpoint's key (default: --api-key-env)");
    cmd->callback([args] { run(*args); });
}

}  // namespace glyph::cli
