#include "serve/passthrough.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "serve/guarded_http.h"
#include "serve/sse_relay.h"

namespace glyph::serve {

namespace {

bool equals_ci(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && equals_ci(s.substr(0, prefix.size()), prefix);
}

// The comma-separated names in a Connection header also stop at this hop.
bool named_in(std::string_view connection, std::string_view name) {
    size_t start = 0;
    while (start <= connection.size()) {
        size_t end = connection.find(',', start);
        if (end == std::string_view::npos) end = connection.size();
        std::string_view token = connection.substr(start, end - start);
        while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.remove_prefix(1);
        while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.remove_suffix(1);
        if (equals_ci(token, name)) return true;
        start = end + 1;
    }
    return false;
}

std::string error_event(const std::string& message) {
    return "data: " +
           nlohmann::json{{"error", {{"message", message}, {"type", "upstream_error"}}}}.dump() + "\n\n";
}

}  // namespace

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& type) {
    res.status = status;
    res.set_content(nlohmann::json{{"error", {{"message", message}, {"type", type}, {"code", status}}}}.dump(),
                    "application/json");
}

bool is_hop_by_hop(std::string_view name) {
    for (const char* h : {"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
                          "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
                          "content-encoding", "expect"})
        if (equals_ci(name, h)) return true;
    return false;
}

HeaderList forwarded_request_headers(const httplib::Request& req, bool keep_authorization) {
    const std::string connection = req.get_header_value("Connection");
    HeaderList out;
    for (const auto& [name, value] : req.headers) {
        if (is_hop_by_hop(name) || named_in(connection, name) || equals_ci(name, "accept-encoding")) continue;
        // cpp-httplib files the peer's and its own address among the headers.
        if (starts_with_ci(name, "REMOTE_") || starts_with_ci(name, "LOCAL_")) continue;
        if (!keep_authorization && equals_ci(name, "authorization")) continue;
        out.emplace_back(name, value);
    }
    return out;
}

void relay_reply(std::shared_ptr<UpstreamCall> call, httplib::Response& res, RelayOptions options,
                 std::shared_ptr<void> hold) {
    static const std::atomic<bool> never{false};
    const std::atomic<bool>& abort = options.abort ? *options.abort : never;

    std::string connection;
    bool has_length = false;
    for (const auto& [name, value] : call->headers())
        if (equals_ci(name, "connection")) connection = value;
    std::vector<std::string> copied;
    for (const auto& [name, value] : call->headers()) {
        if (equals_ci(name, "content-length")) has_length = true;
        if (is_hop_by_hop(name) || named_in(connection, name) || equals_ci(name, "content-type")) continue;
        if (res.has_header(name.c_str()) && starts_with_ci(name, "x-glyph-")) continue;  // ours
        res.set_header(name.c_str(), value);
        copied.push_back(name);
    }
    const std::string type = call->content_type().empty() ? "application/json" : call->content_type();
    const bool event_stream = starts_with_ci(type, "text/event-stream");
    const bool compressed = !options.glyph_usage.is_null();

    // A compressed route's JSON reply is read whole to add usage.glyph, with or without a length.
    if (!event_stream && (has_length || compressed)) {
        std::string body;
        if (!call->read_all(body, options.max_reply_bytes, abort, GuardedHttpServer::client_gone)) {
            for (const auto& name : copied) res.headers.erase(name);  // the proxy's own stay
            return send_error(res, 502, "upstream: " + call->error(), "upstream_error");
        }
        res.status = int(call->status());
        res.set_content(compressed && call->status() == 200 ? add_glyph_usage(body, options.glyph_usage) : body, type);
        return;
    }
    res.status = int(call->status());
    if (event_stream) {
        res.set_header("Cache-Control", "no-cache");
        res.set_header("X-Accel-Buffering", "no");
    }
    const size_t max_event = options.max_reply_bytes;
    auto relay = std::make_shared<SseRelay>(event_stream ? options.glyph_usage : nlohmann::json(), max_event,
                                            options.final_usage_chunk);
    res.set_chunked_content_provider(
        type, [call, relay, hold, event_stream, max_event, &abort](size_t, httplib::DataSink& sink) {
            std::string chunk;
            if (call->read(chunk, abort, GuardedHttpServer::client_gone)) {
                if (!event_stream) return sink.write(chunk.data(), chunk.size());
                const std::string out = relay->feed(chunk);
                if (!relay->overflowed()) return out.empty() || sink.write(out.data(), out.size());
                if (!out.empty() && !sink.write(out.data(), out.size())) return false;
            }
            // A byte stream that broke ends without its last chunk: the client sees it cut.
            if (!event_stream) {
                if (call->failed()) return false;
                sink.done();
                return true;
            }
            // The status line is gone; OpenAI clients raise an in-band error event.
            std::string rest;
            if (relay->overflowed())
                rest = error_event("upstream sent an event larger than " + std::to_string(max_event) +
                                   " bytes, the most the proxy relays (--max-upstream-reply)");
            else
                rest = relay->finish();
            if (call->failed() && !relay->overflowed()) rest += error_event("upstream stream broke: " + call->error());
            if (!rest.empty() && !sink.write(rest.data(), rest.size())) return false;
            sink.done();
            return true;
        });
}

}  // namespace glyph::serve
