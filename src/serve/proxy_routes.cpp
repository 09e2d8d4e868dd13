#include "glyph/context_budget.h"
#include "serve/context_fit.h"
#include "serve/server_impl.h"
#include "serve/untrusted_json.h"

namespace glyph::serve {

using json = nlohmann::json;

std::pair<bool, json> Server::Impl::check_upstream_health() {
    std::lock_guard lock(health_mutex);
    if (upstream_health_at != Clock::time_point{} && Clock::now() - upstream_health_at < std::chrono::seconds(1))
        return upstream_health;
    // vLLM and SGLang answer /health at their root; any OpenAI server lists /v1/models.
    const double connect = std::min(2.0, options.upstream_connect_timeout_s);
    long status = 0;
    std::string error;
    for (const char* path : {"/health", "/v1/models"}) {
        UpstreamCall call({passthrough_url(options.upstream, path), options.upstream_api_key, connect, 5}, "");
        std::string body;
        const bool answered = call.wait_headers(abort_streams) && call.read_all(body, 1u << 20, abort_streams);
        status = call.status();
        error = answered ? "" : call.error();
        if (!answered || status != 404) break;
    }
    const bool ok = error.empty() && status >= 200 && status < 300;
    json report = {{"url", options.upstream}, {"status", ok ? "ok" : "unavailable"}};
    if (status > 0) report["http_status"] = status;
    if (!error.empty()) report["error"] = error;
    upstream_health = {ok, report};
    upstream_health_at = Clock::now();
    return upstream_health;
}

void Server::Impl::handle_health(httplib::Response& res) {
    json upstream = "none";
    bool upstream_ok = true;
    if (!options.upstream.empty()) std::tie(upstream_ok, upstream) = check_upstream_health();
    const bool ok = !draining.load();
    res.status = ok && upstream_ok ? 200 : 503;
    res.set_content(json{{"status", !ok ? "draining" : upstream_ok ? "ok" : "upstream-unavailable"},
                         {"proxy", {{"status", ok ? "ok" : "draining"},
                                    {"workers", gate.slots()},
                                    {"busy", gate.busy()},
                                    {"waiting", gate.waiting()}}},
                         {"upstream", upstream}}
                        .dump(),
                    "application/json");
}

void Server::Impl::handle_metrics(httplib::Response& res) {
    Metrics::Gauges g;
    g.cache = cache.stats();
    g.workers = gate.slots();
    g.busy = gate.busy();
    g.waiting = gate.waiting();
    g.connections = http.open_connections();
    res.set_content(metrics.exposition(g), "text/plain; version=0.0.4; charset=utf-8");
}

std::pair<long long, std::string> Server::Impl::context_limit(const httplib::Request& req, const std::string& model) {
    if (options.max_context > 0) return {options.max_context, "--max-context"};
    const std::string source = "max_model_len of " + (model.empty() ? std::string("the model") : model.substr(0, 80)) +
                               " at the upstream's /v1/models";
    std::unique_lock lock(model_mutex);
    if (upstream_models_at == Clock::time_point{} || Clock::now() - upstream_models_at > std::chrono::minutes(1)) {
        lock.unlock();
        UpstreamRequest ask{"GET", {{"Accept", "application/json"}}, ""};
        if (forward_client_authorization() && req.has_header("Authorization"))
            ask.headers.emplace_back("Authorization", req.get_header_value("Authorization"));
        UpstreamCall call(target(options.upstream, options.upstream_api_key, "/models"), std::move(ask));
        std::string reply;
        json models;
        if (call.wait_headers(abort_streams, GuardedHttpServer::client_gone) && call.status() == 200 &&
            call.read_all(reply, 1u << 20, abort_streams, GuardedHttpServer::client_gone)) {
            try {
                models = parse_untrusted_json(reply);
            } catch (const ServeError&) {
                models = json();  // too deep to be a models list
            }
        }
        lock.lock();
        if (call.error() != "cancelled") {  // a client that left says nothing about the upstream
            upstream_models = std::move(models);
            upstream_models_at = Clock::now();
        }
    }
    const long long limit = max_model_len(upstream_models, model);
    return {limit, source};
}

void Server::Impl::handle_passthrough(const httplib::Request& req, httplib::Response& res) {
    if (req.path.rfind("/api/", 0) == 0 || options.upstream.empty())
        return send_error(res, 404, "no such path: " + req.path.substr(0, 200) +
                                        (options.upstream.empty() ? " (no --upstream to relay it to)" : ""));
    if (req.target.empty() || req.target.front() != '/')
        return send_error(res, 400, "the request target must be a path (origin form)");
    auto ticket = acquire();
    if (!ticket) return send_busy(res);
    UpstreamTarget to = target(options.upstream, options.upstream_api_key, "");
    to.url = passthrough_url(options.upstream, req.target);
    auto call = std::make_shared<UpstreamCall>(to, relayed_request(req, req.body));
    const auto sent = Clock::now();
    if (!call->wait_headers(abort_streams, GuardedHttpServer::client_gone)) return send_upstream_failure(res, *call);
    metrics.observe_upstream(ms_since(sent) / 1000);
    RelayOptions relay;
    relay.max_reply_bytes = options.max_upstream_reply_bytes;
    relay.abort = &abort_streams;
    relay_reply(call, res, std::move(relay), ticket);
}

void Server::Impl::handle_compressed(const httplib::Request& req, httplib::Response& res, Api api) {
    if (options.upstream.empty())
        return send_error(res, 503, "no upstream VLM configured: start glyph serve with --upstream URL",
                          "no_endpoint");
    json body;
    try {
        body = parse_untrusted_json(req.body);
    } catch (const ServeError& e) {
        return send_error(res, 400, std::string("request body: ") + e.what());
    }
    if (body.is_discarded()) return send_error(res, 400, "request body is not valid JSON");
    const char* needed = api == Api::kChat ? "messages" : "input";
    if (!body.is_object() || !body.contains(needed))
        return send_error(res, 400, std::string("request body must be a JSON object with \"") + needed + "\"");
    ProxyPolicy policy = options.policy;
    if (body.contains("glyph")) {
        try {
            policy = apply_policy_overrides(policy, body["glyph"]);
        } catch (const ServeError& e) {
            return send_error(res, 400, e.what());
        }
        body.erase("glyph");
    }
    auto ticket = acquire();
    if (!ticket) return send_busy(res);

    const VisionProfile& profile = policy.profile.empty() ? proxy_profile() : find_profile(policy.profile);
    const MessageFormat& format = api == Api::kChat ? kChatFormat : kResponsesFormat;
    const auto model_field = body.find("model");
    const auto [limit, limit_source] = context_limit(
        req, model_field != body.end() && model_field->is_string() ? model_field->get<std::string>() : "");
    const json original = limit > 0 ? body : json();
    auto compress = [&](json& request, const ProxyPolicy& p) {
        RenderBudget budget = request_budget();
        return api == Api::kChat ? compress_messages(request["messages"], p, profile, count_tokens, renderer, budget)
                                 : compress_responses_input(request, p, profile, count_tokens, renderer, budget);
    };
    CompressionReport report;
    try {
        report = compress(body, policy);
        if (limit > 0) {
            PromptCount count = count_request(body, format, profile, count_tokens);
            std::string tried = "as rendered by the preset (" + std::string(decision_name(report.decision)) +
                                "): " + std::to_string(count.total());
            // Denser pages, as long as they stay legible in every language rendered.
            const auto& ladder = context_ladder();
            for (size_t r = 1; r < ladder.size() && count.total() > limit && report.pages > 0; ++r) {
                std::string illegible;
                for (const auto& preset : report.presets)
                    if (!rung_admissible(ladder[r], preset)) illegible = preset;
                if (!illegible.empty()) {
                    tried += "; " + ladder[r].name + ": not legible enough for " + illegible;
                    continue;
                }
                ProxyPolicy denser = policy;
                for (const auto& [key, value] : ladder[r].config.items()) denser.config[key] = value;
                json attempt = original;
                CompressionReport denser_report = compress(attempt, denser);
                const PromptCount denser_count = count_request(attempt, format, profile, count_tokens);
                tried += "; " + ladder[r].name + ": " + std::to_string(denser_count.total());
                if (denser_count.total() <= limit) {
                    body = std::move(attempt);
                    report = std::move(denser_report);
                    report.rendering = ladder[r].name;
                }
                count = denser_count;
            }
            if (count.total() > limit) {
                res.status = 400;
                res.set_header("X-Glyph-Decision", decision_name(report.decision));
                return res.set_content(context_error(limit, limit_source, count, tried).dump(), "application/json");
            }
        }
    } catch (const BudgetExceeded& e) {
        return send_error(res, 413, e.what());
    } catch (const Cancelled&) {
        return send_error(res, 499, "the client closed the connection; rendering stopped");
    } catch (const ServeError& e) {
        return send_error(res, 400, e.what());
    } catch (const InputError& e) {
        return send_error(res, 400, std::string("cannot render a message: ") + e.what());
    } catch (const ConfigError& e) {
        return send_error(res, 400, e.what());
    }
    metrics.count_compression(decision_name(report.decision), report.pages, report.text_tokens,
                              report.vision_tokens, report.render_ms / 1000);
    res.set_header("X-Glyph-Decision", decision_name(report.decision));

    UpstreamRequest up = relayed_request(req, body.dump());
    up.method = "POST";
    if (!req.has_header("Content-Type")) up.headers.emplace_back("Content-Type", "application/json");
    auto call = std::make_shared<UpstreamCall>(
        target(options.upstream, options.upstream_api_key, api == Api::kChat ? "/chat/completions" : "/responses"),
        std::move(up));
    const auto sent = Clock::now();
    // A client that leaves while the upstream is still silent (prefill of a
    // long prompt) frees its worker at once: the upstream request is dropped.
    if (!call->wait_headers(abort_streams, GuardedHttpServer::client_gone)) return send_upstream_failure(res, *call);
    metrics.observe_upstream(ms_since(sent) / 1000);

    res.set_header("X-Glyph-Tokens-Saved", std::to_string(report.tokens_saved()));
    res.set_header("X-Glyph-Text-Tokens", std::to_string(report.text_tokens));
    res.set_header("X-Glyph-Vision-Tokens", std::to_string(report.vision_tokens));
    res.set_header("X-Glyph-Pages", std::to_string(report.pages));
    res.set_header("X-Glyph-Rendering", report.rendering);
    if (!report.warning.empty()) res.set_header("X-Glyph-Warning", report.warning);
    for (const std::string& w : policy.warnings) res.set_header("X-Glyph-Warning", w);
    RelayOptions relay;
    relay.max_reply_bytes = options.max_upstream_reply_bytes;
    relay.abort = &abort_streams;
    relay.glyph_usage = report.to_json();
    relay.final_usage_chunk = api == Api::kChat;
    relay_reply(call, res, std::move(relay), ticket);
}

}  // namespace glyph::serve
