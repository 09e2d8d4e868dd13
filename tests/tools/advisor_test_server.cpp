// advisor_test_server: a TEST INSTRUMENT, not an LLM. It speaks the OpenAI
// chat protocol on 127.0.0.1 and answers each chat request with the next
// entry of a script (a JSON list), so the search's advisor can be tested
// against good advice and against every way advice goes wrong. Entries:
//   "text"                        the assistant's reply is this text
//   {"reply": "text" | VALUE}     the same; a non-string VALUE is sent as its JSON
//   {"status": 500, "message": M} an HTTP error with OpenAI's error body
//   {"stall_s": S, "reply": ...}  silence for S seconds, then the reply (if any)
//   {"body": "raw", "content_type": "text/html"}  a raw HTTP body (not a chat reply)
// After the last entry it answers HTTP 410, or starts over with --cycle.
// --log-requests FILE appends each request body as one JSON line.
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace {

using nlohmann::json;

json error_body(const std::string& message, const std::string& type) {
    return {{"error", {{"message", message}, {"type", type}}}};
}

std::string reply_text(const json& entry) {
    if (entry.is_string()) return entry.get<std::string>();
    const json& r = entry.at("reply");
    return r.is_string() ? r.get<std::string>() : r.dump();
}

json completion(const std::string& model, const std::string& content) {
    return {{"id", "chatcmpl-advisor-test"},
            {"object", "chat.completion"},
            {"created", std::time(nullptr)},
            {"model", model},
            {"choices", {{{"index", 0},
                          {"message", {{"role", "assistant"}, {"content", content}}},
                          {"finish_reason", "stop"}}}},
            {"usage", {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}}}};
}

// The shape a script entry must have, checked at start so a typo fails the
// test that wrote it rather than a request.
void check_entry(const json& e, size_t i) {
    const std::string where = "script entry " + std::to_string(i + 1);
    if (e.is_string()) return;
    if (!e.is_object()) throw std::runtime_error(where + " is neither a string nor an object");
    const bool ok = e.contains("reply") || (e.contains("status") && e["status"].is_number_integer()) ||
                    (e.contains("stall_s") && e["stall_s"].is_number()) || (e.contains("body") && e["body"].is_string());
    if (!ok) throw std::runtime_error(where + " has none of reply, status, stall_s, body");
}

class Script {
public:
    Script(json entries, bool cycle) : entries_(std::move(entries)), cycle_(cycle) {}
    // The entry for the next request, or null when the script is spent.
    json next() {
        std::lock_guard lock(mutex_);
        if (served_ >= entries_.size() && !cycle_) return nullptr;
        return entries_[served_++ % entries_.size()];
    }
    size_t size() const { return entries_.size(); }

private:
    json entries_;
    bool cycle_;
    std::mutex mutex_;
    size_t served_ = 0;
};

class RequestLog {
public:
    explicit RequestLog(const std::string& path) : path_(path) {}
    void append(const std::string& body) {
        if (path_.empty()) return;
        const json j = json::parse(body, nullptr, false);
        std::lock_guard lock(mutex_);
        std::ofstream out(path_, std::ios::app);
        out << (j.is_discarded() ? json(body).dump() : j.dump()) << "\n";
    }

private:
    std::string path_;
    std::mutex mutex_;
};

void handle_chat(const httplib::Request& req, httplib::Response& res, Script& script, RequestLog& log) {
    log.append(req.body);
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("model") || !body["model"].is_string() ||
        !body.contains("messages") || !body["messages"].is_array() || body["messages"].empty()) {
        res.status = 400;
        res.set_content(error_body("the body must be a JSON object with 'model' and 'messages'", "invalid_request_error")
                            .dump(),
                        "application/json");
        return;
    }
    const json entry = script.next();
    if (entry.is_null()) {
        res.status = 410;
        res.set_content(error_body("the advice script's " + std::to_string(script.size()) + " replies are spent",
                                   "invalid_request_error")
                            .dump(),
                        "application/json");
        return;
    }
    if (entry.is_object() && entry.contains("stall_s")) {
        std::this_thread::sleep_for(std::chrono::duration<double>(entry["stall_s"].get<double>()));
        if (!entry.contains("reply")) {
            res.set_content(completion(body["model"], R"({"proposals": []})").dump(), "application/json");
            return;
        }
    }
    if (entry.is_object() && entry.contains("status")) {
        res.status = entry["status"];
        res.set_content(error_body(entry.value("message", "scripted HTTP " + entry["status"].dump()), "server_error")
                            .dump(),
                        "application/json");
        return;
    }
    if (entry.is_object() && entry.contains("body")) {
        res.set_content(entry["body"].get<std::string>(), entry.value("content_type", "text/html"));
        return;
    }
    res.set_content(completion(body["model"], reply_text(entry)).dump(), "application/json");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"advisor_test_server: a test instrument speaking the OpenAI chat protocol; it answers each "
                 "request with the next reply of a script. Not an LLM."};
    std::string host = "127.0.0.1", script_path, log_path;
    int port = 0;
    bool cycle = false;
    app.add_option("--script", script_path, "JSON list of scripted replies")->required();
    app.add_option("--host", host, "address to listen on")->capture_default_str();
    app.add_option("--port", port, "port; 0 picks a free one (printed on stdout)")->capture_default_str();
    app.add_option("--log-requests", log_path, "append each request body as a JSON line to this file");
    app.add_flag("--cycle", cycle, "start the script over after its last reply (instead of HTTP 410)");
    CLI11_PARSE(app, argc, argv);

    json entries;
    try {
        std::ifstream in(script_path);
        if (!in) throw std::runtime_error("cannot open " + script_path);
        std::stringstream text;
        text << in.rdbuf();
        entries = json::parse(text.str());
        if (!entries.is_array() || entries.empty()) throw std::runtime_error("the script must be a non-empty JSON list");
        for (size_t i = 0; i < entries.size(); ++i) check_entry(entries[i], i);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "advisor_test_server: %s\n", e.what());
        return 2;
    }
    Script script(std::move(entries), cycle);
    RequestLog log(log_path);

    httplib::Server server;
    server.Post("/v1/chat/completions",
                [&](const httplib::Request& req, httplib::Response& res) { handle_chat(req, res, script, log); });
    server.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(json({{"object", "list"},
                              {"data", {{{"id", "advisor-test-server"}, {"object", "model"}, {"owned_by", "glyph-tests"}}}}})
                            .dump(),
                        "application/json");
    });
    const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
    if (bound <= 0) {
        std::fprintf(stderr, "advisor_test_server: cannot listen on %s:%d\n", host.c_str(), port);
        return 1;
    }
    std::printf("advisor_test_server listening on http://%s:%d/v1\n", host.c_str(), bound);
    std::fflush(stdout);
    return server.listen_after_bind() ? 0 : 1;
}
