// Connection handling in front of cpp-httplib's request parsing. Debian's
// httplib (0.11) times out per read, never per request, and does not show a
// connection's peer before its headers are parsed; this layer owns each
// accepted socket instead: caps on open connections (in total and per client
// address), a deadline for a request's headers, a minimum rate for its body,
// caps on header bytes and lines, a body cap that holds for every transfer
// encoding, a minimum pace for reading a reply, and an idle keep-alive
// timeout. httplib still parses and routes.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include <httplib.h>

namespace glyph::serve {

struct ConnectionLimits {
    int max_connections = 512;      // open at once; beyond: only /healthz, then close
    int max_per_address = 64;       // from one client address; 0 = no cap (reverse proxy)
    double header_timeout_s = 10;   // request line + headers, from the first byte (or from accept)
    double idle_timeout_s = 5;      // keep-alive wait for the next request
    double io_timeout_s = 30;       // one read or write making no progress
    double min_body_rate = 32 * 1024;  // bytes/s a body must keep up after header_timeout_s of grace
    // A reply's reader must keep up this pace, counted over the time the
    // server spends waiting on a full socket buffer, after io_timeout_s of
    // such waiting as grace: a client that reads a byte every 29 s can no
    // longer hold a thread for hours. Streams paced by the upstream are not
    // affected (writing them does not wait).
    double min_write_rate = 32 * 1024;
    size_t max_header_bytes = 64 * 1024;
    int max_header_lines = 100;
    size_t max_body_bytes = 32u << 20;  // bytes of body on the wire (chunk framing included)
    int keep_alive_max = 1000;      // requests per connection
};

// Why the current request's input was cut off (for the reply's message).
enum class InputCut { kNone, kHeadersTooLarge, kTooSlow, kBodyTooLarge };

class GuardedHttpServer : public httplib::Server {
public:
    explicit GuardedHttpServer(ConnectionLimits limits) : limits_(limits) {}

    const ConnectionLimits& limits() const { return limits_; }
    int open_connections() const { return open_.load(); }

    // About the request being handled on the calling thread (a connection is
    // served start to end on one thread); neutral values off such a thread.
    static bool over_capacity();      // admitted beyond a cap: only /healthz is answered
    static InputCut input_cut();
    static void headers_done();       // from the pre-routing handler: the body phase starts
    static void close_after_reply();  // end the connection once this reply is out
    // The calling thread's client closed or reset its connection (checked
    // without blocking); lets a request still waiting on upstream give up.
    static bool client_gone();
    static int current_socket();          // -1 off a connection thread
    static bool peer_closed(int socket);  // the same check, for another thread

private:
    bool process_and_close_socket(socket_t sock) override;
    bool admit(const std::string& address);
    void release(const std::string& address);

    const ConnectionLimits limits_;
    std::atomic<int> open_{0};
    std::mutex mutex_;
    std::map<std::string, int> per_address_;
};

}  // namespace glyph::serve
