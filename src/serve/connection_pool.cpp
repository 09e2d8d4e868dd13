#include "serve/connection_pool.h"

namespace glyph::serve {

ConnectionPool::ConnectionPool(int threads, int max_pending) : max_pending_(size_t(max_pending)) {
    threads_.reserve(size_t(threads));
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::enqueue(std::function<void()> fn) {
    std::unique_lock lock(mutex_);
    has_room_.wait(lock, [&] { return pending_.size() < max_pending_ || stopping_; });
    pending_.push_back(std::move(fn));
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
            has_work_.wait(lock, [&] { return !pending_.empty() || stopping_; });
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
    return !pending_.empty() || active_ >= threads_.size();
}

}  // namespace glyph::serve
