#include "glyph/serve.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include "glyph/config_json.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "glyph/vision_tokens.h"
#include "glyph/vlm.h"
#include "serve/pages_zip.h"
#include "serve/server_impl.h"
#include "serve/sse_relay.h"
#include "serve/untrusted_json.h"
#include "serve/web_assets.h"
#include "util/utf8.h"

namespace glyph::serve {

namespace {

using json = nlohmann::json;

// The access log's clock: set when a request is routed, read when it is logged
// (httplib handles a request start to end on one connection thread).
thread_local Clock::time_point request_start;



std::string content_type_for(std::string_view path) {
    auto ends = [&](std::string_view ext) {
        return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
    };
    if (ends(".html")) return "text/html; charset=utf-8";
    if (ends(".js")) return "text/javascript; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    if (ends(".svg")) return "image/svg+xml";
    if (ends(".png")) return "image/png";
    return "application/octet-stream";
}

std::string utc_now() {
    char buf[32];
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// The web app's render settings: preset, dpi, newline mode, profile.
struct AppSettings {
    RenderConfig config;
    std::string preset;
    const VisionProfile* profile = nullptr;
};

const char* kNewlineMarker = "<font color=\"#FF0000\"> \\n </font>";

// An optional string field of a request body; anything but a string is a 400.
std::string string_field(const json& body, const char* name, const std::string& fallback) {
    const auto it = body.find(name);
    if (it == body.end() || it->is_null()) return fallback;
    if (!it->is_string()) throw ServeError(std::string(name) + " must be a string, got " + brief_json(*it));
    return it->get<std::string>();
}

// A request body: JSON nested at most kMaxJsonDepth deep (ServeError beyond),
// a discarded value when it is not JSON at all.
json parse_body(const httplib::Request& req) { return parse_untrusted_json(req.body); }

AppSettings parse_app_settings(const json& body, std::string_view text) {
    AppSettings s;
    s.preset = string_field(body, "preset", "auto");
    if (s.preset == "auto") s.preset = auto_preset_name(text);
    json overrides = json::object();
    if (body.contains("dpi") && !body["dpi"].is_null()) {
        const auto& d = body["dpi"];
        if (!d.is_number() || d.get<double>() < 36 || d.get<double>() > 300)
            throw ServeError("dpi must be a number in 36..300, got " + brief_json(d));
        overrides["dpi"] = d;
    }
    const std::string newline = string_field(body, "newline", "br");
    if (newline == "marker") overrides["newline-markup"] = kNewlineMarker;
    else if (newline != "br") throw ServeError("newline must be \"br\" or \"marker\", got " + brief_json(newline));
    try {
        s.config = apply_config(overrides, preset_for_text(s.preset, text));
        s.profile = &find_profile(string_field(body, "profile", default_profile_name()));
    } catch (const ServeError&) {
        throw;
    } catch (const std::exception& e) {
        throw ServeError(e.what());
    }
    return s;
}

}  // namespace

void validate(const ServeOptions& o) {
    if (o.port < 0 || o.port > 65535) throw ServeError("--port must be in 0..65535, got " + std::to_string(o.port));
    if (o.workers < 1 || o.workers > 1024) throw ServeError("--workers must be in 1..1024");
    if (o.queue < 0 || o.queue > 65536) throw ServeError("--queue must be in 0..65536");
    if (o.connection_threads < 0 || o.connection_threads > 4096)
        throw ServeError("--connections must be in 0..4096");
    if (o.max_connections < 1 || o.max_connections > 4096)
        throw ServeError("--max-connections must be in 1..4096");
    if (o.max_connections_per_address < 0 || o.max_connections_per_address > 4096)
        throw ServeError("--max-connections-per-address must be in 0..4096 (0: no cap)");
    if (o.header_timeout_s <= 0) throw ServeError("--header-timeout must be positive");
    if (o.max_body_bytes < 1024) throw ServeError("--max-body must be at least 1 KiB");
    if (o.max_upstream_reply_bytes < 1024) throw ServeError("--max-upstream-reply must be at least 1 KiB");
    if (o.read_timeout_s <= 0 || o.upstream_connect_timeout_s <= 0 || o.upstream_idle_timeout_s <= 0 ||
        o.queue_timeout_s < 0 || o.shutdown_grace_s < 0)
        throw ServeError("timeouts must be positive");
    if (o.policy.min_tokens < 0) throw ServeError("--min-tokens must be >= 0");
    if (o.max_request_pages < 1 || o.max_request_pages > 100000)
        throw ServeError("--max-request-pages must be in 1..100000");
    if (!(o.max_request_megapixels >= 1 && o.max_request_megapixels <= 100000))
        throw ServeError("--max-request-megapixels must be in 1..100000");
    for (const std::string* url : {&o.upstream, &o.text_endpoint})
        if (!url->empty()) (void)upstream_url(*url, "/models");
    try {
        glyph::validate(policy_render_config(o.policy, ""));  // a bad --set fails at start, not per request
        if (!o.policy.profile.empty()) (void)find_profile(o.policy.profile);
    } catch (const std::exception& e) {
        throw ServeError(e.what());
    }
}

ConnectionLimits connection_limits(const ServeOptions& o) {
    ConnectionLimits l;
    l.max_connections = o.max_connections;
    l.max_per_address = o.max_connections_per_address;
    l.header_timeout_s = o.header_timeout_s;
    l.io_timeout_s = o.read_timeout_s;
    l.max_body_bytes = o.max_body_bytes;
    return l;
}

int render_threads() { return std::max(1, int(std::thread::hardware_concurrency())); }

// Measured: the reference layout of 8 MiB of English text peaks at ~350 MB.
constexpr double kLayoutBytesPerTextByte = 48;

double worst_case_request_bytes(const ServeOptions& o) {
    const double pixels = o.max_request_megapixels * 1e6;
    const double png = pixels * 3;  // incompressible RGB: PNG adds only framing
    const double base64 = png * 4 / 3;
    const double rasters = double(render_threads()) * kMaxRequestPageMegapixels * 1e6 * 3 * 2;
    const double body = 2.0 * double(o.max_body_bytes);  // as received, and parsed
    const double layout = double(o.max_text_bytes) * kLayoutBytesPerTextByte;
    return png + 2 * base64 + rasters + body + layout;
}


void Server::Impl::send_busy(httplib::Response& res) {
    metrics.count_busy();
    res.set_header("Retry-After", "1");
    send_error(res, 503, "server busy: all workers are taken and the waiting line is full; retry shortly",
               "server_busy");
}

bool Server::Impl::authorized(const httplib::Request& req) const {
    if (options.api_key.empty()) return true;
    const std::string auth = req.get_header_value("Authorization");
    const std::string expected = "Bearer " + options.api_key;
    // Compare in constant time: the key must not leak through timing.
    if (auth.size() != expected.size()) return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < auth.size(); ++i) diff |= static_cast<unsigned char>(auth[i] ^ expected[i]);
    return diff == 0;
}

void Server::Impl::log_request(const httplib::Request& req, const httplib::Response& res) {
    if (!options.access_log) return;
    char line[1024];
    const std::string saved = res.get_header_value("X-Glyph-Tokens-Saved");
    std::snprintf(line, sizeof line, "%s %s %s %s %d %zuB %.1fms%s%s\n", utc_now().c_str(),
                  req.remote_addr.c_str(), req.method.c_str(), req.path.substr(0, 200).c_str(), res.status,
                  res.body.size(), ms_since(request_start), saved.empty() ? "" : " saved=", saved.c_str());
    std::lock_guard lock(log_mutex);
    std::fputs(line, options.access_log);
    std::fflush(options.access_log);
}

void Server::Impl::install_routes() {
    http.new_task_queue = [this] {
        pool = new ConnectionPool(connection_threads(), connection_threads() * 4);  // httplib owns it
        return pool.load();
    };
    // Bodies that announce their length are refused before they are read;
    // the connection layer caps the rest (chunked) as they arrive.
    http.set_payload_max_length(options.max_body_bytes);
    // Headers and body go out in separate writes: with Nagle's algorithm the
    // second waits for the client's delayed ACK (~40 ms per reply).
    http.set_tcp_nodelay(true);
    // The listening socket is kept so that stop() can end accept() without
    // httplib's stop(), which would also cut the streams still running.
    http.set_socket_options([this](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);  // inherited by accepted sockets
        int none = -1;
        listen_fd.compare_exchange_strong(none, int(sock));
    });

    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        request_start = Clock::now();
        GuardedHttpServer::headers_done();
        if (GuardedHttpServer::over_capacity() && req.path != "/healthz") {
            res.set_header("Retry-After", "1");
            res.set_header("Connection", "close");
            send_error(res, 503,
                       "too many open connections (at most " + std::to_string(options.max_connections) +
                           " in all" +
                           (options.max_connections_per_address > 0
                                ? ", " + std::to_string(options.max_connections_per_address) + " from one address"
                                : std::string()) +
                           "); close idle ones or retry shortly",
                       "server_busy");
            return httplib::Server::HandlerResponse::Handled;
        }
        const std::string encoding = req.get_header_value("Content-Encoding");
        if (!encoding.empty() && encoding != "identity") {
            // httplib would inflate such a body without a bound.
            send_error(res, 415, "compressed request bodies are not accepted (Content-Encoding: " +
                                     encoding.substr(0, 40) + "); send the body uncompressed");
            return httplib::Server::HandlerResponse::Handled;
        }
        const bool app_or_health = asset_paths.count(req.path) > 0 || req.path == "/" || req.path == "/healthz" ||
                                   req.path == "/health" || req.path == "/metrics";
        // Page images and zips are fetched by <img> and <a download>, which
        // cannot send a key; their URLs name a SHA-256 of the text, so only a
        // client that already has the text can ask for them.
        const bool segment = req.method == "GET" && req.path.rfind("/api/segments/", 0) == 0;
        const bool open = app_or_health || segment || req.path == "/api/info";
        if (open || authorized(req)) return httplib::Server::HandlerResponse::Unhandled;
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, "missing or wrong API key: send \"Authorization: Bearer <key>\"", "authentication_error");
        return httplib::Server::HandlerResponse::Handled;
    });
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
        const InputCut cut = GuardedHttpServer::input_cut();
        if (cut == InputCut::kHeadersTooLarge)
            send_error(res, 431, "request headers too large: at most " +
                                     std::to_string(http.limits().max_header_bytes) + " bytes and " +
                                     std::to_string(http.limits().max_header_lines) + " header lines");
        else if (cut == InputCut::kBodyTooLarge)
            send_error(res, 413, "request body too large: at most " + std::to_string(options.max_body_bytes) +
                                     " bytes (--max-body), whatever the transfer encoding");
        else if (cut == InputCut::kTooSlow)
            send_error(res, 408, "request not received in time: headers within " +
                                     std::to_string(int(options.header_timeout_s)) +
                                     " s, then the body at 32 KiB/s or faster");
        if (cut != InputCut::kNone) {
            res.set_header("Connection", "close");
            return;
        }
        if (!res.body.empty()) return;
        if (res.status == 413 && req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0)
            send_error(res, 413, "form-encoded bodies are limited to 8 KiB: send Content-Type: application/json");
        else if (res.status == 413)
            send_error(res, 413, "request body too large (see --max-body)");
        else if (res.status == 404)
            send_error(res, 404, "no such path: " + req.path.substr(0, 200));
        else
            send_error(res, res.status, "request failed with HTTP " + std::to_string(res.status));
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        send_error(res, 500, what, "server_error");
    });
    // A thread waiting on an idle keep-alive connection serves no one else:
    // when no thread is free, or when draining, replies end their connection
    // so that waiting clients get the thread at once, not after the
    // keep-alive timeout.
    http.set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
        const ConnectionPool* p = pool.load();
        if (draining.load() || (p && p->saturated())) {
            res.set_header("Connection", "close");
            GuardedHttpServer::close_after_reply();
        }
    });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
        metrics.count_request(req.path, res.status);
        log_request(req, res);
    });

    http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
        const bool ok = !draining.load();
        res.status = ok ? 200 : 503;
        res.set_content(json{{"status", ok ? "ok" : "draining"},
                             {"workers", gate.slots()},
                             {"busy", gate.busy()},
                             {"waiting", gate.waiting()}}
                            .dump(),
                        "application/json");
    });
    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) { handle_health(res); });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { handle_metrics(res); });
    for (const WebAsset& asset : web_assets()) {
        const std::string path(asset.path);
        asset_paths.insert(path);
        auto serve = [asset](const httplib::Request&, httplib::Response& res) {
            res.set_header("Cache-Control", "no-cache");
            res.set_content(std::string(asset.data), content_type_for(asset.path));
        };
        http.Get(path, serve);
        if (path == "/index.html") http.Get("/", serve);
    }
    http.Get("/api/info", [this](const httplib::Request&, httplib::Response& res) { handle_info(res); });
    http.Post("/api/render", [this](const httplib::Request& req, httplib::Response& res) { handle_render(req, res); });
    http.Get(R"(/api/segments/([0-9a-f]{64})/page_(\d{1,5})\.png)",
             [this](const httplib::Request& req, httplib::Response& res) { handle_page(req, res); });
    http.Get(R"(/api/segments/([0-9a-f]{64})\.zip)",
             [this](const httplib::Request& req, httplib::Response& res) { handle_zip(req, res); });
    http.Post("/api/ask", [this](const httplib::Request& req, httplib::Response& res) { handle_ask(req, res); });
    http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
        handle_compressed(req, res, Api::kChat);
    });
    http.Post("/v1/responses", [this](const httplib::Request& req, httplib::Response& res) {
        handle_compressed(req, res, Api::kResponses);
    });
    // Everything else is the upstream's: relayed as it is (registered last,
    // so every route above is matched first).
    const auto relay = [this](const httplib::Request& req, httplib::Response& res) { handle_passthrough(req, res); };
    const char* any = ".*";
    http.Get(any, relay);
    http.Post(any, relay);
    http.Put(any, relay);
    http.Patch(any, relay);
    http.Delete(any, relay);
    http.Options(any, relay);
}

void Server::Impl::handle_info(httplib::Response& res) {
    json profiles = json::array();
    for (const auto& p : vision_profiles()) profiles.push_back({{"name", p.name}, {"family", p.family}});
    res.set_content(json{{"presets", preset_names()},
                         {"profiles", profiles},
                         {"default_profile", default_profile_name()},
                         {"max_text_bytes", options.max_text_bytes},
                         {"vlm_endpoint", !options.upstream.empty()},
                         {"text_endpoint", !options.text_endpoint.empty()},
                         {"auth_required", !options.api_key.empty()},
                         // Shown by the web app when asking is not possible yet.
                         {"start_commands",
                          {"# Glyph on vLLM (or any OpenAI-compatible VLM server):",
                           "vllm serve zai-org/Glyph --port 8000", "",
                           "glyph serve --upstream http://127.0.0.1:8000/v1"}}}
                        .dump(),
                    "application/json");
}

std::optional<SegmentRenderer::Result> Server::Impl::render_for_app(std::string_view text, const RenderConfig& config,
                                                                    httplib::Response& res) {
    try {
        RenderBudget budget = request_budget();
        return renderer.render(text, config, budget);
    } catch (const BudgetExceeded& e) {
        send_error(res, 413, e.what());
    } catch (const Cancelled&) {
        send_error(res, 499, "the client closed the connection; rendering stopped");
    } catch (const Error& e) {
        if (!is_usage_error(e.kind())) throw;
        send_error(res, 400, e.what());
    }
    return std::nullopt;
}

void Server::Impl::handle_render(const httplib::Request& req, httplib::Response& res) {
    json body;
    try {
        body = parse_body(req);
    } catch (const ServeError& e) {
        return send_error(res, 400, std::string("request body: ") + e.what());
    }
    if (body.is_discarded() || !body.is_object() || !body.contains("text") || !body["text"].is_string())
        return send_error(res, 400, "expected a JSON object with a string \"text\"");
    const std::string& text = body["text"].get_ref<const std::string&>();
    if (text.size() > options.max_text_bytes)
        return send_error(res, 413, "text is " + std::to_string(text.size()) + " bytes; the limit is " +
                                        std::to_string(options.max_text_bytes));
    if (text.empty()) return send_error(res, 400, "text is empty");
    AppSettings settings;
    try {
        settings = parse_app_settings(body, text);
    } catch (const ServeError& e) {
        return send_error(res, 400, e.what());
    }
    auto ticket = acquire();
    if (!ticket) return send_busy(res);

    const auto start = Clock::now();
    const std::optional<SegmentRenderer::Result> rendering = render_for_app(text, settings.config, res);
    if (!rendering) return;
    const SegmentRenderer::Result& rendered = *rendering;
    const double request_ms = ms_since(start);
    const long long text_tokens = count_tokens(text);
    const VisionCount vision = count_vision(rendered.segment->extents(), *settings.profile);
    json pages = json::array();
    int number = 0;
    for (const auto& p : rendered.segment->pages) {
        const int64_t v = vision.pages[size_t(number)].total();
        ++number;
        pages.push_back({{"number", number},
                         {"width", p.width},
                         {"height", p.height},
                         {"bytes", p.png.size()},
                         {"vision_tokens", v},
                         {"url", "/api/segments/" + rendered.key + "/page_" + std::to_string(number) + ".png"}});
    }
    json stats = {{"characters", count_code_points(text)},
                  {"bytes", text.size()},
                  {"text_tokens", text_tokens},
                  {"vision_tokens", vision.tokens},
                  {"ratio", compression_ratio(text_tokens, vision.tokens)},
                  {"pages", number},
                  {"render_ms", rendered.cached ? request_ms : rendered.segment->render_ms},
                  {"cached", rendered.cached},
                  {"profile", settings.profile->name},
                  {"preset", settings.preset},
                  {"missing_glyphs", rendered.segment->missing.count}};
    const std::string warning = missing_glyph_warning(rendered.segment->missing);
    if (!warning.empty()) stats["warning"] = warning;
    res.set_content(json{{"key", rendered.key},
                         {"pages", pages},
                         {"stats", stats},
                         {"config", to_json(settings.config)},
                         {"zip", "/api/segments/" + rendered.key + ".zip"}}
                        .dump(),
                    "application/json");
}

void Server::Impl::handle_page(const httplib::Request& req, httplib::Response& res) {
    const auto segment = cache.find(req.matches[1]);
    const long n = std::stol(req.matches[2]);
    if (!segment || n < 1 || size_t(n) > segment->pages.size())
        return send_error(res, 404, "page not in the cache any more: render the text again");
    res.set_header("Cache-Control", "private, max-age=3600, immutable");
    res.set_content(segment->pages[size_t(n) - 1].png, "image/png");
}

void Server::Impl::handle_zip(const httplib::Request& req, httplib::Response& res) {
    const std::string key = req.matches[1];
    const auto segment = cache.find(key);
    if (!segment) return send_error(res, 404, "pages not in the cache any more: render the text again");
    json manifest = {{"segment", key}, {"pages", json::array()}};
    for (size_t i = 0; i < segment->pages.size(); ++i)
        manifest["pages"].push_back({{"file", "page_" + std::string(i < 9 ? "00" : i < 99 ? "0" : "") +
                                                  std::to_string(i + 1) + ".png"},
                                     {"width", segment->pages[i].width},
                                     {"height", segment->pages[i].height}});
    res.set_header("Content-Disposition", "attachment; filename=\"glyph-pages-" + key.substr(0, 12) + ".zip\"");
    res.set_content(zip_pages(*segment, manifest), "application/zip");
}

std::string Server::Impl::resolve_model(const std::string& endpoint, const std::string& key,
                                        const std::string& configured) {
    if (!configured.empty()) return configured;
    {
        std::lock_guard lock(model_mutex);
        if (endpoint == options.upstream && !upstream_model.empty()) return upstream_model;
    }
    UpstreamCall call(target(endpoint, key, "/models"), "");
    std::string body;
    if (call.wait_headers(abort_streams)) (void)call.read_all(body, 1u << 20, abort_streams);
    const auto j = json::parse(body, nullptr, false);
    std::string model;
    if (!j.is_discarded() && j.is_object() && j.contains("data") && j["data"].is_array() && !j["data"].empty() &&
        j["data"][0].is_object() && j["data"][0].contains("id") && j["data"][0]["id"].is_string())
        model = j["data"][0]["id"].get<std::string>();
    if (model.empty()) return "default";  // servers serving one model accept any name
    if (endpoint == options.upstream) {
        std::lock_guard lock(model_mutex);
        upstream_model = model;
    }
    return model;
}

void Server::Impl::handle_ask(const httplib::Request& req, httplib::Response& res) {
    json body;
    try {
        body = parse_body(req);
    } catch (const ServeError& e) {
        return send_error(res, 400, std::string("request body: ") + e.what());
    }
    if (body.is_discarded() || !body.is_object() || !body.contains("text") || !body["text"].is_string() ||
        !body.contains("question") || !body["question"].is_string())
        return send_error(res, 400, "expected a JSON object with string \"text\" and \"question\"");
    const std::string text = body["text"].get<std::string>();
    const std::string question = body["question"].get<std::string>();
    const auto target_field = body.find("target");
    const std::string mode = target_field == body.end() ? "vision" : target_field->is_string() ? target_field->get<std::string>() : "";
    if (mode != "vision" && mode != "text") return send_error(res, 400, "target must be \"vision\" or \"text\"");
    if (question.find_first_not_of(" \t\r\n") == std::string::npos) return send_error(res, 400, "question is empty");
    if (text.size() > options.max_text_bytes)
        return send_error(res, 413, "text is " + std::to_string(text.size()) + " bytes; the limit is " +
                                        std::to_string(options.max_text_bytes));
    const bool vision = mode == "vision";
    const std::string& endpoint = vision ? options.upstream : options.text_endpoint;
    if (endpoint.empty())
        return send_error(res, 503,
                          vision ? "no VLM endpoint configured: start glyph serve with --upstream URL"
                                 : "no text endpoint configured: start glyph serve with --text-endpoint URL",
                          "no_endpoint");
    AppSettings settings;
    try {
        settings = parse_app_settings(body, text);
    } catch (const ServeError& e) {
        return send_error(res, 400, e.what());
    }
    auto ticket = acquire();
    if (!ticket) return send_busy(res);

    vlm::ChatRequest chat;
    if (vision) {
        const std::optional<SegmentRenderer::Result> rendered = render_for_app(text, settings.config, res);
        if (!rendered) return;
        std::vector<std::string> page_urls;
        for (const auto& p : rendered->segment->pages)
            page_urls.push_back(vlm::data_url(std::vector<uint8_t>(p.png.begin(), p.png.end()), "image/png"));
        chat.messages.push_back(vlm::pages_message(std::move(page_urls), question));
        chat.sampling = vlm::default_sampling(settings.profile->name);
    } else {
        chat.messages.push_back(vlm::text_message(text, question));
        chat.sampling = vlm::default_sampling("");
    }
    chat.stream = true;
    const std::string key = vision ? options.upstream_api_key : options.text_api_key;
    chat.model = resolve_model(endpoint, key, vision ? options.model : options.text_model);

    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, ticket, chat = std::move(chat), endpoint, key](size_t, httplib::DataSink& sink) {
            auto cancel = std::make_shared<std::atomic<bool>>(false);
            auto send = [&](const json& event) {
                const std::string line = "data: " + event.dump() + "\n\n";
                if (!sink.write(line.data(), line.size())) cancel->store(true);
            };
            vlm::ClientOptions copt;
            copt.endpoint = endpoint;
            copt.api_key = key;
            copt.connect_timeout_s = options.upstream_connect_timeout_s;
            copt.read_timeout_s = options.upstream_idle_timeout_s;
            copt.retry.max_retries = 1;
            copt.max_concurrent = 1;
            copt.cancel = cancel.get();
            // The shutdown grace period ending, or the client leaving before the
            // first token, cancels the call too.
            const int client = GuardedHttpServer::current_socket();
            std::atomic<bool> watching{true};
            std::thread watcher([&] {
                while (watching.load() && !cancel->load()) {
                    if (abort_streams.load() || GuardedHttpServer::peer_closed(client)) cancel->store(true);
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                }
            });
            try {
                vlm::Client client(copt);
                vlm::StreamHandler handler;
                handler.on_content = [&](std::string_view delta) { send({{"delta", delta}}); };
                handler.on_reasoning = [&](std::string_view delta) { send({{"reasoning", delta}}); };
                const vlm::ChatResponse reply = client.chat(chat, handler);
                send({{"done", true},
                      {"model", reply.model},
                      {"finish_reason", reply.finish_reason},
                      {"first_token_ms", reply.first_token_ms},
                      {"total_ms", reply.total_ms},
                      {"prompt_tokens", reply.usage.prompt_tokens},
                      {"completion_tokens", reply.usage.completion_tokens}});
            } catch (const vlm::VlmError& e) {
                send({{"error", e.what()}, {"kind", vlm::error_kind_name(e.kind)}});
            } catch (const std::exception& e) {
                send({{"error", e.what()}, {"kind", "error"}});
            }
            watching.store(false);
            watcher.join();
            sink.done();
            return !cancel->load();
        });
}

Server::Server(ServeOptions options, TextTokenCounter count_text_tokens) {
    validate(options);
    impl_ = std::make_unique<Impl>(std::move(options), std::move(count_text_tokens));
    impl_->install_routes();
}

Server::~Server() {
    stop();
    {
        std::lock_guard lock(impl_->stop_mutex);
        impl_->finished = true;
    }
    impl_->stop_cv.notify_all();
    if (impl_->grace_timer.joinable()) impl_->grace_timer.join();
}

void Server::bind() {
    auto& o = impl_->options;
    if (o.port == 0) {
        impl_->bound_port = impl_->http.bind_to_any_port(o.host);
    } else {
        impl_->bound_port = impl_->http.bind_to_port(o.host, o.port) ? o.port : -1;
    }
    if (impl_->bound_port <= 0)
        throw ServeError("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                         " (address in use, or not an address of this machine)");
    // httplib listens with a backlog of 5: a burst of connections beyond it
    // is dropped by the kernel and the clients see resets. listen() again
    // raises the backlog (capped by net.core.somaxconn).
    const int fd = impl_->listen_fd.load();
    if (fd >= 0) ::listen(fd, SOMAXCONN);
}

int Server::port() const { return impl_->bound_port; }

void Server::run() {
    if (impl_->bound_port <= 0) bind();
    if (!impl_->draining.load()) impl_->http.listen_after_bind();
    {
        std::lock_guard lock(impl_->stop_mutex);
        impl_->finished = true;
    }
    impl_->stop_cv.notify_all();
}

void Server::stop() {
    if (impl_->draining.exchange(true)) return;
    // accept() fails, the accept loop ends, and the connection pool then runs
    // what it holds to the end before listen returns.
    const int fd = impl_->listen_fd.exchange(-1);
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    // In-flight streams may finish within the grace period; then they are cut.
    impl_->grace_timer = std::thread([impl = impl_.get()] {
        std::unique_lock lock(impl->stop_mutex);
        if (!impl->stop_cv.wait_for(lock, std::chrono::duration<double>(impl->options.shutdown_grace_s),
                                    [&] { return impl->finished; }))
            impl->abort_streams.store(true);
    });
}

}  // namespace glyph::serve
