// glyph serve over real loopback HTTP: the proxy against an in-process
// upstream that records what it receives, the web API, and the operational
// limits (auth, body size, back-pressure, graceful shutdown).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "glyph/encode.h"
#include "glyph/serve.h"
#include "glyph/tokenizer.h"
#include "serve/compress.h"
#include "serve/segment_cache.h"
#include "serve/sse_relay.h"
#include "serve/work_gate.h"
#include "loopback.h"
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

std::string long_document() {
    static const std::string text = test::read_file(test::repo_path("samples/novel_excerpt.txt")).substr(0, 12000);
    return text;
}

// An OpenAI-style upstream on loopback: records each request body and answers
// with a fixed reply, streamed when asked to. `hold` keeps replies waiting.
struct StubUpstream {
    httplib::Server http;
    std::thread thread;
    int port = 0;
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<json> requests;
    bool hold = false;
    std::atomic<int> holding{0};

    StubUpstream() {
        http.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(R"({"object":"list","data":[{"id":"stub-vlm","object":"model"}]})", "application/json");
        });
        http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
            json body = json::parse(req.body);
            {
                std::unique_lock lock(mutex);
                requests.push_back(body);
                ++holding;
                cv.wait(lock, [&] { return !hold; });
                --holding;
            }
            if (!body.value("stream", false)) {
                res.set_content(
                    R"({"id":"c1","object":"chat.completion","model":"stub-vlm","choices":[{"index":0,"message":{"role":"assistant","content":"forty-two"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}})",
                    "application/json");
                return;
            }
            res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
                const std::string events[] = {
                    R"(data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"forty"}}]})",
                    R"(data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"-two"},"finish_reason":"stop"}]})",
                    R"(data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}})",
                    "data: [DONE]"};
                for (const auto& e : events) {
                    const std::string line = e + "\n\n";
                    if (!sink.write(line.data(), line.size())) return false;
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                }
                sink.done();
                return true;
            });
        });
        port = http.bind_to_any_port("127.0.0.1");
        thread = std::thread([this] { http.listen_after_bind(); });
    }
    ~StubUpstream() {
        release();
        http.stop();
        thread.join();
    }
    void release() {
        {
            std::lock_guard lock(mutex);
            hold = false;
        }
        cv.notify_all();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/v1"; }
    json last_request() {
        std::lock_guard lock(mutex);
        return requests.empty() ? json() : requests.back();
    }
};

struct RunningServer {
    std::unique_ptr<Server> server;
    std::thread thread;
    explicit RunningServer(ServeOptions o) {
        o.port = 0;
        o.access_log = nullptr;
        server = std::make_unique<Server>(o, counter());
        server->bind();
        thread = std::thread([this] { server->run(); });
    }
    ~RunningServer() {
        server->stop();
        thread.join();
    }
    httplib::Client client() const {
        httplib::Client c("127.0.0.1", server->port());
        c.set_read_timeout(60);
        return c;
    }
};

json chat_body(bool stream) {
    return {{"model", "stub-vlm"},
            {"stream", stream},
            {"messages",
             {{{"role", "system"}, {"content", "You answer questions about documents."}},
              {{"role", "user"}, {"content", long_document() + "\n\nWhat is the answer?"}}}}};
}

// Images sent upstream, decoded.
std::vector<Image> upstream_images(const json& request) {
    std::vector<Image> images;
    for (const auto& m : request["messages"]) {
        if (!m["content"].is_array()) continue;
        for (const auto& part : m["content"]) {
            if (part["type"] != "image_url") continue;
            const std::string url = part["image_url"]["url"];
            const std::string prefix = "data:image/png;base64,";
            EXPECT_EQ(url.rfind(prefix, 0), 0u);
            const auto bytes = base64_decode(std::string_view(url).substr(prefix.size()));
            images.push_back(decode_image(bytes.data(), bytes.size()));
        }
    }
    return images;
}

}  // namespace

TEST(ServePolicy, QuestionIsTheTextAfterTheLastBlankLine) {
    EXPECT_EQ(question_split("doc line\n\nmore doc\n\nWhat?"), std::string("doc line\n\nmore doc\n\n").size());
    EXPECT_EQ(question_split("doc\r\n\r\nWhat?\n"), 7u);
    EXPECT_EQ(question_split("no blank line at all"), std::string_view::npos);
    EXPECT_EQ(question_split("trailing blank lines only\n\n\n"), std::string_view::npos);
}

TEST(ServePolicy, RequestOverridesAreCheckedField_by_field) {
    ProxyPolicy base;
    const ProxyPolicy p = apply_policy_overrides(base, {{"min_tokens", 10}, {"dpi", 96}, {"roles", {"user", "system"}}});
    EXPECT_EQ(p.min_tokens, 10);
    EXPECT_EQ(p.config["dpi"], 96);
    EXPECT_EQ(p.roles.size(), 2u);
    EXPECT_THROW(apply_policy_overrides(base, {{"bogus", 1}}), ServeError);
    EXPECT_THROW(apply_policy_overrides(base, {{"roles", {"assistant"}}}), ServeError);
    EXPECT_THROW(apply_policy_overrides(base, {{"min_tokens", -1}}), ServeError);
    EXPECT_THROW(apply_policy_overrides(base, {{"preset", "fr"}}), ServeError);
    // A request may not name files: fonts are the server's choice.
    EXPECT_THROW(apply_policy_overrides(base, {{"config", {{"font-path", "/etc/passwd"}}}}), ServeError);
    EXPECT_THROW(apply_policy_overrides(base, {{"config", {{"font-size", -3}}}}), ServeError);
    // Pages are capped at 16 MP a request: 300 dpi A4 (8.7 MP) is fine, 600 dpi (34.8 MP) given
    // through "config" is not.
    EXPECT_NO_THROW(apply_policy_overrides(base, {{"dpi", 300}}));
    try {
        apply_policy_overrides(base, {{"config", {{"dpi", 600}}}});
        ADD_FAILURE() << "600 dpi pages were accepted";
    } catch (const ServeError& e) {
        EXPECT_NE(std::string(e.what()).find("at most 16"), std::string::npos) << e.what();
    }
    EXPECT_THROW(apply_policy_overrides(base, {{"config", {{"page-size", "5000,5000"}}}}), ServeError);
}

TEST(ServeCompress, LongPartsBecomePagesAndTheQuestionStaysText) {
    SegmentCache cache(64u << 20, "");
    SegmentRenderer renderer(cache, 1);
    RenderBudget unlimited(100000, 1000000000000LL, 1u << 30);
    ProxyPolicy policy;
    policy.min_tokens = 500;
    json messages = chat_body(false)["messages"];
    const auto report = compress_messages(messages, policy, find_profile("glm-4.1v"), counter(), renderer, unlimited);
    EXPECT_EQ(messages[0]["content"], "You answer questions about documents.");  // system: not in roles
    const auto& parts = messages[1]["content"];
    ASSERT_TRUE(parts.is_array());
    EXPECT_EQ(parts.back()["type"], "text");
    EXPECT_EQ(parts.back()["text"], "What is the answer?");
    EXPECT_EQ(int(parts.size()) - 1, report.pages);
    EXPECT_GT(report.pages, 0);
    EXPECT_EQ(report.text_tokens, long(tokenizer().count(long_document() + "\n\n")));
    EXPECT_GT(report.tokens_saved(), 0);
    EXPECT_EQ(report.segments_rendered, 1);

    // The same content again (a conversation that grew): nothing re-rendered.
    json again = chat_body(false)["messages"];
    again.push_back({{"role", "assistant"}, {"content", "An answer."}});
    again.push_back({{"role", "user"}, {"content", "And another question?"}});
    const auto second = compress_messages(again, policy, find_profile("glm-4.1v"), counter(), renderer, unlimited);
    EXPECT_EQ(second.segments_rendered, 0);
    EXPECT_EQ(second.segments_cached, 1);
    EXPECT_EQ(second.pages, report.pages);
    EXPECT_TRUE(again[1]["content"] == messages[1]["content"]);
}

TEST(ServeCompress, ShortMessagesAndDisabledPolicyPassUnchanged) {
    SegmentCache cache(64u << 20, "");
    SegmentRenderer renderer(cache, 1);
    RenderBudget unlimited(100000, 1000000000000LL, 1u << 30);
    ProxyPolicy policy;
    json messages = {{{"role", "user"}, {"content", "hello there\n\nhow are you?"}}};
    const json before = messages;
    EXPECT_EQ(compress_messages(messages, policy, find_profile("glm-4.1v"), counter(), renderer, unlimited).pages, 0);
    EXPECT_EQ(messages, before);
    policy.enabled = false;
    json long_messages = chat_body(false)["messages"];
    const json long_before = long_messages;
    compress_messages(long_messages, policy, find_profile("glm-4.1v"), counter(), renderer, unlimited);
    EXPECT_EQ(long_messages, long_before);
    json bad = json::array({{{"content", "no role"}}});
    EXPECT_THROW(compress_messages(bad, ProxyPolicy{}, find_profile("glm-4.1v"), counter(), renderer, unlimited), ServeError);
}

TEST(ServeSegmentCache, DiskLayerSurvivesANewServerAndKeysNeverLeaveTheFolder) {
    test::TempDir dir;
    const std::string key = sha256_hex("some text");
    auto seg = std::make_shared<Segment>();
    seg->pages.push_back({3, 2, "PNGBYTES"});
    {
        SegmentCache cache(1u << 20, dir.path);
        cache.store(key, seg);
        cache.store("../escape", seg);  // not a key: memory only
    }
    SegmentCache fresh(1u << 20, dir.path);
    const auto loaded = fresh.find(key);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->pages[0].png, "PNGBYTES");
    EXPECT_EQ(loaded->pages[0].width, 3);
    EXPECT_FALSE(fresh.find("../escape"));
    for (const auto& entry : std::filesystem::directory_iterator(dir.path))
        EXPECT_EQ(entry.path().filename().string(), key + ".seg");
    EXPECT_FALSE(is_segment_key("../../etc/passwd"));
}

TEST(ServeSseRelay, EventsPassByteForByteExceptUsageGetsGlyph) {
    SseRelay relay(json{{"tokens_saved", 7}}, 1u << 20);
    const std::string stream =
        ": keep-alive comment\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],  \"id\":\"x\"}\n\n"
        "data: {\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":3}}\n\n"
        "data: [DONE]\n\n";
    std::string out;
    for (char c : stream) out += relay.feed(std::string_view(&c, 1));  // worst-case chunking
    out += relay.finish();
    EXPECT_NE(out.find(": keep-alive comment\n\n"), std::string::npos);
    EXPECT_NE(out.find("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],  \"id\":\"x\"}\n\n"), std::string::npos);
    EXPECT_NE(out.find(R"("usage":{"prompt_tokens":3,"glyph":{"tokens_saved":7}})"), std::string::npos);
    EXPECT_NE(out.find(R"(data: {"id":"x","choices":[])"), std::string::npos);  // key order kept
    EXPECT_EQ(out.substr(out.size() - 14), "data: [DONE]\n\n");
}

TEST(ServeWorkGate, RefusesBeyondSlotsAndQueue) {
    WorkGate gate(1, 0);
    auto first = gate.acquire(std::chrono::milliseconds(0));
    ASSERT_TRUE(first);
    EXPECT_FALSE(gate.acquire(std::chrono::milliseconds(10)));
    first.reset();
    EXPECT_TRUE(gate.acquire(std::chrono::milliseconds(0)));
}

TEST(ServeProxy, NonStreamedReplyCarriesTheSavingAndUpstreamGetsPages) {
    StubUpstream upstream;
    ServeOptions o;
    o.upstream = upstream.url();
    o.policy.min_tokens = 500;
    RunningServer server(o);
    auto client = server.client();
    auto res = client.Post("/v1/chat/completions", chat_body(false).dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const json reply = json::parse(res->body);
    EXPECT_EQ(reply["choices"][0]["message"]["content"], "forty-two");
    const auto& g = reply["usage"]["glyph"];
    EXPECT_GT(g["tokens_saved"].get<long>(), 0);
    EXPECT_EQ(res->get_header_value("X-Glyph-Tokens-Saved"), std::to_string(g["tokens_saved"].get<long>()));
    EXPECT_EQ(reply["usage"]["prompt_tokens"], 10);  // upstream's own fields untouched

    const json sent = upstream.last_request();
    EXPECT_FALSE(sent.contains("glyph"));
    const auto images = upstream_images(sent);
    ASSERT_EQ(int(images.size()), g["pages"].get<int>());
    EXPECT_GT(images[0].width, 100);
    EXPECT_GT(images[0].height, 100);
    EXPECT_EQ(sent["messages"][1]["content"].back()["text"], "What is the answer?");
    EXPECT_FALSE(res->has_header("X-Glyph-Warning"));

    // An alignment the reference does not know renders as JUSTIFY, as there,
    // and the reply says so.
    json doubtful = chat_body(false);
    doubtful["glyph"] = {{"config", {{"alignment", "JUSTIFIED"}}}};
    auto warned = client.Post("/v1/chat/completions", doubtful.dump(), "application/json");
    ASSERT_TRUE(warned);
    ASSERT_EQ(warned->status, 200) << warned->body;
    EXPECT_NE(warned->get_header_value("X-Glyph-Warning").find("did you mean \"JUSTIFY\""), std::string::npos)
        << warned->get_header_value("X-Glyph-Warning");
}

TEST(ServeProxy, StreamedReplyIsRelayedWithUsageExtension) {
    StubUpstream upstream;
    ServeOptions o;
    o.upstream = upstream.url();
    RunningServer server(o);
    auto client = server.client();
    json body = chat_body(true);
    body["glyph"] = {{"min_tokens", 100}};
    std::string streamed;
    auto res = client.Post("/v1/chat/completions", httplib::Headers{}, body.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    streamed = res->body;
    EXPECT_EQ(res->get_header_value("Content-Type").rfind("text/event-stream", 0), 0u);
    EXPECT_NE(streamed.find(R"("delta":{"role":"assistant","content":"forty"})"), std::string::npos);
    EXPECT_NE(streamed.find(R"("glyph":{)"), std::string::npos);
    EXPECT_NE(streamed.find("data: [DONE]\n\n"), std::string::npos);
    EXPECT_GT(std::stol(res->get_header_value("X-Glyph-Tokens-Saved")), 0);
}

TEST(ServeProxy, ClearErrorsForBadRequestsAndDeadUpstream) {
    StubUpstream upstream;
    ServeOptions o;
    o.upstream = upstream.url();
    o.max_body_bytes = 64 * 1024;
    RunningServer server(o);
    auto client = server.client();

    auto bad_json = client.Post("/v1/chat/completions", "{\"messages\": [", "application/json");
    ASSERT_TRUE(bad_json);
    EXPECT_EQ(bad_json->status, 400);
    EXPECT_NE(json::parse(bad_json->body)["error"]["message"].get<std::string>().find("not valid JSON"),
              std::string::npos);

    json unknown = chat_body(false);
    unknown["glyph"] = {{"colour", "blue"}};
    auto bad_field = client.Post("/v1/chat/completions", unknown.dump(), "application/json");
    ASSERT_TRUE(bad_field);
    EXPECT_EQ(bad_field->status, 400);
    EXPECT_NE(bad_field->body.find("colour"), std::string::npos);

    const std::string huge = json{{"messages", {{{"role", "user"}, {"content", std::string(100000, 'x')}}}}}.dump();
    auto too_big = client.Post("/v1/chat/completions", huge, "application/json");
    ASSERT_TRUE(too_big);
    EXPECT_EQ(too_big->status, 413);

    auto traversal = client.Get("/api/segments/../../etc/passwd");
    ASSERT_TRUE(traversal);
    EXPECT_EQ(traversal->status, 404);

    ServeOptions dead;
    dead.upstream = "http://127.0.0.1:9/v1";  // discard port: nothing listens
    RunningServer dead_server(dead);
    auto res = dead_server.client().Post("/v1/chat/completions", chat_body(false).dump(), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 502);
    EXPECT_NE(res->body.find("upstream"), std::string::npos);
}

TEST(ServeProxy, SilentUpstreamIsAGatewayTimeout) {
    StubUpstream upstream;
    upstream.hold = true;  // accepts the request, never answers
    ServeOptions o;
    o.upstream = upstream.url();
    o.upstream_idle_timeout_s = 1;
    RunningServer server(o);
    const json small = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}};
    auto res = server.client().Post("/v1/chat/completions", small.dump(), "application/json");
    upstream.release();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 504) << res->body;
    EXPECT_NE(res->body.find("did not answer in time"), std::string::npos);
}

TEST(ServeProxy, ApiKeyIsRequiredWhenConfigured) {
    StubUpstream upstream;
    ServeOptions o;
    o.upstream = upstream.url();
    o.api_key = "s3cret";
    RunningServer server(o);
    auto client = server.client();
    auto denied = client.Get("/v1/models");
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 401);
    auto allowed = client.Get("/v1/models", httplib::Headers{{"Authorization", "Bearer s3cret"}});
    ASSERT_TRUE(allowed);
    EXPECT_EQ(allowed->status, 200);
    EXPECT_NE(allowed->body.find("stub-vlm"), std::string::npos);
    auto health = client.Get("/healthz");  // load balancers probe without a key
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);

    const json text = {{"text", long_document()}};
    auto render_denied = client.Post("/api/render", text.dump(), "application/json");
    ASSERT_TRUE(render_denied);
    EXPECT_EQ(render_denied->status, 401);
    auto rendered = client.Post("/api/render", httplib::Headers{{"Authorization", "Bearer s3cret"}}, text.dump(),
                                "application/json");
    ASSERT_TRUE(rendered);
    ASSERT_EQ(rendered->status, 200);
    // The web app's <img> tags send no key: a page is named by its text's hash.
    auto page = client.Get(json::parse(rendered->body)["pages"][0]["url"].get<std::string>());
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    auto guess = client.Get("/api/segments/" + std::string(64, 'a') + "/page_1.png");
    ASSERT_TRUE(guess);
    EXPECT_EQ(guess->status, 404);
}

TEST(ServeOps, SaturatedServerAnswers503WithRetryAfter) {
    StubUpstream upstream;
    upstream.hold = true;
    ServeOptions o;
    o.upstream = upstream.url();
    o.workers = 1;
    o.queue = 0;
    RunningServer server(o);
    const json small = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}};
    std::thread busy([&] {
        auto c = server.client();
        auto r = c.Post("/v1/chat/completions", small.dump(), "application/json");
        EXPECT_TRUE(r && r->status == 200);
    });
    while (upstream.holding.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto refused = server.client().Post("/v1/chat/completions", small.dump(), "application/json");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 503);
    EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
    upstream.release();
    busy.join();
}

TEST(ServeOps, RepliesEndTheirConnectionWhenNoThreadIsFree) {
    ServeOptions o;
    RunningServer roomy(o);
    auto keep_alive = roomy.client();
    keep_alive.set_keep_alive(true);
    auto kept = keep_alive.Get("/healthz");
    ASSERT_TRUE(kept);
    EXPECT_NE(kept->get_header_value("Connection"), "close");

    // One connection thread, held by this very request: an idle keep-alive
    // connection would lock every other client out until it timed out.
    o.connection_threads = 1;
    RunningServer tight(o);
    auto client = tight.client();
    client.set_keep_alive(true);
    auto closed = client.Get("/healthz");
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->status, 200);
    EXPECT_EQ(closed->get_header_value("Connection"), "close");
}

TEST(ServeOps, StopFinishesStreamsInFlight) {
    StubUpstream upstream;
    upstream.hold = true;
    ServeOptions o;
    o.upstream = upstream.url();
    auto server = std::make_unique<RunningServer>(o);
    std::string body;
    std::thread streaming([&] {
        auto c = server->client();
        auto r = c.Post("/v1/chat/completions", chat_body(true).dump(), "application/json");
        ASSERT_TRUE(r);
        body = r->body;
    });
    while (upstream.holding.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    server->server->stop();  // as on SIGTERM: stop accepting, finish what is running
    upstream.release();
    streaming.join();
    EXPECT_NE(body.find("data: [DONE]"), std::string::npos);
    server.reset();
}

TEST(ServeWeb, RenderGivesPagesStatsAndAZip) {
    ServeOptions o;
    RunningServer server(o);
    auto client = server.client();
    EXPECT_NE(client.Get("/")->body.find("<title>glyph"), std::string::npos);
    const auto info = json::parse(client.Get("/api/info")->body);
    EXPECT_FALSE(info["vlm_endpoint"].get<bool>());

    const std::string text = long_document();
    auto res = client.Post("/api/render", json{{"text", text}, {"preset", "en"}, {"dpi", 72}}.dump(),
                           "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const json r = json::parse(res->body);
    EXPECT_EQ(r["stats"]["text_tokens"], long(tokenizer().count(text)));
    EXPECT_EQ(r["stats"]["pages"], r["pages"].size());
    long vision = 0;
    for (const auto& p : r["pages"]) vision += p["vision_tokens"].get<long>();
    EXPECT_EQ(r["stats"]["vision_tokens"], vision);

    auto png = client.Get(r["pages"][0]["url"].get<std::string>());
    ASSERT_TRUE(png);
    ASSERT_EQ(png->status, 200);
    const Image page = decode_image(reinterpret_cast<const uint8_t*>(png->body.data()), png->body.size());
    EXPECT_EQ(page.width, r["pages"][0]["width"]);
    EXPECT_EQ(page.height, r["pages"][0]["height"]);

    auto zip = client.Get(r["zip"].get<std::string>());
    ASSERT_TRUE(zip);
    ASSERT_EQ(zip->status, 200);
    EXPECT_EQ(zip->body.substr(0, 4), std::string("PK\x03\x04", 4));
    EXPECT_NE(zip->body.find("page_001.png"), std::string::npos);
    EXPECT_NE(zip->body.find("manifest.json"), std::string::npos);

    auto ask = client.Post("/api/ask", json{{"text", text}, {"question", "who?"}}.dump(), "application/json");
    ASSERT_TRUE(ask);
    EXPECT_EQ(ask->status, 503);
    EXPECT_NE(ask->body.find("--upstream"), std::string::npos);

    auto too_long = client.Post("/api/render", json{{"text", text}, {"dpi", 5000}}.dump(), "application/json");
    ASSERT_TRUE(too_long);
    EXPECT_EQ(too_long->status, 400);
}

TEST(ServeWeb, AskStreamsTheAnswerFromTheEndpoint) {
    StubUpstream upstream;
    ServeOptions o;
    o.upstream = upstream.url();
    RunningServer server(o);
    auto res = server.client().Post("/api/ask", json{{"text", long_document()}, {"question", "what?"}}.dump(),
                                    "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    EXPECT_NE(res->body.find(R"(data: {"delta":"forty"})"), std::string::npos);
    EXPECT_NE(res->body.find(R"("done":true)"), std::string::npos);
    EXPECT_EQ(upstream.last_request()["model"], "stub-vlm");  // learned from /v1/models
    EXPECT_FALSE(upstream_images(upstream.last_request()).empty());
}

namespace {

// One raw HTTP/1.1 GET, so the request line carries the path byte for byte
// (no client-side normalizing or escaping of "..", "%2e" or "//").
std::pair<int, std::string> raw_get(int port, const std::string& target) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return {0, "connect failed"};
    }
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    (void)!::write(fd, request.data(), request.size());
    std::string reply;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) reply.append(buf, size_t(n));
    ::close(fd);
    const int status = reply.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(reply.c_str() + 9) : 0;
    return {status, reply};
}

}  // namespace

TEST(ServeSecurity, NoRequestReadsOrWritesOutsideTheCacheFolder) {
    test::TempDir root;
    const std::string secret = "TOP-SECRET-NEXT-TO-THE-CACHE";
    test::write_file(root.path + "/secret.txt", secret);
    test::write_file(root.path + "/secret.seg", secret);
    StubUpstream upstream;
    ServeOptions o;
    o.upstream = upstream.url();
    o.cache_dir = root.path + "/cache";
    o.policy.min_tokens = 100;
    RunningServer server(o);
    auto client = server.client();
    const int port = server.server->port();

    auto rendered = client.Post("/api/render", json{{"text", long_document()}}.dump(), "application/json");
    ASSERT_TRUE(rendered);
    ASSERT_EQ(rendered->status, 200) << rendered->body;
    const std::string key = json::parse(rendered->body)["key"];
    ASSERT_EQ(raw_get(port, "/api/segments/" + key + "/page_1.png").first, 200);

    std::string upper_key = key;
    for (char& c : upper_key) c = char(std::toupper(static_cast<unsigned char>(c)));
    const std::string dots(64, '.');
    const std::vector<std::string> attacks = {
        "/api/segments/../secret.txt",
        "/api/segments/..%2fsecret.txt",
        "/api/segments/%2e%2e/%2e%2e/secret.txt",
        "/api/segments/..%2f..%2fsecret.seg",
        "/api/segments/../../secret.zip",
        "/api/segments/" + key + "/../../secret.txt",
        "/api/segments/" + key + "/page_1.png/../../../secret.txt",
        "/api/segments/" + key + "/page_%2e%2e%2f%2e%2e%2fsecret.png",
        "/api/segments/" + key + "/page_0.png",
        "/api/segments/" + key + "/page_99999.png",
        "/api/segments/" + key + "/page_-1.png",
        "/api/segments/" + upper_key + ".zip",
        "/api/segments/" + dots + ".zip",
        "/api/segments/" + key.substr(0, 60) + "%2f..%2f.zip",
        "/../secret.txt",
        "/%2e%2e/%2e%2e/secret.txt",
        "//etc/passwd",
        "/index.html/../../secret.txt",
        "/app.js%00../../secret.txt",
        "/v1/../../secret.txt",
    };
    for (const auto& path : attacks) {
        const auto [status, reply] = raw_get(port, path);
        EXPECT_GE(status, 400) << path;
        EXPECT_LT(status, 500) << path;
        EXPECT_EQ(reply.find(secret), std::string::npos) << path;
        EXPECT_EQ(reply.find("root:"), std::string::npos) << path;
    }

    // Fields that name presets, profiles or fonts cannot name files.
    const std::vector<json> bad_renders = {
        {{"text", "x"}, {"preset", "../../secret"}},
        {{"text", "x"}, {"profile", "../secret.txt"}},
        {{"text", "x"}, {"preset", root.path + "/secret.txt"}},
    };
    for (const auto& body : bad_renders) {
        auto res = client.Post("/api/render", body.dump(), "application/json");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 400) << body.dump();
        EXPECT_EQ(res->body.find(secret), std::string::npos);
    }
    for (const json& policy : {json{{"preset", "../secret"}}, json{{"config", {{"font-path", root.path + "/secret.txt"}}}},
                               json{{"profile", root.path + "/secret.txt"}}}) {
        json body = chat_body(false);
        body["glyph"] = policy;
        auto res = client.Post("/v1/chat/completions", body.dump(), "application/json");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 400) << policy.dump();
        EXPECT_EQ(res->body.find(secret), std::string::npos);
    }
    auto proxied = client.Post("/v1/chat/completions", chat_body(false).dump(), "application/json");
    ASSERT_TRUE(proxied);
    EXPECT_EQ(proxied->status, 200);

    // The only files written are segments, named by their hash, in the cache folder.
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root.path))
        if (entry.is_regular_file()) files.push_back(std::filesystem::relative(entry.path(), root.path).string());
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 4u);  // two segments (web app and proxy) + the two planted files
    for (const auto& f : files) {
        if (f == "secret.txt" || f == "secret.seg") continue;
        EXPECT_EQ(f.rfind("cache/", 0), 0u) << f;
        EXPECT_TRUE(f.size() == 6 + 64 + 4 && is_segment_key(f.substr(6, 64)) && f.substr(70) == ".seg") << f;
    }
    EXPECT_EQ(test::read_file(root.path + "/secret.txt"), secret);
    EXPECT_EQ(test::read_file(root.path + "/secret.seg"), secret);
}

TEST(ServeSecurity, ListensOnLoopbackOnlyByDefault) {
    ServeOptions o;
    EXPECT_EQ(o.host, "127.0.0.1");
    RunningServer server(o);
    // The kernel's table of listening TCP sockets: local address 0100007F is 127.0.0.1.
    std::ifstream table("/proc/net/tcp");
    ASSERT_TRUE(table) << "/proc/net/tcp is not readable";
    char port_hex[8];
    std::snprintf(port_hex, sizeof port_hex, "%04X", server.server->port());
    std::string line, found;
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        fields >> slot >> local >> remote >> state;
        if (state == "0A" && local.size() > 5 && local.substr(local.size() - 4) == port_hex) found = local;
    }
    EXPECT_EQ(found, std::string("0100007F:") + port_hex);
}

// ---- Hostile input: each case is one way a single client once took the server down.

namespace {

int connect_loopback(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    timeval generous{60, 0};  // a hung server fails the test instead of hanging it
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &generous, sizeof generous);
    return fd;
}

// Everything the server sends until it closes the connection.
std::string read_to_close(int fd) {
    std::string reply;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) reply.append(buf, size_t(n));
    return reply;
}

int status_of(const std::string& reply) {
    return reply.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(reply.c_str() + 9) : 0;
}

std::string nested(int depth) { return std::string(size_t(depth), '[') + std::string(size_t(depth), ']'); }

std::string error_message(const httplib::Result& r) {
    const json j = json::parse(r->body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("message", "") : r->body;
}

}  // namespace

TEST(ServeHostile, DeepJsonIsA400NamingTheLimitAndTheServerStaysUp) {
    StubUpstream upstream;
    ServeOptions o;
    o.upstream = upstream.url();
    RunningServer server(o);
    auto client = server.client();
    const std::string deep = nested(100000);
    const std::vector<std::pair<std::string, std::string>> attacks = {
        {"/api/render", deep},
        {"/api/render", R"({"text":"x","dpi":)" + deep + "}"},
        {"/api/ask", R"({"text":"x","question":"q","preset":)" + deep + "}"},
        {"/v1/chat/completions", R"({"messages":[{"role":"user","content":"hi"}],"glyph":{"dpi":)" + deep + "}}"},
        {"/v1/chat/completions", R"({"messages":)" + deep + "}"},
    };
    for (const auto& [path, body] : attacks) {
        auto r = client.Post(path, body, "application/json");
        ASSERT_TRUE(r) << path;
        EXPECT_EQ(r->status, 400) << path << ": " << r->body.substr(0, 200);
        EXPECT_NE(error_message(r).find("at most 64"), std::string::npos) << error_message(r);
    }
    // 60 levels is within the limit: an ordinary field error, quoted briefly.
    auto shallow = client.Post("/api/render", R"({"text":"x","dpi":)" + nested(60) + "}", "application/json");
    ASSERT_TRUE(shallow);
    EXPECT_EQ(shallow->status, 400);
    EXPECT_NE(error_message(shallow).find("got an array of 1"), std::string::npos) << error_message(shallow);
    auto long_value = client.Post("/api/render", json{{"text", "x"}, {"newline", std::string(5000, 'n')}}.dump(),
                                  "application/json");
    ASSERT_TRUE(long_value);
    EXPECT_EQ(long_value->status, 400);
    EXPECT_LT(long_value->body.size(), 400u) << "an untrusted value was echoed whole";
    auto health = client.Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

TEST(ServeHostile, MistypedFieldsAre400sNot500s) {
    StubUpstream upstream;
    ServeOptions o;
    o.upstream = upstream.url();
    RunningServer server(o);
    auto client = server.client();
    const std::vector<std::pair<std::string, json>> attacks = {
        {"/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", {{{"type", 5}}}}}}}}},
        {"/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", {"just a string"}}}}}}},
        {"/api/render", {{"text", "x"}, {"preset", 5}}},
        {"/api/render", {{"text", "x"}, {"profile", {1, 2}}}},
        {"/api/ask", {{"text", "x"}, {"question", "q"}, {"target", 7}}},
    };
    for (const auto& [path, body] : attacks) {
        auto r = client.Post(path, body.dump(), "application/json");
        ASSERT_TRUE(r) << path;
        EXPECT_EQ(r->status, 400) << path << " " << body.dump() << ": " << r->body;
    }
}

TEST(ServeHostile, MaxBodyHoldsForChunkedBodies) {
    StubUpstream upstream;
    ServeOptions o;
    o.upstream = upstream.url();
    o.max_body_bytes = 64 * 1024;
    RunningServer server(o);
    const int fd = connect_loopback(server.server->port());
    ASSERT_GE(fd, 0);
    std::string request =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    (void)!::write(fd, request.data(), request.size());
    const std::string chunk = "4000\r\n" + std::string(0x4000, ' ') + "\r\n";  // 16 KiB each
    size_t sent = 0;
    for (int i = 0; i < 64; ++i) {  // 1 MiB offered; the server stops reading at 64 KiB
        if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) != ssize_t(chunk.size())) break;
        sent += chunk.size();
    }
    ::shutdown(fd, SHUT_WR);
    const std::string reply = read_to_close(fd);
    ::close(fd);
    EXPECT_EQ(status_of(reply), 413) << reply.substr(0, 300);
    EXPECT_NE(reply.find("--max-body"), std::string::npos);
    EXPECT_EQ(upstream.requests.size(), 0u);
    auto health = server.client().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

TEST(ServeHostile, CompressedBodiesAndHugeHeadersAreRefused) {
    ServeOptions o;
    RunningServer server(o);
    auto client = server.client();
    httplib::Headers gz{{"Content-Encoding", "gzip"}};
    auto r = client.Post("/api/render", gz, std::string("\x1f\x8b", 2), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 415);

    const int fd = connect_loopback(server.server->port());
    ASSERT_GE(fd, 0);
    std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < 500; ++i) request += "X-Filler-" + std::to_string(i) + ": y\r\n";
    request += "\r\n";
    (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    const std::string reply = read_to_close(fd);
    ::close(fd);
    EXPECT_EQ(status_of(reply), 431) << reply.substr(0, 300);
}

TEST(ServeHostile, RequestBudgetInPagesAndPixelsIsA413) {
    ServeOptions o;
    o.max_request_pages = 1;  // the document makes 2 pages
    RunningServer server(o);
    auto client = server.client();
    auto pages = client.Post("/api/render", json{{"text", long_document()}}.dump(), "application/json");
    ASSERT_TRUE(pages);
    EXPECT_EQ(pages->status, 413);
    EXPECT_NE(error_message(pages).find("at most 1 (--max-request-pages)"), std::string::npos) << pages->body;

    ServeOptions p;
    p.max_request_megapixels = 1;  // one 72 dpi A4 page is 0.5 MP
    RunningServer pixels(p);
    auto big = pixels.client().Post("/api/render", json{{"text", long_document()}, {"dpi", 300}}.dump(),
                                    "application/json");
    ASSERT_TRUE(big);
    EXPECT_EQ(big->status, 413);
    EXPECT_NE(error_message(big).find("megapixels"), std::string::npos) << big->body;
    auto small = pixels.client().Post("/api/render", json{{"text", "A short text."}}.dump(), "application/json");
    ASSERT_TRUE(small);
    EXPECT_EQ(small->status, 200) << small->body;

    // The proxy's text is budgeted before layout (whose memory grows with it).
    StubUpstream upstream;
    ServeOptions t;
    t.upstream = upstream.url();
    t.max_text_bytes = 4096;
    RunningServer texts(t);
    auto long_text = texts.client().Post("/v1/chat/completions", chat_body(false).dump(), "application/json");
    ASSERT_TRUE(long_text);
    EXPECT_EQ(long_text->status, 413);
    EXPECT_NE(error_message(long_text).find("--max-text"), std::string::npos) << long_text->body;
    EXPECT_EQ(upstream.requests.size(), 0u);
}

TEST(ServeHostile, IdleConnectionsDoNotStopHealthz) {
    ServeOptions o;
    o.max_connections_per_address = 0;  // every test client is 127.0.0.1
    RunningServer server(o);
    std::vector<int> idle;
    for (int i = 0; i < 300; ++i) {
        const int fd = connect_loopback(server.server->port());
        ASSERT_GE(fd, 0);
        idle.push_back(fd);
    }
    auto health = server.client().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    for (int fd : idle) ::close(fd);
}

TEST(ServeHostile, ConnectionsBeyondTheCapMayOnlyAskHealthz) {
    ServeOptions o;
    o.max_connections_per_address = 3;
    RunningServer server(o);
    std::vector<int> idle;
    for (int i = 0; i < 3; ++i) idle.push_back(connect_loopback(server.server->port()));
    // The server counts a connection when a thread takes it: wait until all three are counted.
    for (;;) {
        auto over = raw_get(server.server->port(), "/api/info");
        if (over.first == 503) {
            EXPECT_NE(over.second.find("too many open connections"), std::string::npos);
            break;
        }
        ASSERT_EQ(over.first, 200);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(raw_get(server.server->port(), "/healthz").first, 200);
    for (int fd : idle) ::close(fd);
    for (;;) {  // once they are gone, service is back
        if (raw_get(server.server->port(), "/api/info").first == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

TEST(ServeHostile, ASlowlorisClientIsCutOffAtTheHeaderDeadline) {
    ServeOptions o;
    o.header_timeout_s = 1;
    RunningServer server(o);
    const int fd = connect_loopback(server.server->port());
    ASSERT_GE(fd, 0);
    std::atomic<bool> closed{false};
    std::thread drip([&] {
        const std::string start = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        (void)!::send(fd, start.data(), start.size(), MSG_NOSIGNAL);
        // One header line at a time, forever, until the server gives up on us.
        for (int i = 0; i < 600 && !closed.load(); ++i) {
            const std::string line = "X-Drip: " + std::to_string(i) + "\r\n";
            if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) < 0) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    const std::string reply = read_to_close(fd);  // returns once the server closes
    closed.store(true);
    drip.join();
    ::close(fd);
    EXPECT_EQ(reply.find("200 OK"), std::string::npos) << "the never-ending request was served";
}

TEST(ServeHostile, ASlowReaderIsCutOffAtTheWriteDeadline) {
    ServeOptions o;
    o.read_timeout_s = 1;  // also the grace before the reply's pace counts
    o.max_request_pages = 1000;
    o.max_request_megapixels = 2000;
    RunningServer server(o);
    // A zip of pages larger than any socket buffer (a loopback one takes 4 MiB).
    std::string text;
    while (text.size() < 1600000) text += test::read_file(test::repo_path("samples/novel_excerpt.txt"));
    auto rendered = server.client().Post("/api/render", json{{"text", text}, {"preset", "en"}, {"dpi", 144}}.dump(),
                                         "application/json");
    ASSERT_TRUE(rendered);
    ASSERT_EQ(rendered->status, 200) << rendered->body;
    const std::string zip = json::parse(rendered->body)["zip"];

    // A small receive window, then 1 KiB every 100 ms: about 10 KiB/s, a third
    // of the pace a reply's reader must keep.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int window = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &window, sizeof window);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(server.server->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval generous{60, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &generous, sizeof generous);
    const std::string request = "GET " + zip + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), ssize_t(request.size()));
    std::string reply;
    char buf[1024];
    bool closed = false;
    for (int i = 0; i < 600 && !closed; ++i) {  // at most a minute
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) closed = true;
        else reply.append(buf, size_t(n));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::close(fd);
    const size_t header_end = reply.find("\r\n\r\n");
    ASSERT_NE(header_end, std::string::npos);
    const size_t length_at = reply.find("Content-Length: ");
    ASSERT_NE(length_at, std::string::npos);
    const size_t length = std::stoul(reply.substr(length_at + 16));
    EXPECT_GT(length, 8000000u) << "the reply must dwarf the socket buffers";
    EXPECT_TRUE(closed) << "the server kept feeding a reader far below the minimum pace";
    EXPECT_LT(reply.size() - header_end - 4, length);
    // The server is still there for everyone else.
    auto health = server.client().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

TEST(ServeHostile, SpecialFilesPlantedInTheCacheFolderAreMisses) {
    test::TempDir root;
    ServeOptions o;
    o.cache_dir = root.path + "/cache";
    std::string key;
    {
        RunningServer first(o);
        auto r = first.client().Post("/api/render", json{{"text", long_document()}}.dump(), "application/json");
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200);
        key = json::parse(r->body)["key"];
    }
    const std::string file = o.cache_dir + "/" + key + ".seg";
    for (const std::string kind : {"fifo", "symlink"}) {
        std::filesystem::remove(file);
        if (kind == "fifo") ASSERT_EQ(::mkfifo(file.c_str(), 0600), 0);
        else std::filesystem::create_symlink("/dev/zero", file);
        RunningServer fresh(o);  // a fresh memory layer: the folder is asked first
        auto r = fresh.client().Post("/api/render", json{{"text", long_document()}}.dump(), "application/json");
        ASSERT_TRUE(r) << kind;
        EXPECT_EQ(r->status, 200) << kind << ": " << r->body;
        EXPECT_FALSE(json::parse(r->body)["stats"]["cached"].get<bool>()) << kind;
    }
}

TEST(ServeHostile, IdenticalDocumentsAtOnceRenderOnce) {
    SegmentCache cache(64u << 20, "");
    SegmentRenderer renderer(cache, 1);
    const RenderConfig config = policy_render_config(ProxyPolicy{}, long_document());
    std::vector<std::thread> clients;
    std::atomic<int> pages{0};
    for (int i = 0; i < 20; ++i)
        clients.emplace_back([&] {
            RenderBudget budget(1000, 1000000000LL, 1u << 30);
            pages += int(renderer.render(long_document(), config, budget).segment->pages.size());
        });
    for (auto& t : clients) t.join();
    EXPECT_EQ(renderer.renders(), 1);
    EXPECT_GT(pages.load(), 20);
}

TEST(ServeHostile, UpstreamRetryAfterIsRelayedAndHugeRepliesAreCut) {
    glyph::test::Loopback limited([](const httplib::Request&, httplib::Response& res) {
        res.status = 429;
        res.set_header("Retry-After", "7");
        res.set_content(R"({"error":{"message":"slow down"}})", "application/json");
    });
    ServeOptions o;
    o.upstream = limited.endpoint();
    RunningServer server(o);
    auto r = server.client().Post("/v1/chat/completions", chat_body(false).dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 429);
    EXPECT_EQ(r->get_header_value("Retry-After"), "7");

    glyph::test::Loopback huge([](const httplib::Request& req, httplib::Response& res) {
        if (json::parse(req.body).value("stream", false)) {
            res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
                const std::string block(64 * 1024, 'x');  // one event that never ends
                if (!sink.write("data: ", 6)) return false;
                for (int i = 0; i < 32; ++i)
                    if (!sink.write(block.data(), block.size())) return false;
                sink.done();
                return true;
            });
        } else {
            res.set_content("{\"pad\":\"" + std::string(2u << 20, 'x') + "\"}", "application/json");
        }
    });
    ServeOptions h;
    h.upstream = huge.endpoint();
    h.max_upstream_reply_bytes = 256 * 1024;
    RunningServer capped(h);
    auto plain = capped.client().Post("/v1/chat/completions", chat_body(false).dump(), "application/json");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->status, 502);
    EXPECT_NE(error_message(plain).find("--max-upstream-reply"), std::string::npos) << plain->body.substr(0, 300);
    auto streamed = capped.client().Post("/v1/chat/completions", chat_body(true).dump(), "application/json");
    ASSERT_TRUE(streamed);
    EXPECT_LT(streamed->body.size(), 4096u);
    EXPECT_NE(streamed->body.find("--max-upstream-reply"), std::string::npos) << streamed->body.substr(0, 300);
}

TEST(ServeHostile, AClientLeavingBeforeTheFirstUpstreamByteFreesItsWorker) {
    std::mutex mutex;
    std::condition_variable cv;
    bool released = false;
    std::atomic<int> calls{0};
    glyph::test::Loopback stalling([&](const httplib::Request&, httplib::Response& res) {
        if (calls++ == 0) {  // the first request: a prefill that takes "forever"
            std::unique_lock lock(mutex);
            cv.wait_for(lock, std::chrono::seconds(30), [&] { return released; });
        }
        res.set_content(R"({"choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}]})",
                        "application/json");
    });
    ServeOptions o;
    o.upstream = stalling.endpoint();
    o.workers = 1;
    o.queue = 0;
    RunningServer server(o);
    const int fd = connect_loopback(server.server->port());
    ASSERT_GE(fd, 0);
    const std::string body = chat_body(false).dump();
    const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                "application/json\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), ssize_t(request.size()));
    while (calls.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ::close(fd);  // gone while the upstream is still silent
    // The only worker comes free long before the upstream would have answered.
    int status = 503;
    for (int i = 0; i < 400 && status == 503; ++i) {
        auto r = server.client().Post("/v1/chat/completions", body, "application/json");
        ASSERT_TRUE(r);
        status = r->status;
        if (status == 503) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    {
        std::lock_guard lock(mutex);
        released = true;
    }
    cv.notify_all();
    EXPECT_EQ(status, 200);
}
