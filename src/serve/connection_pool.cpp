#include "serve/connection_pool.h"

#include <algorithm>

namespace glyph::serve {

ConnectionPool::ConnectionPool(int threads, int max_pending)
    : max_threads_(size_t(std::max(1, threads))), max_pending_(size_t(max_pending)) {
    threads_.reserve(max_threads_);
}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::enqueue(std::function<void()> fn) {
    std::unique_lock lock(mutex_);
    has_room_.wait(lock, [&] { return pending_.size() < max_pending_ || stopping_; });
    pending_.push_back(std::move(fn));
    if (pending_.size() > idle_ && threads_.size() < max_threads_ && !stopping_)
        threads_.emplace_back([this] { work(); });
    lock.unlock();
    has_work_.notify_one();
}

void ConnectionPool::shutdown() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
    }
    has_work_.notify_all();
    has_room_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
}

void ConnectionPool::work() {
    for (;;) {
        std::function<void()> fn;
        {
            std::unique_lock lock(mutex_);
            ++idle_;
            has_work_.wait(lock, [&] { return !pending_.empty() || stopping_; });
            --idle_;
            if (pending_.empty()) return;
            fn = std::move(pending_.front());
            pending_.pop_front();
            ++active_;
        }
        has_room_.notify_one();
        fn();
        std::lock_guard lock(mutex_);
        --active_;
    }
}

bool ConnectionPool::saturated() const {
    std::lock_guard lock(mutex_);
    return !pending_.empty() || active_ >= max_threads_;
}

}  // namespace glyph::serve
