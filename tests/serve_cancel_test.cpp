// A render stops when its client leaves: the pages of an abandoned request
// are never finished (so never cached), and the server goes on serving.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "glyph/serve.h"
#include "glyph/tokenizer.h"
#include "test_support.h"

using json = nlohmann::json;
using namespace glyph;
using namespace glyph::serve;

TEST(ServeCancel, ARenderStopsWhenItsClientLeaves) {
    ServeOptions o;
    o.port = 0;
    o.access_log = nullptr;
    o.workers = 1;
    // Room for one long render, so that only the client's leaving can stop it.
    o.max_body_bytes = 64u << 20;
    o.max_text_bytes = 64u << 20;
    o.max_request_pages = 100000;
    o.max_request_megapixels = 100000;
    static const Tokenizer tokenizer = Tokenizer::load(default_tokenizer_path());
    Server server(o, [](std::string_view s) { return static_cast<long long>(tokenizer.count(s)); });
    server.bind();
    std::thread thread([&] { server.run(); });

    // Long enough that rendering it takes far longer than noticing the close.
    std::string text;
    const std::string sample = test::read_file(test::repo_path("samples/novel_excerpt.txt"));
    while (text.size() < 20'000'000) text += sample;  // ~2,700 pages
    const std::string body = json{{"text", text}, {"preset", "en"}}.dump();

    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(server.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    const std::string head = "POST /api/render HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    const std::string request = head + body;
    for (size_t sent = 0; sent < request.size();) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        ASSERT_GT(n, 0);
        sent += size_t(n);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(800));  // the body is read, the render under way
    ::close(fd);

    // The one worker comes free again, and the same text is not in the cache:
    // the abandoned render never completed.
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(300);
    auto small = client.Post("/api/render", json{{"text", "A short note."}}.dump(), "application/json");
    ASSERT_TRUE(small);
    EXPECT_EQ(small->status, 200) << small->body;
    auto again = client.Post("/api/render", body, "application/json");
    ASSERT_TRUE(again);
    ASSERT_EQ(again->status, 200) << again->body.substr(0, 200);
    EXPECT_FALSE(json::parse(again->body)["stats"]["cached"].get<bool>());
    server.stop();
    thread.join();
}
