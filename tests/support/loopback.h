// A scripted OpenAI-protocol peer for tests: an httplib server on 127.0.0.1
// (a free port) answering POST /v1/chat/completions with the given handler,
// in a background thread that is stopped and joined on destruction.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

namespace glyph::test {

class Loopback {
public:
    explicit Loopback(httplib::Server::Handler handler) {
        server_.Post("/v1/chat/completions", std::move(handler));
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ~Loopback() {
        server_.stop();
        thread_.join();
    }
    Loopback(const Loopback&) = delete;
    Loopback& operator=(const Loopback&) = delete;
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
    int port() const { return port_; }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
};

}  // namespace glyph::test
