#include "serve/guarded_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstring>

namespace glyph::serve {

namespace {

using Clock = std::chrono::steady_clock;

std::string address_of(const sockaddr_storage& addr) {
    char text[INET6_ADDRSTRLEN] = "";
    if (addr.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text, sizeof text);
    else if (addr.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, text, sizeof text);
    return text;
}

int port_of(const sockaddr_storage& addr) {
    if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
    if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
    return 0;
}

// Waits for `events` on `sock` up to `seconds`; false on timeout or error.
bool wait_for(int sock, short events, double seconds) {
    if (seconds <= 0) return false;
    pollfd p{sock, events, 0};
    const int ms = int(std::ceil(std::min(seconds * 1000, 1e9)));
    for (;;) {
        const int r = ::poll(&p, 1, std::max(1, ms));
        if (r < 0 && errno == EINTR) continue;
        return r > 0 && (p.revents & (events | POLLHUP | POLLERR));
    }
}

bool ready_now(int sock, short events) {
    pollfd p{sock, events, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (events | POLLHUP | POLLERR));
}

// One accepted socket as httplib's Stream, with the request's deadlines and caps.
class GuardedStream : public httplib::Stream {
public:
    GuardedStream(int sock, const ConnectionLimits& limits) : sock_(sock), limits_(limits) {}

    // A request may start: its headers must be in within `seconds` from now.
    void begin_request(double seconds) {
        header_phase_ = true;
        deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
        header_bytes_ = 0;
        header_lines_ = 0;
        body_bytes_ = 0;
        bytes_out_ = 0;
        write_wait_s_ = 0;
        cut_ = InputCut::kNone;
        close_ = false;
    }
    void begin_body() {
        header_phase_ = false;
        body_start_ = Clock::now();
    }
    // Bytes of a next request arrived within `seconds` (keep-alive wait).
    bool wait_request(double seconds) const { return pos_ < len_ || wait_for(sock_, POLLIN, seconds); }

    InputCut cut() const { return cut_; }
    // The connection cannot carry another request: asked to close, input cut
    // off, or a read failed (the request on it is incomplete).
    bool closing() const { return close_ || failed_ || cut_ != InputCut::kNone; }
    void close_after_reply() { close_ = true; }
    // The reply was abandoned for a reader too slow or stuck: what is still
    // queued for it is dropped, not trickled out after the thread has gone.
    bool write_cut() const { return write_cut_; }
    bool over_capacity = false;

    bool is_readable() const override { return pos_ < len_ || wait_for(sock_, POLLIN, limits_.io_timeout_s); }
    bool is_writable() const override { return wait_writable(); }

    ssize_t read(char* out, size_t size) override {
        if (cut_ != InputCut::kNone) return -1;
        if (pos_ == len_ && !fill()) return -1;
        const size_t n = std::min(size, len_ - pos_);
        if (!account(buffer_ + pos_, n)) return -1;
        std::memcpy(out, buffer_ + pos_, n);
        pos_ += n;
        return ssize_t(n);
    }

    // Never blocks inside send(): a blocking send of a large reply would wait
    // on the client for as long as it likes, past every deadline here.
    ssize_t write(const char* data, size_t size) override {
        for (;;) {
            if (!wait_writable()) return -1;
            const ssize_t n = ::send(sock_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
            if (n > 0) bytes_out_ += size_t(n);
            return n;
        }
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override { peer(ip, port, true); }
    void get_local_ip_and_port(std::string& ip, int& port) const override { peer(ip, port, false); }
    socket_t socket() const override { return sock_; }

private:
    // Seconds left before this phase's deadline.
    double remaining() const {
        const auto deadline =
            header_phase_ ? deadline_
                          : body_start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                              limits_.header_timeout_s + double(body_bytes_) / limits_.min_body_rate));
        return std::chrono::duration<double>(deadline - Clock::now()).count();
    }

    // Waits until the socket takes more bytes, within what is left of this
    // reply's write allowance (see ConnectionLimits::min_write_rate). The
    // pace counts bytes the client has taken, not bytes the kernel queued:
    // a loopback send buffer alone can swallow megabytes.
    bool wait_writable() const {
        if (ready_now(sock_, POLLOUT)) return true;  // the buffer has room: no waiting to count
        int unsent = 0;
        if (::ioctl(sock_, SIOCOUTQ, &unsent) != 0) unsent = 0;
        const double delivered = double(bytes_out_) - std::max(0, unsent);
        const double allowance = limits_.io_timeout_s + std::max(0.0, delivered) / limits_.min_write_rate - write_wait_s_;
        const auto start = Clock::now();
        const bool ok = wait_for(sock_, POLLOUT, std::min(allowance, limits_.io_timeout_s));
        write_wait_s_ += std::chrono::duration<double>(Clock::now() - start).count();
        if (!ok) {
            failed_ = true;
            write_cut_ = true;
        }
        return ok;
    }

    bool fill() {
        const double left = remaining();
        if (!wait_for(sock_, POLLIN, std::min(left, limits_.io_timeout_s))) {
            if (left <= limits_.io_timeout_s) cut_ = InputCut::kTooSlow;  // the deadline ended the wait
            failed_ = true;
            return false;
        }
        for (;;) {
            const ssize_t n = ::recv(sock_, buffer_, sizeof buffer_, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                failed_ = true;
                return false;
            }
            pos_ = 0;
            len_ = size_t(n);
            return true;
        }
    }

    // httplib reads headers a byte at a time and the body in blocks: both pass here.
    bool account(const char* data, size_t n) {
        if (header_phase_) {
            header_bytes_ += n;
            header_lines_ += int(std::count(data, data + n, '\n'));
            if (header_bytes_ > limits_.max_header_bytes || header_lines_ > limits_.max_header_lines + 1)
                cut_ = InputCut::kHeadersTooLarge;
        } else {
            body_bytes_ += n;
            if (body_bytes_ > limits_.max_body_bytes) cut_ = InputCut::kBodyTooLarge;
        }
        return cut_ == InputCut::kNone;
    }

    void peer(std::string& ip, int& port, bool remote) const {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        const int r = remote ? getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len)
                             : getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len);
        ip = r == 0 ? address_of(addr) : "";
        port = r == 0 ? port_of(addr) : 0;
    }

    const int sock_;
    const ConnectionLimits& limits_;
    char buffer_[4096];
    size_t pos_ = 0, len_ = 0;
    bool header_phase_ = true;
    Clock::time_point deadline_{};
    Clock::time_point body_start_{};
    size_t header_bytes_ = 0;
    int header_lines_ = 0;
    size_t body_bytes_ = 0;
    size_t bytes_out_ = 0;              // of the current reply
    mutable double write_wait_s_ = 0;   // seconds this reply waited on a full socket buffer
    InputCut cut_ = InputCut::kNone;
    bool close_ = false;
    mutable bool failed_ = false;
    mutable bool write_cut_ = false;
};

thread_local GuardedStream* current = nullptr;

// Connections beyond a cap get this long to send one request (for /healthz).
constexpr double kOverCapacityTimeoutS = 2;

}  // namespace

bool GuardedHttpServer::over_capacity() { return current && current->over_capacity; }
InputCut GuardedHttpServer::input_cut() { return current ? current->cut() : InputCut::kNone; }
void GuardedHttpServer::headers_done() {
    if (current) current->begin_body();
}
void GuardedHttpServer::close_after_reply() {
    if (current) current->close_after_reply();
}

int GuardedHttpServer::current_socket() { return current ? current->socket() : -1; }
bool GuardedHttpServer::client_gone() { return current && peer_closed(current->socket()); }

bool GuardedHttpServer::peer_closed(int sock) {
    if (sock < 0) return false;
    pollfd p{sock, short(POLLIN | POLLRDHUP), 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR | POLLRDHUP)) return true;
    // Readable: either the next pipelined request (still there) or end of stream.
    char byte;
    return ::recv(sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

bool GuardedHttpServer::admit(const std::string& address) {
    std::lock_guard lock(mutex_);
    int& mine = per_address_[address];
    const bool ok = open_.load() < limits_.max_connections &&
                    (limits_.max_per_address <= 0 || mine < limits_.max_per_address);
    ++mine;
    ++open_;
    return ok;
}

void GuardedHttpServer::release(const std::string& address) {
    std::lock_guard lock(mutex_);
    auto it = per_address_.find(address);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
    --open_;
}

bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
    std::string address;
    int port = 0;
    GuardedStream stream(sock, limits_);
    stream.get_remote_ip_and_port(address, port);
    stream.over_capacity = !admit(address);
    current = &stream;
    const int rounds = stream.over_capacity ? 1 : std::max(1, limits_.keep_alive_max);
    const double header_s = stream.over_capacity ? kOverCapacityTimeoutS : limits_.header_timeout_s;
    stream.begin_request(header_s);  // from accept: an idle new connection counts against the deadline
    bool first = true;
    for (int left = rounds; left > 0; --left) {
        if (!stream.wait_request(first ? header_s : limits_.idle_timeout_s)) break;
        if (!first) stream.begin_request(header_s);
        first = false;
        bool connection_closed = false;
        const bool ok = process_request(stream, left == 1, connection_closed, nullptr);
        if (!ok || connection_closed || stream.closing()) break;
    }
    current = nullptr;
    if (stream.write_cut()) {
        const linger reset{1, 0};  // close with a reset: the queued bytes go too
        setsockopt(sock, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    } else {
        ::shutdown(sock, SHUT_RDWR);
    }
    ::close(sock);
    release(address);
    return true;
}

}  // namespace glyph::serve
