// glyph ask end to end, against the OCR test server over loopback: needles
// in a long generated document are found from the rendered pages; every
// injected fault ends with its documented exit code and nothing hangs.
#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "glyph/encode.h"
#include "glyph/image.h"
#include "glyph/needles.h"
#include "glyph/tokenizer.h"
#include "child_process.h"
#include "loopback.h"
#include "test_support.h"

namespace {

using glyph::test::Child;
using glyph::test::OcrTestServer;
using glyph::test::read_line;
using glyph::test::run_command;
using glyph::test::run_glyph;
using glyph::test::shell_quote;

const glyph::Tokenizer& tokenizer() {
    static const glyph::Tokenizer t = glyph::Tokenizer::load(glyph::default_tokenizer_path());
    return t;
}

glyph::NeedleDocument needle_doc(int64_t tokens, int needles, uint64_t seed) {
    glyph::NeedleOptions o;
    o.target_tokens = tokens;
    o.needles = needles;
    o.seed = seed;
    return glyph::make_needle_document(o, tokenizer());
}

std::string ask_args(const std::string& doc, const std::string& question, const std::string& endpoint,
                     const std::string& extra = "") {
    return "ask --doc " + shell_quote(doc) + " --question " + shell_quote(question) + " --endpoint " +
           shell_quote(endpoint) + " --hide-thinking " + extra;
}

// ---- needles ----------------------------------------------------------------------

TEST(AskEndToEnd, NeedlesFoundInALongDocument) {
    // CI asks about a 50K-token document; GLYPH_ASK_E2E_TOKENS=200000 is the
    // documented long run (docs/ask.md).
    const char* env = std::getenv("GLYPH_ASK_E2E_TOKENS");
    const int64_t target = env ? std::atoll(env) : 50000;
    const glyph::NeedleDocument doc = needle_doc(target, 4, 20261123);
    ASSERT_GE(doc.tokens, target);
    glyph::test::TempDir tmp;
    const std::string path = tmp.file("haystack.txt");
    glyph::test::write_file(path, doc.text);

    OcrTestServer server;
    for (const glyph::Needle& needle : doc.needles) {
        // The first question waits while Tesseract reads every page (150 pages
        // at 200K tokens: minutes on a busy 2-core machine), the prefill a
        // real server would do; the default 600 s read timeout is too short.
        const auto r = run_glyph(
            ask_args(path, glyph::needle_question(needle.key), server.endpoint(), "--read-timeout 3600"));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.out.find(needle.value), std::string::npos)
            << "needle " << needle.key << " = " << needle.value << " at depth " << needle.depth << "; answer: " << r.out;
        EXPECT_NE(r.err.find("text tokens (document)       " + std::to_string(doc.tokens)), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("compression ratio"), std::string::npos);
        EXPECT_NE(r.err.find("prompt tokens (server)"), std::string::npos);
        EXPECT_NE(r.err.find("time to first token"), std::string::npos);
    }
}

TEST(AskEndToEnd, WrongKeyIsNotInvented) {
    const glyph::NeedleDocument doc = needle_doc(1500, 1, 5);
    glyph::test::TempDir tmp;
    glyph::test::write_file(tmp.file("d.txt"), doc.text);
    OcrTestServer server;
    const auto r = run_glyph(ask_args(tmp.file("d.txt"), glyph::needle_question("plaid-unicorn"), server.endpoint()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("could not find"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(doc.needles[0].value), std::string::npos);
}

TEST(AskEndToEnd, CompareWithTextEndpointShowsBothAnswersAndCosts) {
    const glyph::NeedleDocument doc = needle_doc(3000, 1, 11);
    glyph::test::TempDir tmp;
    glyph::test::write_file(tmp.file("d.txt"), doc.text);
    OcrTestServer server;
    const auto r = run_glyph(ask_args(tmp.file("d.txt"), glyph::needle_question(doc.needles[0].key),
                                      server.endpoint(), "--compare-text-endpoint " + server.endpoint()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const size_t text_header = r.out.find("--- text LLM answer");
    ASSERT_NE(text_header, std::string::npos) << r.out;
    EXPECT_LT(r.out.find(doc.needles[0].value), text_header) << r.out;  // the pages' answer
    EXPECT_NE(r.out.find(doc.needles[0].value, text_header), std::string::npos) << r.out;  // the text's
    EXPECT_NE(r.err.find("glyph (pages)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("document cost (tokens)"), std::string::npos) << r.err;
}

// ---- the request on the wire --------------------------------------------------------

// What a vLLM server would receive from `glyph ask`, captured by a loopback
// server and checked against the documented OpenAI shape (docs/ask.md).
class Capture {
public:
    Capture()
        : server_([this](const httplib::Request& req, httplib::Response& res) {
            {
                std::lock_guard lock(mutex_);
                body_ = req.body;
                authorization_ = req.get_header_value("Authorization");
                content_type_ = req.get_header_value("Content-Type");
            }
            const nlohmann::json usage = {{"prompt_tokens", 10}, {"completion_tokens", 2}, {"total_tokens", 12}};
            const nlohmann::json reply = {
                {"id", "c"},
                {"object", "chat.completion"},
                {"model", "zai-org/Glyph"},
                {"choices",
                 {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", "captured"}}}, {"finish_reason", "stop"}}}},
                {"usage", usage}};
            if (nlohmann::json::parse(req.body, nullptr, false).value("stream", false)) {
                const nlohmann::json delta = {{"id", "c"},
                                              {"object", "chat.completion.chunk"},
                                              {"choices",
                                               {{{"index", 0}, {"delta", {{"content", "captured"}}}, {"finish_reason", "stop"}}}}};
                res.set_content("data: " + delta.dump() + "\n\ndata: [DONE]\n\n", "text/event-stream");
            } else {
                res.set_content(reply.dump(), "application/json");
            }
        }) {}
    std::string endpoint() const { return server_.endpoint(); }
    nlohmann::json body() {
        std::lock_guard lock(mutex_);
        return nlohmann::json::parse(body_);
    }
    std::string authorization() {
        std::lock_guard lock(mutex_);
        return authorization_;
    }
    std::string content_type() {
        std::lock_guard lock(mutex_);
        return content_type_;
    }

private:
    // Declared before the server, which uses them from its first request.
    std::mutex mutex_;
    std::string body_, authorization_, content_type_;
    glyph::test::Loopback server_;
};

// The page images of a request, decoded from their data URLs; fails the test
// when a part strays from {"type": "image_url", "image_url": {"url": "data:<type>;base64,..."}}.
std::vector<glyph::Image> images_of(const nlohmann::json& body, const std::string& question, const std::string& media_type) {
    std::vector<glyph::Image> images;
    EXPECT_TRUE(body["model"].is_string());
    const nlohmann::json& messages = body["messages"];
    EXPECT_TRUE(messages.is_array() && messages.size() == 1) << messages.dump().substr(0, 200);
    const nlohmann::json& m = messages[0];
    EXPECT_EQ(m.size(), 2u);
    EXPECT_EQ(m["role"], "user");
    const nlohmann::json& content = m["content"];
    EXPECT_TRUE(content.is_array() && content.size() >= 2);
    if (!content.is_array() || content.empty()) return images;
    const std::string prefix = "data:" + media_type + ";base64,";
    for (size_t i = 0; i + 1 < content.size(); ++i) {
        const nlohmann::json& part = content[i];
        EXPECT_EQ(part.size(), 2u) << part.dump().substr(0, 200);
        EXPECT_EQ(part["type"], "image_url");
        EXPECT_TRUE(part["image_url"].is_object() && part["image_url"].size() == 1);
        const std::string url = part["image_url"].value("url", "");
        EXPECT_EQ(url.rfind(prefix, 0), 0u) << url.substr(0, 60);
        const auto bytes = glyph::base64_decode(std::string_view(url).substr(url.find(',') + 1));
        images.push_back(glyph::decode_image(bytes.data(), bytes.size()));
    }
    // The question is text, last, after every page (as Glyph sends it).
    EXPECT_EQ(content.back(), nlohmann::json({{"type", "text"}, {"text", question}}));
    return images;
}

TEST(AskEndToEnd, RequestOnTheWireIsTheDocumentedOpenAIShape) {
    const glyph::NeedleDocument doc = needle_doc(3000, 1, 7);
    glyph::test::TempDir tmp;
    glyph::test::write_file(tmp.file("d.txt"), doc.text);
    // The pages `glyph render` makes with the same settings: what must arrive.
    auto r = run_glyph("render " + shell_quote(tmp.file("d.txt")) + " --preset en --out " + shell_quote(tmp.file("pages")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json manifest = nlohmann::json::parse(glyph::test::read_file(tmp.file("pages/manifest.json")));
    const size_t page_count = manifest["pages"].size();
    ASSERT_GE(page_count, 2u);

    Capture capture;
    const std::string question = glyph::needle_question(doc.needles[0].key);
    r = run_command("GLYPH_WIRE_KEY=sk-wire-7 " + shell_quote(GLYPH_CLI) + " " +
                    ask_args(tmp.file("d.txt"), question, capture.endpoint(), "--preset en --api-key-env GLYPH_WIRE_KEY"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "captured\n");
    EXPECT_EQ(capture.authorization(), "Bearer sk-wire-7");
    EXPECT_EQ(capture.content_type(), "application/json");

    nlohmann::json body = capture.body();
    const std::vector<glyph::Image> sent = images_of(body, question, "image/png");
    ASSERT_EQ(sent.size(), page_count);
    for (size_t i = 0; i < page_count; ++i) {
        const glyph::Image page =
            glyph::read_image_file(tmp.file("pages/" + manifest["pages"][i]["file"].get<std::string>()));
        EXPECT_EQ(sent[i].width, page.width) << "page " << i + 1;
        EXPECT_EQ(sent[i].height, page.height) << "page " << i + 1;
        EXPECT_TRUE(sent[i].pixels == page.pixels) << "page " << i + 1 << " differs from glyph render's";
    }
    // Glyph's sampling for the glm-4.1v profile, and nothing else besides.
    body.erase("messages");
    EXPECT_EQ(body, nlohmann::json({{"model", "zai-org/Glyph"},
                                    {"max_tokens", 8192},
                                    {"temperature", 0.0001},
                                    {"top_p", 1.0},
                                    {"top_k", 1},
                                    {"repetition_penalty", 1.1},
                                    {"stop_token_ids", {151329, 151348, 151336}},
                                    {"skip_special_tokens", false},
                                    {"include_stop_str_in_output", false},
                                    {"stream", true},
                                    {"stream_options", {{"include_usage", true}}}}));

    // Another encoding, a pixel budget, no streaming: still the same shape.
    r = run_glyph(ask_args(tmp.file("d.txt"), question, capture.endpoint(),
                           "--preset en --image-format jpeg --max-pixels 150000 --no-stream --model m"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    body = capture.body();
    const std::vector<glyph::Image> small = images_of(body, question, "image/jpeg");
    EXPECT_EQ(small.size(), page_count);
    for (const glyph::Image& img : small) EXPECT_LE(int64_t(img.width) * img.height, 150000);
    EXPECT_EQ(body["model"], "m");
    EXPECT_FALSE(body.value("stream", false));
    EXPECT_FALSE(body.contains("stream_options"));
}

// ---- streaming --------------------------------------------------------------------

TEST(AskEndToEnd, AnswerStreamsWhileTheServerIsStillSending) {
    const glyph::NeedleDocument doc = needle_doc(800, 1, 3);
    glyph::test::TempDir tmp;
    glyph::test::write_file(tmp.file("d.txt"), doc.text);
    // 300 ms between deltas: the answer's ~10 words take ~3 s to arrive.
    OcrTestServer server({"--token-delay-ms", "300"});
    Child glyph({GLYPH_CLI, "ask", "--doc", tmp.file("d.txt"), "--question", glyph::needle_question(doc.needles[0].key),
                 "--endpoint", server.endpoint(), "--hide-thinking"});
    // The first word is on stdout while glyph still waits for the rest.
    pollfd p{glyph.out(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 120000), 1);
    char buf[256];
    const ssize_t n = read(glyph.out(), buf, sizeof buf);
    ASSERT_GT(n, 0);
    EXPECT_TRUE(glyph.running()) << std::string(buf, size_t(n));
    std::string rest(buf, size_t(n));
    while ((p = pollfd{glyph.out(), POLLIN, 0}, poll(&p, 1, 60000)) == 1) {
        const ssize_t m = read(glyph.out(), buf, sizeof buf);
        if (m <= 0) break;
        rest.append(buf, size_t(m));
    }
    EXPECT_EQ(glyph.wait(30), 0);
    EXPECT_NE(rest.find(doc.needles[0].value), std::string::npos) << rest;
}

// ---- faults -----------------------------------------------------------------------

class AskFaults : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server_ = new OcrTestServer();
        tmp_ = new glyph::test::TempDir();
        doc_ = new glyph::NeedleDocument(needle_doc(600, 1, 42));
        glyph::test::write_file(tmp_->file("d.txt"), doc_->text);
    }
    static void TearDownTestSuite() {
        delete server_;
        delete tmp_;
        delete doc_;
    }
    static glyph::test::CommandResult ask(const std::string& model, const std::string& flags = "") {
        return run_glyph(ask_args(tmp_->file("d.txt"), glyph::needle_question(doc_->needles[0].key),
                                  server_->endpoint(), "--retry-base 0.05 --model " + shell_quote(model) + " " + flags));
    }
    static std::string value() { return doc_->needles[0].value; }

    static OcrTestServer* server_;
    static glyph::test::TempDir* tmp_;
    static glyph::NeedleDocument* doc_;
};
OcrTestServer* AskFaults::server_ = nullptr;
glyph::test::TempDir* AskFaults::tmp_ = nullptr;
glyph::NeedleDocument* AskFaults::doc_ = nullptr;

// Only the last line of stderr is the error; it names the problem.
std::string last_line(const std::string& s) {
    std::string t = s;
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t.substr(t.rfind('\n') == std::string::npos ? 0 : t.rfind('\n') + 1);
}

TEST_F(AskFaults, ServerErrorsAreRetriedUntilTheyPass) {
    const auto r = ask("test-fault/status:503x2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(value()), std::string::npos);
    EXPECT_NE(r.err.find("HTTP 503 from"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("attempt 3 of 4"), std::string::npos) << r.err;
}

TEST_F(AskFaults, PersistentServerErrorExits5) {
    const auto r = ask("test-fault/status:500", "--retries 1");
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(last_line(r.err).find("HTTP 500"), std::string::npos) << r.err;
    EXPECT_NE(last_line(r.err).find("gave up after 2 attempts"), std::string::npos) << r.err;
}

TEST_F(AskFaults, RateLimitHonoursRetryAfter) {
    const auto r = ask("test-fault/status:429:1x1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(value()), std::string::npos);
    EXPECT_NE(r.err.find("HTTP 429 from"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("retrying in 1.0 s"), std::string::npos) << r.err;
}

TEST_F(AskFaults, RetryAfterLongerThanAllowedExits5AtOnce) {
    const auto r = ask("test-fault/status:429:3600");
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(last_line(r.err).find("retry after 3600 s"), std::string::npos) << r.err;
}

TEST_F(AskFaults, DroppedConnectionIsRetried) {
    const auto r = ask("test-fault/dropx1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(value()), std::string::npos);
    EXPECT_NE(r.err.find("connection dropped"), std::string::npos) << r.err;
}

TEST_F(AskFaults, ConnectionThatAlwaysDropsExits5) {
    const auto r = ask("test-fault/drop", "--retries 1");
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(last_line(r.err).find("dropped"), std::string::npos) << r.err;
}

TEST_F(AskFaults, SlowFirstByteWithinTheReadTimeoutIsFine) {
    const auto r = ask("test-fault/slow:1.5", "--read-timeout 30");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(value()), std::string::npos);
}

TEST_F(AskFaults, SlowFirstByteBeyondTheReadTimeoutExits4) {
    const auto r = ask("test-fault/slow:4", "--read-timeout 1");
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(last_line(r.err).find("read timeout"), std::string::npos) << r.err;
}

TEST_F(AskFaults, ConnectionCutMidAnswerExits8AndKeepsThePartialAnswer) {
    const auto r = ask("test-fault/cut");
    EXPECT_EQ(r.exit_code, 8) << r.err;
    EXPECT_NE(r.out.find("The special magic"), std::string::npos) << r.out;
    EXPECT_NE(last_line(r.err).find("broke off"), std::string::npos) << r.err;
    // Words already printed cannot be taken back, so this is not retried.
    EXPECT_EQ(r.err.find("retrying"), std::string::npos) << r.err;
}

TEST_F(AskFaults, SilenceMidAnswerHitsTheReadTimeoutAndExits4) {
    const auto r = ask("test-fault/stall:30", "--read-timeout 1");
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.out.find("The special magic"), std::string::npos) << r.out;
    EXPECT_NE(last_line(r.err).find("read timeout) in the middle of the answer"), std::string::npos) << r.err;
}

TEST_F(AskFaults, MalformedEventStreamExits7) {
    const auto r = ask("test-fault/malformed-sse");
    EXPECT_EQ(r.exit_code, 7) << r.err;
    EXPECT_NE(last_line(r.err).find("malformed server-sent event"), std::string::npos) << r.err;
}

TEST_F(AskFaults, TruncatedStreamExits8AndKeepsThePartialAnswer) {
    const auto r = ask("test-fault/truncate");
    EXPECT_EQ(r.exit_code, 8) << r.err;
    EXPECT_NE(r.out.find("The special magic"), std::string::npos) << r.out;
    EXPECT_NE(last_line(r.err).find("ended before the answer was complete"), std::string::npos) << r.err;
}

TEST_F(AskFaults, NonJsonReplyExits7) {
    const auto r = ask("test-fault/non-json");
    EXPECT_EQ(r.exit_code, 7) << r.err;
    EXPECT_NE(last_line(r.err).find("is not JSON (text/html)"), std::string::npos) << r.err;
}

TEST_F(AskFaults, ReplyWithoutChoicesExits7) {
    const auto r = ask("test-fault/no-choices", "--no-stream");
    EXPECT_EQ(r.exit_code, 7) << r.err;
    EXPECT_NE(last_line(r.err).find("has no choices"), std::string::npos) << r.err;
}

TEST_F(AskFaults, RejectedRequestExits6WithoutRetry) {
    const auto r = ask("test-fault/status:400");
    EXPECT_EQ(r.exit_code, 6) << r.err;
    EXPECT_EQ(r.err.find("retrying"), std::string::npos) << r.err;
}

TEST_F(AskFaults, UnreachableEndpointExits3) {
    // A port that was free a moment ago: bound, then closed, never listened on.
    int port = 0;
    {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_GE(fd, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
        port = ntohs(addr.sin_port);
        close(fd);
    }
    const auto r = run_glyph(ask_args(tmp_->file("d.txt"), "What?", "http://127.0.0.1:" + std::to_string(port) + "/v1"));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(last_line(r.err).find("cannot reach http://127.0.0.1:"), std::string::npos) << r.err;
}

TEST_F(AskFaults, BadInputExits2) {
    auto r = run_glyph(ask_args(tmp_->file("missing.txt"), "What?", server_->endpoint()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(last_line(r.err).find("cannot read --doc"), std::string::npos) << r.err;
    r = run_glyph(ask_args(tmp_->file("d.txt"), "What?", "localhost:8000"));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    r = run_glyph(ask_args(tmp_->file("d.txt"), "What?", server_->endpoint(), "--extra-json '[1]'"));
    EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST_F(AskFaults, CtrlCCancelsAWaitingRequestWithExit130) {
    Child glyph({GLYPH_CLI, "ask", "--doc", tmp_->file("d.txt"), "--question", "What?", "--endpoint",
                 server_->endpoint(), "--model", "test-fault/slow:60"});
    // Interrupt once the request is on its way.
    const std::string line = read_line(glyph.err(), 60);
    ASSERT_NE(line.find("sending them to"), std::string::npos) << line;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(glyph.pid(), SIGINT);
    EXPECT_EQ(glyph.wait(20), 130);
}

TEST_F(AskFaults, CtrlCMidAnswerExits130AndKeepsThePartialAnswer) {
    Child glyph({GLYPH_CLI, "ask", "--doc", tmp_->file("d.txt"), "--question", "What?", "--endpoint",
                 server_->endpoint(), "--model", "test-fault/stall:60", "--hide-thinking"});
    // Interrupt once the first words are on stdout and the server has gone quiet.
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (out.find("The special magic") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        pollfd p{glyph.out(), POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        char buf[256];
        const ssize_t n = read(glyph.out(), buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, size_t(n));
    }
    ASSERT_NE(out.find("The special magic"), std::string::npos) << out;
    kill(glyph.pid(), SIGINT);
    EXPECT_EQ(glyph.wait(20), 130);
}

TEST_F(AskFaults, CtrlCCancelsARetryWaitWithExit130) {
    Child glyph({GLYPH_CLI, "ask", "--doc", tmp_->file("d.txt"), "--question", "What?", "--endpoint",
                 server_->endpoint(), "--model", "test-fault/status:429:90", "--max-retry-after", "120"});
    // The server asked for 90 s; Ctrl-C must not wait for them.
    std::string line;
    for (int i = 0; i < 5 && line.find("retrying in 90") == std::string::npos; ++i) line = read_line(glyph.err(), 60);
    ASSERT_NE(line.find("retrying in 90"), std::string::npos) << line;
    kill(glyph.pid(), SIGINT);
    EXPECT_EQ(glyph.wait(20), 130);
}

TEST_F(AskFaults, ApiKeyIsSentButNeverPrinted) {
    const std::string key = "sk-e2e-secret-4242";
    const auto r = run_command("GLYPH_TEST_KEY=" + key + " " + shell_quote(GLYPH_CLI) + " " +
                               ask_args(tmp_->file("d.txt"), "What?", server_->endpoint(),
                                        "--api-key-env GLYPH_TEST_KEY --model test-fault/status:500 --retries 0"));
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(r.err.find(key), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find(key), std::string::npos);
}

// The server checks every request against the documented OpenAI shape, so a
// passing ask proves glyph's shape; this shows the check really rejects.
TEST_F(AskFaults, TestServerRejectsRequestsOffTheDocumentedShape) {
    httplib::Client c("127.0.0.1", server_->port());
    auto post = [&](const nlohmann::json& body) {
        auto res = c.Post("/v1/chat/completions", body.dump(), "application/json");
        return res ? res->status : -1;
    };
    const nlohmann::json question = {{"type", "text"}, {"text", "What?"}};
    EXPECT_EQ(post({{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}}), 200);
    EXPECT_EQ(post({{"messages", {{{"role", "user"}, {"content", "hello"}}}}}), 400);
    EXPECT_EQ(post({{"model", "m"}, {"messages", {{{"role", "robot"}, {"content", "hello"}}}}}), 400);
    EXPECT_EQ(post({{"model", "m"},
                    {"messages", {{{"role", "user"}, {"content", {{{"type", "image_url"}, {"image_url", "data:x"}}, question}}}}}}),
              400);
    EXPECT_EQ(post({{"model", "m"},
                    {"messages",
                     {{{"role", "user"},
                       {"content", {{{"type", "image_url"}, {"image_url", {{"url", "https://example.org/a.png"}}}}, question}}}}}}),
              400);
    EXPECT_EQ(post({{"model", "m"}, {"stop_token_ids", {"a"}}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}}), 400);
}

}  // namespace
