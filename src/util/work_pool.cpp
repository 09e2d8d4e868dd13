#include "glyph/work_pool.h"

#include <algorithm>

namespace glyph {

WorkPool::WorkPool(int threads) {
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    threads_ = threads;
    helpers_.reserve(size_t(threads - 1));
    for (int t = 1; t < threads; ++t) helpers_.emplace_back([this] { work(); });
}

WorkPool::~WorkPool() {
    {
        std::lock_guard lock(mu_);
        closing_ = true;
    }
    changed_.notify_all();
    for (std::thread& t : helpers_) t.join();
}

void WorkPool::submit(Group& group, std::function<void()> task) {
    {
        std::lock_guard lock(mu_);
        ++group.pending_;
        queue_.push_back({&group, std::move(task)});
    }
    changed_.notify_all();
}

// Called with the lock held and a task queued; returns with the lock held.
void WorkPool::run_one(std::unique_lock<std::mutex>& lock) {
    Task task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    std::exception_ptr error;
    if (!task.group->failed_) {
        try {
            task.run();
        } catch (...) {
            error = std::current_exception();
            task.group->failed_ = true;
        }
    }
    task.run = nullptr;  // what the task captured goes before its group is told it is done
    lock.lock();
    if (error && !task.group->error_) task.group->error_ = error;
    if (--task.group->pending_ == 0) changed_.notify_all();
}

void WorkPool::work() {
    std::unique_lock lock(mu_);
    for (;;) {
        changed_.wait(lock, [this] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) return;  // closing, nothing left
        run_one(lock);
    }
}

void WorkPool::wait(Group& group) {
    std::unique_lock lock(mu_);
    while (group.pending_ > 0) {
        if (!queue_.empty()) {
            run_one(lock);
            continue;
        }
        changed_.wait(lock, [&] { return group.pending_ == 0 || !queue_.empty(); });
    }
    if (group.error_) {
        std::exception_ptr error = group.error_;
        group.error_ = nullptr;
        group.failed_ = false;
        std::rethrow_exception(error);
    }
}

}  // namespace glyph
