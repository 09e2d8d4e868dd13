// glyph serve: the web app and the OpenAI-compatible compression proxy.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "glyph/config_json.h"
#include "glyph/serve.h"
#include "glyph/tokenizer.h"
#include "render_options.h"

namespace glyph::cli {

namespace {

struct ServeFlags {
    serve::ServeOptions options;
    RenderFlags render;
    std::string api_key_file;
    std::string upstream_key_file;
    std::string tokenizer_path;
    double max_body_mib = 32;
    double max_text_mib = 8;
    double max_upstream_reply_mib = 64;
    double cache_mib = 256;
    bool quiet = false;
    bool render_everything = false;
};

std::string read_key_file(const std::string& path, const char* flag = "--api-key-file") {
    std::ifstream in(path);
    if (!in) throw CommandError(kExitUsage, std::string("cannot read ") + flag + " " + path);
    std::string key;
    std::getline(in, key);
    while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
    if (key.empty()) throw CommandError(kExitUsage, std::string(flag) + " " + path + " is empty");
    return key;
}

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// Turns --preset/--config/--set/--dpi/--mode into the policy's preset and keys.
void apply_render_flags(const RenderFlags& flags, serve::ProxyPolicy& policy) {
    if (!flags.preset.empty()) policy.preset = flags.preset;
    if (!flags.config_file.empty()) {
        std::ifstream in(flags.config_file);
        if (!in) throw CommandError(kExitUsage, "cannot read --config " + flags.config_file);
        std::stringstream text;
        text << in.rdbuf();
        auto j = nlohmann::json::parse(text.str(), nullptr, false);
        if (j.is_discarded() || !j.is_object())
            throw CommandError(kExitUsage, "--config " + flags.config_file + " is not a JSON object");
        // A config file may carry keys of its own: each unknown one is a
        // warning, and it is left out so the policy holds only real keys.
        for (auto it = j.begin(); it != j.end();) {
            if (is_config_key(it.key())) {
                ++it;
                continue;
            }
            print_config_warning(flags.config_file + ": " + unknown_key_message(it.key()) + " (ignored)");
            it = j.erase(it);
        }
        policy.config = j;
    }
    for (const std::string& item : flags.sets) {
        try {
            auto [key, value] = parse_set(item);
            policy.config[key] = std::move(value);
        } catch (const ConfigError& e) {
            throw CommandError(kExitUsage, e.what());
        }
    }
    if (flags.dpi != 0) policy.config["dpi"] = flags.dpi;
    if (!flags.mode.empty()) policy.config["layout-mode"] = flags.mode;
    // The server checks the keys at start; what it accepts with a doubt (an
    // unknown alignment) is said here, once.
    if (policy.config.contains("alignment"))
        (void)apply_config({{"alignment", policy.config["alignment"]}}, RenderConfig{}, ".", UnknownKeys::Reject,
                           print_config_warning);
}

void run_serve(ServeFlags& f) {
    auto& o = f.options;
    o.max_body_bytes = size_t(f.max_body_mib * 1024 * 1024);
    o.max_text_bytes = size_t(f.max_text_mib * 1024 * 1024);
    o.max_upstream_reply_bytes = size_t(f.max_upstream_reply_mib * 1024 * 1024);
    o.cache_bytes = size_t(f.cache_mib * 1024 * 1024);
    o.access_log = f.quiet ? nullptr : stderr;
    o.api_key = f.api_key_file.empty() ? env_or_empty("GLYPH_SERVE_API_KEY") : read_key_file(f.api_key_file);
    o.upstream_api_key = f.upstream_key_file.empty() ? env_or_empty("GLYPH_UPSTREAM_API_KEY")
                                                     : read_key_file(f.upstream_key_file, "--upstream-key-file");
    o.text_api_key = env_or_empty("GLYPH_TEXT_API_KEY");
    if (f.render_everything) o.policy.min_tokens = 0;
    apply_render_flags(f.render, o.policy);

    std::shared_ptr<const Tokenizer> tokenizer;
    try {
        tokenizer = std::make_shared<const Tokenizer>(
            Tokenizer::load(f.tokenizer_path.empty() ? default_tokenizer_path() : f.tokenizer_path));
    } catch (const std::exception& e) {
        throw CommandError(kExitUsage, e.what());
    }
    serve::TextTokenCounter counter = [tokenizer](std::string_view text) {
        return static_cast<long long>(tokenizer->count(text));
    };

    // Signals go to one waiting thread, not to whichever thread the kernel picks.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // A client that goes away mid-write must not kill the server.
    signal(SIGPIPE, SIG_IGN);

    std::unique_ptr<serve::Server> owned;
    try {
        owned = std::make_unique<serve::Server>(o, std::move(counter));
    } catch (const serve::ServeError& e) {
        throw CommandError(kExitUsage, e.what());
    }
    serve::Server& server = *owned;
    try {
        server.bind();
    } catch (const serve::ServeError& e) {
        throw CommandError(kExitCannotListen, e.what());
    }
    std::printf("glyph serve: listening on http://%s:%d (upstream: %s)\n", o.host.c_str(), server.port(),
                o.upstream.empty() ? "none" : o.upstream.c_str());
    const double per_request_gib = serve::worst_case_request_bytes(o) / double(1u << 30);
    std::printf("glyph serve: a request may make %d pages / %g megapixels; worst case %.1f GiB a request, "
                "%.1f GiB for --workers %d (plus --cache-mb)\n",
                o.max_request_pages, o.max_request_megapixels, per_request_gib, per_request_gib * o.workers,
                o.workers);
    std::fflush(stdout);

    std::atomic<bool> done{false};
    std::thread waiter([&] {
        const timespec tick{0, 200 * 1000 * 1000};
        while (!done.load()) {
            if (sigtimedwait(&signals, nullptr, &tick) > 0) {
                std::fprintf(stderr, "glyph serve: shutting down, finishing requests in flight\n");
                server.stop();
                return;
            }
        }
    });
    server.run();
    done.store(true);
    waiter.join();
    std::fprintf(stderr, "glyph serve: stopped\n");
}

}  // namespace

void add_serve_command(CLI::App& app) {
    auto flags = std::make_shared<ServeFlags>();
    auto& o = flags->options;
    CLI::App* cmd = app.add_subcommand(
        "serve", "Web app (render, count, ask) and an OpenAI-compatible proxy that sends long text as pages");
    cmd->footer(
        "Per request, the body's \"glyph\" object (removed before forwarding) changes the policy; every reply says\n"
        "what was decided in X-Glyph-Decision and usage.glyph.decision (rendered, below-threshold,\n"
        "role-not-enabled, disabled-by-request, no-saving, no-text-part). Rendering off for one request:\n"
        "  curl:   -d '{\"model\": \"M\", \"messages\": [...], \"glyph\": {\"enabled\": false}}'\n"
        "  openai (npm):    client.chat.completions.create({model, messages, glyph: {enabled: false}})\n"
        "  openai (Python): client.chat.completions.create(model=M, messages=..., extra_body={\"glyph\": {\"enabled\": False}})\n"
        "Other fields: min_tokens, roles, keep_question, question, question_separator, preset, config, dpi,\n"
        "profile (docs/serve.md). Routes other than /v1/chat/completions and /v1/responses go upstream as\n"
        "they are; /health, /healthz and /metrics are the proxy's own.");
    cmd->add_option("--host", o.host, "Address to listen on (127.0.0.1: this machine only)")->capture_default_str();
    cmd->add_option("--port", o.port, "Port (0: any free port, printed at start)")->capture_default_str();
    cmd->add_option("--upstream", o.upstream, "OpenAI-compatible VLM server, e.g. http://127.0.0.1:8000/v1");
    cmd->add_option("--model", o.model, "Model name sent upstream by the web app (default: the upstream's first)");
    cmd->add_option("--text-endpoint", o.text_endpoint, "Text-only server for the web app's side-by-side answers");
    cmd->add_option("--text-model", o.text_model, "Model name for --text-endpoint (default: its first)");
    cmd->add_option("--min-tokens", o.policy.min_tokens,
                    "Proxy: message parts with more text tokens than this become pages")
        ->capture_default_str();
    cmd->add_flag("--render-everything", flags->render_everything, "Proxy: render every eligible part (--min-tokens 0)");
    cmd->add_option("--question-separator", o.policy.question_separator,
                    "Proxy: text after the last occurrence of this stays text (default: blank line / '?' rules)");
    cmd->add_option("--roles", o.policy.roles, "Proxy: roles whose text may be rendered (user, system)")
        ->check(CLI::IsMember({"user", "system"}))
        ->capture_default_str();
    cmd->add_option("--profile", o.policy.profile, "Vision-token profile for the proxy's accounting");
    cmd->add_option("--max-context", o.max_context,
                    "Proxy: the model's context in tokens (0: the upstream's /v1/models max_model_len); a request "
                    "that does not fit is rendered denser or refused with a 400")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    flags->render.add_to(*cmd);
    cmd->add_option("--workers", o.workers, "Requests rendering or waiting on upstream at once")->capture_default_str();
    cmd->add_option("--queue", o.queue, "Requests that may wait for a worker; beyond: 503 + Retry-After")
        ->capture_default_str();
    cmd->add_option("--queue-timeout", o.queue_timeout_s, "Longest wait for a worker, seconds")->capture_default_str();
    cmd->add_option("--connections", o.connection_threads, "Connection threads (0: --max-connections + 16)")
        ->capture_default_str();
    cmd->add_option("--max-connections", o.max_connections,
                    "Open connections at once; beyond, a connection may only ask /healthz")
        ->capture_default_str();
    cmd->add_option("--max-connections-per-address", o.max_connections_per_address,
                    "Open connections from one client address (0: no cap, e.g. behind a reverse proxy)")
        ->capture_default_str();
    cmd->add_option("--header-timeout", o.header_timeout_s,
                    "A request's line and headers must arrive within this, seconds")
        ->capture_default_str();
    cmd->add_option("--max-body", flags->max_body_mib, "Largest request body, MiB")->capture_default_str();
    cmd->add_option("--max-request-pages", o.max_request_pages,
                    "Pages one request may have rendered or sent; beyond: 413")
        ->capture_default_str();
    cmd->add_option("--max-request-megapixels", o.max_request_megapixels,
                    "Pixels of those pages, in millions; beyond: 413")
        ->capture_default_str();
    cmd->add_option("--max-text", flags->max_text_mib, "Most text one request may have rendered (web app or proxy), MiB; beyond: 413")
        ->capture_default_str();
    cmd->add_option("--max-upstream-reply", flags->max_upstream_reply_mib,
                    "Largest upstream reply (or one streamed event) relayed, MiB; beyond: 502 / an error event")
        ->capture_default_str();
    cmd->add_option("--read-timeout", o.read_timeout_s, "Client socket read/write timeout, seconds")
        ->capture_default_str();
    cmd->add_option("--upstream-timeout", o.upstream_idle_timeout_s, "Longest upstream silence, seconds")
        ->capture_default_str();
    cmd->add_option("--shutdown-grace", o.shutdown_grace_s, "After SIGTERM, how long streams may run on, seconds")
        ->capture_default_str();
    cmd->add_option("--cache-dir", o.cache_dir, "Keep rendered segments in this folder too (shareable)");
    cmd->add_option("--cache-mb", flags->cache_mib, "In-memory segment cache, MiB")->capture_default_str();
    cmd->add_option("--api-key-file", flags->api_key_file,
                    "Clients must send this key as a Bearer token (else $GLYPH_SERVE_API_KEY, else open)");
    cmd->add_option("--upstream-key-file", flags->upstream_key_file,
                    "Key sent upstream, replacing the client's Authorization (else $GLYPH_UPSTREAM_API_KEY; "
                    "with neither, an open proxy forwards the client's)");
    cmd->add_option("--tokenizer", flags->tokenizer_path, "Text tokenizer: a tokenizer.json, a model folder holding one, or a name (qwen3, llama3_1, gpt4o, gemma3, llama2, ...; default: models/tokenizer.json = Qwen3)");
    cmd->add_flag("--quiet", flags->quiet, "No access log on stderr");
    cmd->callback([flags] { run_serve(*flags); });
}

}  // namespace glyph::cli
