// The proxy's drop-in pieces, unit by unit and over loopback HTTP: how a
// text part splits into document and question, the decision each request
// states, the relay's URL and header rules, the Responses API's stream
// usage, the metrics text, and the context limit (count, ladder, refusal).
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "glyph/context_budget.h"
#include "glyph/serve.h"
#include "glyph/tokenizer.h"
#include "serve/compress.h"
#include "serve/context_fit.h"
#include "serve/metrics.h"
#include "serve/passthrough.h"
#include "serve/render_policy.h"
#include "serve/sse_relay.h"
#include "test_support.h"

using json = nlohmann::json;
using namespace glyph;
using namespace glyph::serve;

namespace {

const Tokenizer& tokenizer() {
    static const Tokenizer t = Tokenizer::load(default_tokenizer_path());
    return t;
}

TextTokenCounter counter() {
    return [](std::string_view s) { return static_cast<long long>(tokenizer().count(s)); };
}

std::string document() {
    static const std::string text = test::read_file(test::repo_path("samples/novel_excerpt.txt")).substr(0, 9000);
    return text;
}

struct Compressor {
    SegmentCache cache{64u << 20, ""};
    SegmentRenderer renderer{cache, 1};
    RenderBudget budget{100000, 1000000000000LL, 1u << 30};
    CompressionReport run(json& messages, const ProxyPolicy& policy, const MessageFormat& format = kChatFormat) {
        return compress_messages(messages, policy, find_profile("glm-4.1v"), counter(), renderer, budget, format);
    }
};

}  // namespace

TEST(ServeQuestionSplit, BlankLineThenQuestionMarkThenSeparator) {
    // After the last blank line; a long tail only in the last user part.
    EXPECT_EQ(question_split("doc\n\nWhat?"), 5u);
    const std::string long_tail = "doc\n\n" + std::string(3000, 'x');
    EXPECT_EQ(question_split(long_tail, "", true), 5u);
    EXPECT_EQ(question_split(long_tail, "", false), std::string_view::npos);
    // No blank line: the last line, or its last sentence, when it ends in '?'.
    EXPECT_EQ(question_split("line one\nWho wrote it?"), 9u);
    EXPECT_EQ(question_split("A long document. It goes on! Who wrote it?  "), 29u);
    EXPECT_EQ(question_split("文档内容。谁写的？"), std::string("文档内容。").size());
    // Otherwise the whole part is document.
    EXPECT_EQ(question_split("A document without a question."), std::string_view::npos);
    // A separator wins over everything.
    EXPECT_EQ(question_split("doc\n\nmore\n---\nWhat now", "\n---\n"), 14u);
    // Marked explicitly: the text must end with it.
    EXPECT_EQ(explicit_question_split("The document. Summarize it.\n", "Summarize it."), 14u);
    EXPECT_EQ(explicit_question_split("The document.", "Summarize it."), std::string_view::npos);
}

TEST(ServeDecision, EveryRequestStatesWhy) {
    Compressor c;
    ProxyPolicy policy;
    policy.min_tokens = 500;
    auto decide = [&](json messages, const ProxyPolicy& p) { return decision_name(c.run(messages, p).decision); };
    const json doc_in_system = {{{"role", "system"}, {"content", document()}}, {{"role", "user"}, {"content", "Who?"}}};
    EXPECT_STREQ(decide(doc_in_system, policy), "rendered");  // system is rendered by default
    ProxyPolicy users_only = policy;
    users_only.roles = {"user"};
    EXPECT_STREQ(decide(doc_in_system, users_only), "role-not-enabled");
    ProxyPolicy off = policy;
    off.enabled = false;
    EXPECT_STREQ(decide(doc_in_system, off), "disabled-by-request");
    EXPECT_STREQ(decide({{{"role", "user"}, {"content", "Hello?"}}}, policy), "below-threshold");
    EXPECT_STREQ(decide({{{"role", "user"}, {"content", json::array({{{"type", "image_url"}, {"image_url", {{"url", "x"}}}}})}}},
                        policy),
                 "no-text-part");
    ProxyPolicy everything = policy;
    everything.min_tokens = 0;
    json tiny = {{{"role", "user"}, {"content", "tiny"}}};
    EXPECT_STREQ(decide(tiny, everything), "no-saving");

    // A document and its question in one message with no blank line: the question stays text.
    std::string flat = document().substr(0, document().rfind('.') + 1);
    for (size_t at; (at = flat.find("\n\n")) != std::string::npos;) flat.erase(at, 1);
    json one = {{{"role", "user"}, {"content", flat + " Who wrote it?"}}};
    const auto report = c.run(one, policy);
    EXPECT_EQ(report.decision, Decision::kRendered);
    EXPECT_EQ(one[0]["content"].back(), (json{{"type", "text"}, {"text", "Who wrote it?"}}));
    EXPECT_EQ(report.presets, std::set<std::string>{"en"});
}

TEST(ServeDecision, ResponsesInputPartsBecomeInputImages) {
    Compressor c;
    ProxyPolicy policy;
    policy.min_tokens = 500;
    json body = {{"model", "m"}, {"input", document() + "\n\nWho wrote it?"}};
    RenderBudget budget(1000, 1000000000000LL, 1u << 30);
    const auto report = compress_responses_input(body, policy, find_profile("glm-4.1v"), counter(), c.renderer, budget);
    ASSERT_EQ(report.decision, Decision::kRendered);
    const json& parts = body["input"][0]["content"];
    EXPECT_EQ(parts[0]["type"], "input_image");
    EXPECT_EQ(parts[0]["image_url"].get<std::string>().rfind("data:image/png;base64,", 0), 0u);
    EXPECT_EQ(parts.back(), (json{{"type", "input_text"}, {"text", "Who wrote it?"}}));
    // Short input stays the string it was.
    json short_body = {{"input", "Hi"}};
    compress_responses_input(short_body, policy, find_profile("glm-4.1v"), counter(), c.renderer, budget);
    EXPECT_EQ(short_body["input"], "Hi");
}

TEST(ServeRelay, UrlsAndHeaders) {
    EXPECT_EQ(passthrough_url("http://h:8000/v1", "/v1/embeddings?x=1"), "http://h:8000/v1/embeddings?x=1");
    EXPECT_EQ(passthrough_url("http://h:8000", "/tokenize"), "http://h:8000/tokenize");
    EXPECT_EQ(passthrough_url("http://h:8000/v1/chat/completions", "/health"), "http://h:8000/health");
    EXPECT_EQ(passthrough_url("http://h/openai/v1", "/v1/models"), "http://h/openai/v1/models");
    httplib::Request req;
    req.headers = {{"Authorization", "Bearer k"}, {"Connection", "keep-alive, X-Hop"}, {"X-Hop", "1"},
                   {"Accept-Encoding", "gzip"},   {"Host", "proxy"},                 {"REMOTE_ADDR", "127.0.0.1"},
                   {"X-Request-Id", "r1"},        {"Content-Length", "5"}};
    auto names = [](const HeaderList& h) {
        std::string out;
        for (const auto& [n, v] : h) out += n + ";";
        return out;
    };
    EXPECT_EQ(names(forwarded_request_headers(req, true)), "Authorization;X-Request-Id;");
    EXPECT_EQ(names(forwarded_request_headers(req, false)), "X-Request-Id;");
}

TEST(ServeRelay, StreamsGetTheirDecision) {
    const json usage = {{"decision", "rendered"}};
    // Responses API: usage sits in response.usage of response.completed; the event line stays.
    SseRelay responses(usage, 1u << 20);
    const std::string completed =
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":3}}}\n\n";
    EXPECT_EQ(responses.feed(completed),
              "event: response.completed\ndata: "
              "{\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":3,\"glyph\":{\"decision\":"
              "\"rendered\"}}}}\n\n");
    // A chat stream without usage gets a last chunk before [DONE]; a null usage relays bytes as they are.
    SseRelay chat(usage, 1u << 20, true);
    EXPECT_EQ(chat.feed("data: {\"choices\":[]}\n\ndata: [DONE]\n\n"),
              "data: {\"choices\":[]}\n\ndata: "
              "{\"choices\":[],\"object\":\"chat.completion.chunk\",\"usage\":{\"glyph\":{\"decision\":\"rendered\"}}}\n\n"
              "data: [DONE]\n\n");
    SseRelay plain(json(), 1u << 20, true);
    EXPECT_EQ(plain.feed("data: {\"usage\":{}}\n\ndata: [DONE]\n\n"), "data: {\"usage\":{}}\n\ndata: [DONE]\n\n");
}

TEST(ServeMetrics, ExpositionCountsAndHistograms) {
    Metrics m;
    m.count_request("/v1/embeddings", 200);
    m.count_request("/v1/embeddings", 200);
    m.count_request("/some/client/path/../x", 404);
    m.count_compression("rendered", 3, 3000, 900, 0.2);
    m.observe_upstream(0.03);
    Metrics::Gauges g;
    g.waiting = 2;
    const std::string text = m.exposition(g);
    EXPECT_NE(text.find("glyph_requests_total{route=\"/v1/embeddings\",code=\"200\"} 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("glyph_requests_total{route=\"other\",code=\"404\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("glyph_compression_decisions_total{decision=\"rendered\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("glyph_render_seconds_bucket{le=\"0.25\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("glyph_render_seconds_bucket{le=\"0.10000000000000001\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("glyph_upstream_latency_seconds_count 1\n"), std::string::npos);
    EXPECT_NE(text.find("glyph_queue_depth 2\n"), std::string::npos);
}

TEST(ServeContext, CountLadderAndLimit) {
    // Rung 0 is the preset; en has legible denser rungs, zh none (Tesseract reads zh worse).
    const auto& ladder = context_ladder();
    ASSERT_GE(ladder.size(), 4u);
    EXPECT_TRUE(ladder[0].config.empty());
    int en = 0, zh = 0;
    for (size_t r = 1; r < ladder.size(); ++r) {
        en += rung_admissible(ladder[r], "en");
        zh += rung_admissible(ladder[r], "zh");
    }
    EXPECT_GE(en, 2);
    EXPECT_EQ(zh, 0);

    Compressor c;
    ProxyPolicy policy;
    policy.min_tokens = 500;
    json body = {{"model", "m"}, {"max_tokens", 100},
                 {"messages", {{{"role", "user"}, {"content", document() + "\n\nWho wrote it?"}}}}};
    const auto report = c.run(body["messages"], policy);
    const PromptCount count = count_request(body, kChatFormat, find_profile("glm-4.1v"), counter());
    EXPECT_EQ(count.vision, report.vision_tokens);  // the pages, read back from their PNG headers
    EXPECT_EQ(count.text, text_tokens_with_margin((long long)tokenizer().count("Who wrote it?")));
    EXPECT_EQ(count.template_tokens, kTemplateTokensPerMessage + kTemplateTokensPerRequest);
    EXPECT_EQ(count.max_tokens, 100);

    const json models = {{"object", "list"},
                         {"data", {{{"id", "a"}, {"max_model_len", 4096}}, {{"id", "b"}, {"max_model_len", 32768}}}}};
    EXPECT_EQ(max_model_len(models, "b"), 32768);
    EXPECT_EQ(max_model_len(models, "c"), 0);  // two models, neither named
    EXPECT_EQ(max_model_len({{"data", {{{"id", "only"}, {"max_model_len", 8192}}}}}, "other"), 8192);
    const json error = context_error(2048, "--max-context", count, "as rendered by the preset: 9999");
    EXPECT_EQ(error["error"]["code"], "context_length_exceeded");
    EXPECT_NE(error["error"]["message"].get<std::string>().find("2048"), std::string::npos);
}

// Over loopback: a proxy with --max-context never forwards what cannot fit.
TEST(ServeContext, ARequestThatCannotFitIsNeverSent) {
    httplib::Server upstream;
    std::atomic<int> chats{0};
    upstream.Post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
        ++chats;
        res.set_content(R"({"choices":[{"message":{"content":"ok"}}],"usage":{"prompt_tokens":1}})", "application/json");
    });
    const int port = upstream.bind_to_any_port("127.0.0.1");
    std::thread upstream_thread([&] { upstream.listen_after_bind(); });
    {
        ServeOptions o;
        o.port = 0;
        o.access_log = nullptr;
        o.upstream = "http://127.0.0.1:" + std::to_string(port) + "/v1";
        o.policy.min_tokens = 500;
        o.max_context = 500;  // the document's pages alone cost more (760 at the preset), in every rung
        Server server(o, counter());
        server.bind();
        std::thread serving([&] { server.run(); });
        httplib::Client client("127.0.0.1", server.port());
        client.set_read_timeout(120);
        const json body = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", document() + "\n\nWho?"}}}}};
        auto res = client.Post("/v1/chat/completions", body.dump(), "application/json");
        EXPECT_TRUE(res);
        if (res) {
            EXPECT_EQ(res->status, 400) << res->body;
            const json error = json::parse(res->body, nullptr, false);
            EXPECT_EQ(error["error"]["code"], "context_length_exceeded");
            const std::string message = error["error"].value("message", "");
            EXPECT_NE(message.find("500 tokens (--max-context)"), std::string::npos) << message;
            EXPECT_NE(message.find("60 dpi: "), std::string::npos) << message;
        }
        EXPECT_EQ(chats.load(), 0);
        // A short request fits and goes.
        const json small = {{"model", "m"}, {"max_tokens", 10}, {"messages", {{{"role", "user"}, {"content", "Hi?"}}}}};
        res = client.Post("/v1/chat/completions", small.dump(), "application/json");
        EXPECT_TRUE(res);
        if (res) {
            EXPECT_EQ(res->status, 200) << res->body;
            EXPECT_EQ(res->get_header_value("X-Glyph-Decision"), "below-threshold");
        }
        EXPECT_EQ(chats.load(), 1);
        server.stop();
        serving.join();
    }
    upstream.stop();
    upstream_thread.join();
}
