// The server's connection threads: up to a fixed number, started as
// connections need them, and a bounded backlog. When the backlog is full the
// accepting thread waits, which leaves further connections in the kernel's
// listen queue instead of in memory.
//
// Not a WorkPool (glyph/work_pool.h), on purpose: a connection thread blocks
// on its socket for the connection's whole life, keep-alive waits included,
// and httplib hands connections over through its TaskQueue interface. The
// rendering a request asks for runs on a WorkPool like every other render.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace glyph::serve {

class ConnectionPool : public httplib::TaskQueue {
public:
    ConnectionPool(int threads, int max_pending);
    ~ConnectionPool() override;

    void enqueue(std::function<void()> fn) override;
    // Runs what is queued, then joins the threads.
    void shutdown() override;
    // No thread is free for the next connection: every thread holds one
    // (serving it, or waiting on it for a keep-alive request) or some wait.
    bool saturated() const;

private:
    void work();

    const size_t max_threads_;
    const size_t max_pending_;
    mutable std::mutex mutex_;
    std::condition_variable has_work_;
    std::condition_variable has_room_;
    std::deque<std::function<void()>> pending_;
    std::vector<std::thread> threads_;
    size_t active_ = 0;  // threads inside a connection
    size_t idle_ = 0;    // threads waiting for one
    bool stopping_ = false;
};

}  // namespace glyph::serve
