// The VLM client: SSE parsing, retry policy, the request's JSON shape, and
// real HTTP exchanges with a loopback cpp-httplib server (success, streaming,
// retries, every failure mode).
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "glyph/encode.h"
#include "glyph/vlm.h"
#include "loopback.h"

namespace {

using namespace glyph::vlm;
using nlohmann::json;

// ---- SSE parser --------------------------------------------------------------

std::vector<SseEvent> parse_in_pieces(std::string_view body, size_t piece) {
    std::vector<SseEvent> events;
    SseParser parser([&](const SseEvent& e) { events.push_back(e); });
    for (size_t i = 0; i < body.size(); i += piece) parser.feed(body.substr(i, piece));
    parser.finish();
    return events;
}

TEST(SseParser, SameEventsWhateverTheChunking) {
    const std::string body =
        ": keep-alive comment\r\n"
        "data: {\"a\":1}\r\n\r\n"
        "event: update\n"
        "id: 7\n"
        "data: line one\n"
        "data:line two\n\n"
        "data: cr only\r\r"
        "data: [DONE]\n\n";
    for (size_t piece : {size_t(1), size_t(2), size_t(3), size_t(7), body.size()}) {
        auto events = parse_in_pieces(body, piece);
        ASSERT_EQ(events.size(), 4u) << "piece " << piece;
        EXPECT_EQ(events[0].data, "{\"a\":1}");
        EXPECT_EQ(events[0].event, "");
        EXPECT_EQ(events[1].event, "update");
        EXPECT_EQ(events[1].id, "7");
        EXPECT_EQ(events[1].data, "line one\nline two");
        EXPECT_EQ(events[2].data, "cr only");
        EXPECT_EQ(events[3].data, "[DONE]");
    }
}

TEST(SseParser, UnterminatedEventIsDroppedAndReported) {
    std::vector<SseEvent> events;
    SseParser parser([&](const SseEvent& e) { events.push_back(e); });
    parser.feed("data: complete\n\ndata: half");
    EXPECT_TRUE(parser.finish());
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].data, "complete");

    SseParser clean([&](const SseEvent& e) { events.push_back(e); });
    clean.feed("data: x\n\n");
    EXPECT_FALSE(clean.finish());
}

TEST(SseParser, EventsWithoutDataAreNotDispatched) {
    auto events = parse_in_pieces("event: ping\n\nid: 3\n\ndata:\n\n", 4);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].data, "");
}

TEST(SseParser, ALineWithoutEndStopsAtTheCap) {
    std::vector<SseEvent> events;
    SseParser parser([&](const SseEvent& e) { events.push_back(e); }, 1000);
    parser.feed("data: fine\n\n");
    const std::string block(300, 'x');
    for (int i = 0; i < 10 && !parser.overflowed(); ++i) parser.feed(block);  // no newline, ever
    EXPECT_TRUE(parser.overflowed());
    parser.feed("\n\ndata: later\n\n");  // nothing after the overflow is taken
    ASSERT_EQ(events.size(), 1u);

    SseParser many_lines([&](const SseEvent& e) { events.push_back(e); }, 1000);
    for (int i = 0; i < 100; ++i) many_lines.feed("data: " + std::string(50, 'y') + "\n");
    EXPECT_TRUE(many_lines.overflowed());
}

// ---- retry policy --------------------------------------------------------------

TEST(RetryPolicy, RetryableStatuses) {
    for (int s : {429, 500, 502, 503, 504, 599}) EXPECT_TRUE(is_retryable_status(s)) << s;
    for (int s : {200, 400, 401, 403, 404, 413, 422, 501, 505}) EXPECT_FALSE(is_retryable_status(s)) << s;
}

TEST(RetryPolicy, RetryAfterSecondsAndDates) {
    EXPECT_EQ(parse_retry_after("3", 0), 3.0);
    EXPECT_EQ(parse_retry_after(" 120 ", 0), 120.0);
    EXPECT_FALSE(parse_retry_after("", 0));
    EXPECT_FALSE(parse_retry_after("soon", 0));
    EXPECT_FALSE(parse_retry_after("-5", 0));
    // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 in Unix time.
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30), 30.0);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30), 0.0);
}

TEST(RetryPolicy, ExponentialBackoffWithCapAndJitter) {
    RetryPolicy p;
    p.base_delay_s = 0.5;
    p.max_delay_s = 3;
    EXPECT_DOUBLE_EQ(backoff_delay(p, 0, 0.999999), 0.5 * (0.5 + 0.5 * 0.999999));
    EXPECT_DOUBLE_EQ(backoff_delay(p, 0, 0.0), 0.25);
    EXPECT_DOUBLE_EQ(backoff_delay(p, 1, 0.0), 0.5);
    EXPECT_DOUBLE_EQ(backoff_delay(p, 2, 0.0), 1.0);
    EXPECT_DOUBLE_EQ(backoff_delay(p, 3, 0.0), 1.5);  // 4 s capped to 3, halved by the jitter floor
    EXPECT_DOUBLE_EQ(backoff_delay(p, 50, 0.0), 1.5);
    for (double j : {0.0, 0.3, 0.7, 0.99}) {
        const double d = backoff_delay(p, 1, j);
        EXPECT_GE(d, 0.5);
        EXPECT_LE(d, 1.0);
    }
}

TEST(RetryPolicy, GivesUpAfterMaxRetriesAndHonoursRetryAfter) {
    RetryPolicy p;
    p.max_retries = 2;
    p.max_retry_after_s = 60;
    EXPECT_TRUE(next_retry_delay(p, 0, std::nullopt, 0.5));
    EXPECT_TRUE(next_retry_delay(p, 1, std::nullopt, 0.5));
    EXPECT_FALSE(next_retry_delay(p, 2, std::nullopt, 0.5));
    EXPECT_EQ(next_retry_delay(p, 0, 7.0, 0.5), 7.0);  // the server's wish, not the backoff
    EXPECT_FALSE(next_retry_delay(p, 0, 61.0, 0.5));
    EXPECT_FALSE(next_retry_delay(p, 2, 1.0, 0.5));
}

// ---- URL and request shape ------------------------------------------------------

TEST(Request, ChatCompletionsUrl) {
    EXPECT_EQ(chat_completions_url("http://127.0.0.1:8000/v1"), "http://127.0.0.1:8000/v1/chat/completions");
    EXPECT_EQ(chat_completions_url("http://127.0.0.1:8000/v1/"), "http://127.0.0.1:8000/v1/chat/completions");
    EXPECT_EQ(chat_completions_url("http://127.0.0.1:8000"), "http://127.0.0.1:8000/v1/chat/completions");
    EXPECT_EQ(chat_completions_url("https://api.example.com/v1/chat/completions"),
              "https://api.example.com/v1/chat/completions");
    EXPECT_EQ(chat_completions_url("http://h/openai/v1"), "http://h/openai/v1/chat/completions");
    // One normalizer for the client and the proxy's upstream: a route at the end is cut back to the root.
    EXPECT_EQ(api_base_url("HTTP://h:8000/v1/models/"), "HTTP://h:8000/v1");
    EXPECT_EQ(api_base_url("http://h:8000/v1/chat/completions"), "http://h:8000/v1");
    EXPECT_EQ(api_base_url("http://h:8000"), "http://h:8000/v1");
    for (const char* bad : {"", "127.0.0.1:8000", "ftp://h/v1", "http://"}) {
        try {
            chat_completions_url(bad);
            ADD_FAILURE() << bad;
        } catch (const VlmError& e) {
            EXPECT_EQ(e.kind, ErrorKind::InvalidRequest);
        }
    }
}

// The documented shape (docs/ask.md): one user message, image parts first as
// base64 data URLs, the question last as a text part.
void expect_openai_vision_shape(const json& body, size_t images) {
    ASSERT_TRUE(body.is_object());
    ASSERT_TRUE(body["model"].is_string());
    ASSERT_TRUE(body["messages"].is_array());
    ASSERT_EQ(body["messages"].size(), 1u);
    const json& m = body["messages"][0];
    ASSERT_EQ(m.size(), 2u) << m.dump();
    EXPECT_EQ(m["role"], "user");
    ASSERT_TRUE(m["content"].is_array());
    ASSERT_EQ(m["content"].size(), images + 1);
    // A data URL: media type, ";base64,", then only the base64 alphabet with
    // at most two '=' of padding at the end.
    auto is_data_url = [](const std::string& url) {
        static const std::regex head("^data:image/(png|jpeg|webp);base64,");
        std::smatch m;
        if (!std::regex_search(url, m, head)) return false;
        const std::string payload = url.substr(size_t(m.length(0)));
        const size_t pad = payload.find('=');
        const std::string body = payload.substr(0, pad);
        return !body.empty() && body.find_first_not_of(
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") == std::string::npos &&
               (pad == std::string::npos || payload.substr(pad) == "=" || payload.substr(pad) == "==");
    };
    for (size_t i = 0; i < images; ++i) {
        const json& part = m["content"][i];
        ASSERT_EQ(part.size(), 2u) << part.dump().substr(0, 200);
        EXPECT_EQ(part["type"], "image_url");
        ASSERT_TRUE(part["image_url"].is_object());
        ASSERT_EQ(part["image_url"].size(), 1u);
        const std::string url = part["image_url"]["url"];
        EXPECT_TRUE(is_data_url(url)) << url.substr(0, 80);
    }
    const json& last = m["content"][images];
    ASSERT_EQ(last.size(), 2u);
    EXPECT_EQ(last["type"], "text");
    EXPECT_TRUE(last["text"].is_string());
}

glyph::Image test_page() {
    glyph::Image img(40, 30, 1, 255);
    for (int x = 5; x < 35; ++x) img.row(15)[x] = 0;
    return img;
}

ChatRequest glyph_request(bool stream) {
    ChatRequest r;
    r.model = "zai-org/Glyph";
    r.sampling = default_sampling("glm-4.1v");
    r.stream = stream;
    Message m{"user", {}};
    for (int i = 0; i < 2; ++i)
        m.content.push_back(ContentPart::image_url(data_url(glyph::encode_png(test_page()), "image/png")));
    m.content.push_back(ContentPart::text("What is the special magic number for amber-falcon?"));
    r.messages.push_back(m);
    return r;
}

TEST(Request, GlyphDefaultsAndShape) {
    const json body = json::parse(request_body(glyph_request(true)));
    expect_openai_vision_shape(body, 2);
    EXPECT_EQ(body["stop_token_ids"], json({151329, 151348, 151336}));
    EXPECT_EQ(body["max_tokens"], 8192);
    EXPECT_EQ(body["temperature"], 0.0001);
    EXPECT_EQ(body["top_p"], 1.0);
    EXPECT_EQ(body["top_k"], 1);
    EXPECT_EQ(body["repetition_penalty"], 1.1);
    EXPECT_EQ(body["skip_special_tokens"], false);
    EXPECT_EQ(body["stream"], true);
    EXPECT_EQ(body["stream_options"], json({{"include_usage", true}}));

    const json plain = json::parse(request_body(ChatRequest{"m", {{"user", {ContentPart::text("hi")}}}, {}, "", false}));
    EXPECT_EQ(plain["messages"][0]["content"], "hi");  // lone text stays a string
    EXPECT_FALSE(plain.contains("stream_options"));
    EXPECT_FALSE(plain.contains("stop_token_ids"));
    EXPECT_FALSE(plain.contains("temperature"));
}

TEST(Request, ExtraJsonOverridesAndRemoves) {
    ChatRequest r = glyph_request(false);
    r.extra_json = R"({"temperature": 0.3, "top_k": null, "chat_template_kwargs": {"enable_thinking": false}})";
    const json body = json::parse(request_body(r));
    EXPECT_EQ(body["temperature"], 0.3);
    EXPECT_FALSE(body.contains("top_k"));
    EXPECT_EQ(body["chat_template_kwargs"]["enable_thinking"], false);
}

TEST(Request, ExtraJsonThatIsNotAnObjectIsAnInvalidRequest) {
    for (const char* bad : {"[1, 2]", "{\"a\": ", "7"}) {
        ChatRequest r = glyph_request(false);
        r.extra_json = bad;
        try {
            request_body(r);
            ADD_FAILURE() << bad << " was accepted";
        } catch (const VlmError& e) {
            EXPECT_EQ(e.kind, glyph::vlm::ErrorKind::InvalidRequest) << bad;
            EXPECT_NE(std::string(e.what()).find("extra fields"), std::string::npos) << e.what();
        }
    }
}

// ---- loopback HTTP ----------------------------------------------------------------

using glyph::test::Loopback;

json completion(const std::string& content, const std::string& reasoning = "") {
    json message = {{"role", "assistant"}, {"content", content}};
    if (!reasoning.empty()) message["reasoning_content"] = reasoning;
    return {{"id", "cmpl-1"},
            {"object", "chat.completion"},
            {"model", "zai-org/Glyph"},
            {"choices", {{{"index", 0}, {"message", message}, {"finish_reason", "stop"}}}},
            {"usage", {{"prompt_tokens", 1270}, {"completion_tokens", 9}, {"total_tokens", 1279}}}};
}

std::string sse(const json& chunk) { return "data: " + chunk.dump() + "\n\n"; }

json delta_chunk(const json& delta, const json& finish = nullptr) {
    return {{"id", "c"},
            {"object", "chat.completion.chunk"},
            {"model", "zai-org/Glyph"},
            {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}}}};
}

// Streams `events` one chunk per event, then ends the body cleanly.
void stream_events(httplib::Response& res, std::vector<std::string> events) {
    res.set_chunked_content_provider("text/event-stream", [events](size_t, httplib::DataSink& sink) {
        for (const auto& e : events) sink.write(e.data(), e.size());
        sink.done();
        return true;
    });
}

ClientOptions fast_options(const std::string& endpoint) {
    ClientOptions o;
    o.endpoint = endpoint;
    o.retry.base_delay_s = 0.01;
    o.retry.max_delay_s = 0.05;
    o.read_timeout_s = 30;
    return o;
}

ErrorKind error_of(Client& client, const ChatRequest& request, std::string* message = nullptr) {
    try {
        client.chat(request);
    } catch (const VlmError& e) {
        if (message) *message = e.what();
        return e.kind;
    }
    ADD_FAILURE() << "no error";
    return ErrorKind::InvalidRequest;
}

TEST(Client, NonStreamingReplyAndExactBodyOnTheWire) {
    std::string received_body, received_auth, received_type;
    Loopback server([&](const httplib::Request& req, httplib::Response& res) {
        received_body = req.body;
        received_auth = req.get_header_value("Authorization");
        received_type = req.get_header_value("Content-Type");
        res.set_content(completion("The number is 4071953.", "Looking at page 3.").dump(), "application/json");
    });
    ClientOptions o = fast_options(server.endpoint());
    o.api_key = "sk-test-key";
    Client client(o);
    const ChatRequest request = glyph_request(false);
    const ChatResponse r = client.chat(request);
    EXPECT_EQ(r.content, "The number is 4071953.");
    EXPECT_EQ(r.reasoning, "Looking at page 3.");
    EXPECT_EQ(r.finish_reason, "stop");
    EXPECT_EQ(r.usage.prompt_tokens, 1270);
    EXPECT_EQ(r.usage.completion_tokens, 9);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(received_auth, "Bearer sk-test-key");
    EXPECT_EQ(received_type, "application/json");
    const json wire = json::parse(received_body);
    EXPECT_EQ(received_body, request_body(request));  // byte for byte
    expect_openai_vision_shape(wire, 2);
    // The images arrive intact: the data URL decodes back to the page.
    const std::string url = wire["messages"][0]["content"][0]["image_url"]["url"];
    const auto bytes = glyph::base64_decode(url.substr(url.find(',') + 1));
    const glyph::Image page = glyph::decode_image(bytes.data(), bytes.size());
    EXPECT_EQ(page.width, 40);
    EXPECT_EQ(page.pixels, test_page().pixels);
}

TEST(Client, StreamingDeliversDeltasInOrderWithReasoningAndUsage) {
    const std::vector<std::string> words = {"The", " special", " magic", " number", " is", " 4071953", "."};
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        std::vector<std::string> events = {sse(delta_chunk({{"role", "assistant"}, {"content", ""}})),
                                           sse(delta_chunk({{"reasoning_content", "Reading "}})),
                                           sse(delta_chunk({{"reasoning_content", "pages."}})),
                                           ": keep-alive\n\n"};
        for (const auto& w : words) events.push_back(sse(delta_chunk({{"content", w}})));
        events.push_back(sse(delta_chunk(json::object(), "stop")));
        events.push_back(sse({{"id", "c"},
                              {"choices", json::array()},
                              {"usage", {{"prompt_tokens", 640}, {"completion_tokens", 7}, {"total_tokens", 647}}}}));
        events.push_back("data: [DONE]\n\n");
        stream_events(res, events);
    });
    Client client(fast_options(server.endpoint()));
    std::vector<std::string> content, thinking;
    StreamHandler h;
    h.on_content = [&](std::string_view d) { content.emplace_back(d); };
    h.on_reasoning = [&](std::string_view d) { thinking.emplace_back(d); };
    const ChatResponse r = client.chat(glyph_request(true), h);
    EXPECT_EQ(content, words);
    EXPECT_EQ(thinking, (std::vector<std::string>{"Reading ", "pages."}));
    EXPECT_EQ(r.content, "The special magic number is 4071953.");
    EXPECT_EQ(r.reasoning, "Reading pages.");
    EXPECT_EQ(r.finish_reason, "stop");
    EXPECT_EQ(r.usage.prompt_tokens, 640);
    EXPECT_GE(r.first_token_ms, 0);
    EXPECT_GE(r.total_ms, r.first_token_ms);
}

TEST(Client, StreamRequestAnsweredWithPlainJsonStillWorks) {
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        res.set_content(completion("plain").dump(), "application/json");
    });
    Client client(fast_options(server.endpoint()));
    std::string seen;
    StreamHandler h;
    h.on_content = [&](std::string_view d) { seen += d; };
    EXPECT_EQ(client.chat(glyph_request(true), h).content, "plain");
    EXPECT_EQ(seen, "plain");
}

TEST(Client, RetriesServerErrorsThenSucceeds) {
    std::atomic<int> calls{0};
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        if (++calls <= 2) {
            res.status = 503;
            res.set_content(R"({"error":{"message":"warming up"}})", "application/json");
            return;
        }
        res.set_content(completion("ok").dump(), "application/json");
    });
    std::vector<RetryEvent> retries;
    ClientOptions o = fast_options(server.endpoint());
    o.on_retry = [&](const RetryEvent& e) { retries.push_back(e); };
    Client client(o);
    const ChatResponse r = client.chat(glyph_request(false));
    EXPECT_EQ(r.content, "ok");
    EXPECT_EQ(r.attempts, 3);
    EXPECT_EQ(calls, 3);
    ASSERT_EQ(retries.size(), 2u);
    EXPECT_EQ(retries[0].reason, "HTTP 503");
    EXPECT_EQ(retries[1].failed_attempt, 2);
}

TEST(Client, RateLimitWaitsWhatRetryAfterSays) {
    std::atomic<int> calls{0};
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        if (++calls == 1) {
            res.status = 429;
            res.set_header("Retry-After", "1");
            res.set_content(R"({"error":{"message":"slow down"}})", "application/json");
            return;
        }
        res.set_content(completion("ok").dump(), "application/json");
    });
    std::vector<RetryEvent> retries;
    ClientOptions o = fast_options(server.endpoint());
    o.on_retry = [&](const RetryEvent& e) { retries.push_back(e); };
    Client client(o);
    EXPECT_EQ(client.chat(glyph_request(false)).content, "ok");
    ASSERT_EQ(retries.size(), 1u);
    EXPECT_EQ(retries[0].delay_s, 1.0);
    EXPECT_EQ(retries[0].reason, "HTTP 429");
}

TEST(Client, RetryAfterBeyondTheLimitFailsAtOnce) {
    std::atomic<int> calls{0};
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        ++calls;
        res.status = 429;
        res.set_header("Retry-After", "3600");
    });
    Client client(fast_options(server.endpoint()));
    std::string message;
    EXPECT_EQ(error_of(client, glyph_request(false), &message), ErrorKind::ServerError);
    EXPECT_EQ(calls, 1);
    EXPECT_NE(message.find("HTTP 429"), std::string::npos) << message;
    EXPECT_NE(message.find("retry after 3600 s"), std::string::npos) << message;
}

TEST(Client, PersistentServerErrorGivesUpAfterTheRetryBudget) {
    std::atomic<int> calls{0};
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        ++calls;
        res.status = 500;
        res.set_content("<html><body>\nInternal\nError</body></html>", "text/html");
    });
    ClientOptions o = fast_options(server.endpoint());
    o.retry.max_retries = 2;
    o.api_key = "sk-never-shown";
    Client client(o);
    std::string message;
    EXPECT_EQ(error_of(client, glyph_request(false), &message), ErrorKind::ServerError);
    EXPECT_EQ(calls, 3);
    EXPECT_NE(message.find("gave up after 3 attempts"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_EQ(message.find("sk-never-shown"), std::string::npos);
}

TEST(Client, ClientErrorsAreNotRetried) {
    std::atomic<int> calls{0};
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        ++calls;
        res.status = 400;
        res.set_content(R"({"object":"error","message":"This model's maximum context length is 65536 tokens"})",
                        "application/json");
    });
    Client client(fast_options(server.endpoint()));
    std::string message;
    EXPECT_EQ(error_of(client, glyph_request(false), &message), ErrorKind::Rejected);
    EXPECT_EQ(calls, 1);
    EXPECT_NE(message.find("maximum context length"), std::string::npos) << message;
}

TEST(Client, NonJsonReplyIsABadReply) {
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        res.set_content("<html>proxy login</html>", "text/html");
    });
    Client client(fast_options(server.endpoint()));
    std::string message;
    EXPECT_EQ(error_of(client, glyph_request(false), &message), ErrorKind::BadReply);
    EXPECT_NE(message.find("not JSON"), std::string::npos) << message;
}

TEST(Client, ReplyWithoutChoicesIsABadReply) {
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"id":"x","object":"chat.completion","usage":{}})", "application/json");
    });
    Client client(fast_options(server.endpoint()));
    std::string message;
    EXPECT_EQ(error_of(client, glyph_request(false), &message), ErrorKind::BadReply);
    EXPECT_NE(message.find("no choices"), std::string::npos) << message;
}

TEST(Client, MalformedEventIsABadReply) {
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        stream_events(res, {sse(delta_chunk({{"content", "The"}})), "data: {\"choices\": [{\"delta\n\n",
                            "data: [DONE]\n\n"});
    });
    Client client(fast_options(server.endpoint()));
    std::string message;
    EXPECT_EQ(error_of(client, glyph_request(true), &message), ErrorKind::BadReply);
    EXPECT_NE(message.find("malformed server-sent event"), std::string::npos) << message;
}

TEST(Client, AnEndlessStreamedLineIsABadReply) {
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
            const std::string block(64 * 1024, 'x');  // "data: xxxx..." never ending its line
            if (!sink.write("data: ", 6)) return false;
            for (int i = 0; i < 64; ++i)
                if (!sink.write(block.data(), block.size())) return false;
            sink.done();
            return true;
        });
    });
    ClientOptions options = fast_options(server.endpoint());
    options.max_sse_line_bytes = 1u << 20;  // 1 MiB; the server offers 4 MiB
    Client client(options);
    std::string message;
    EXPECT_EQ(error_of(client, glyph_request(true), &message), ErrorKind::BadReply);
    EXPECT_NE(message.find("longer than 1048576 bytes"), std::string::npos) << message;
}

TEST(Client, StreamEndingMidAnswerIsTruncated) {
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        stream_events(res, {sse(delta_chunk({{"content", "The special"}}))});
    });
    Client client(fast_options(server.endpoint()));
    EXPECT_EQ(error_of(client, glyph_request(true)), ErrorKind::TruncatedStream);
}

TEST(Client, ConnectionDroppedMidStreamIsTruncated) {
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
            const std::string e = sse(delta_chunk({{"content", "The"}}));
            sink.write(e.data(), e.size());
            return false;  // httplib closes the connection without the final chunk
        });
    });
    Client client(fast_options(server.endpoint()));
    EXPECT_EQ(error_of(client, glyph_request(true)), ErrorKind::TruncatedStream);
}

TEST(Client, ConnectionDroppedBeforeAnyOutputIsRetried) {
    std::atomic<int> calls{0};
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        if (++calls == 1) {
            res.set_content_provider(1000, "application/json", [](size_t, size_t, httplib::DataSink&) { return false; });
            return;
        }
        res.set_content(completion("after drop").dump(), "application/json");
    });
    Client client(fast_options(server.endpoint()));
    const ChatResponse r = client.chat(glyph_request(false));
    EXPECT_EQ(r.content, "after drop");
    EXPECT_EQ(r.attempts, 2);
}

TEST(Client, UnreachableServerFailsWithOneLine) {
    int port = 0;
    {
        Loopback gone([](const httplib::Request&, httplib::Response&) {});
        port = gone.port();
    }
    Client client(fast_options("http://127.0.0.1:" + std::to_string(port) + "/v1"));
    std::string message;
    EXPECT_EQ(error_of(client, glyph_request(false), &message), ErrorKind::Unreachable);
    EXPECT_NE(message.find("cannot reach http://127.0.0.1:"), std::string::npos) << message;
}

TEST(Client, SilentServerHitsTheReadTimeout) {
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        res.set_content(completion("late").dump(), "application/json");
    });
    ClientOptions o = fast_options(server.endpoint());
    o.read_timeout_s = 1;
    Client client(o);
    std::string message;
    EXPECT_EQ(error_of(client, glyph_request(false), &message), ErrorKind::Timeout);
    EXPECT_NE(message.find("read timeout"), std::string::npos) << message;
}

TEST(Client, CancelStopsAStreamInFlight) {
    std::atomic<bool> cancel{false};
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
            // An endless answer: only the client's cancel can end it.
            const std::string e = sse(delta_chunk({{"content", "word "}}));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            return sink.write(e.data(), e.size());
        });
    });
    ClientOptions o = fast_options(server.endpoint());
    o.cancel = &cancel;
    Client client(o);
    StreamHandler h;
    int deltas = 0;
    h.on_content = [&](std::string_view) {
        if (++deltas == 3) cancel = true;
    };
    try {
        client.chat(glyph_request(true), h);
        ADD_FAILURE() << "not cancelled";
    } catch (const VlmError& e) {
        EXPECT_EQ(e.kind, ErrorKind::Cancelled);
    }
    EXPECT_GE(deltas, 3);
}

TEST(Client, ConcurrencyIsBounded) {
    std::mutex m;
    int in_flight = 0, peak = 0;
    Loopback server([&](const httplib::Request&, httplib::Response& res) {
        {
            std::lock_guard lock(m);
            peak = std::max(peak, ++in_flight);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        {
            std::lock_guard lock(m);
            --in_flight;
        }
        res.set_content(completion("ok").dump(), "application/json");
    });
    ClientOptions o = fast_options(server.endpoint());
    o.max_concurrent = 2;
    Client client(o);
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 6; ++i)
        threads.emplace_back([&] {
            if (client.chat(glyph_request(false)).content == "ok") ++ok;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok, 6);
    EXPECT_LE(peak, 2);
    EXPECT_GE(peak, 1);
}

}  // namespace
