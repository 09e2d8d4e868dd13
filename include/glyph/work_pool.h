// The worker threads a command spreads its work over: a render's pages, and
// beside them the text-token counting, share one pool, so `--threads N` means
// N threads doing all of it. The thread that waits on a group is one of the N:
// it runs queued tasks until its group is done, so a pool of 1 starts no
// thread at all and runs everything, in submission order, inside wait().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace glyph {

class WorkPool {
public:
    // Tasks waited for together. The first exception a task throws is kept
    // and rethrown by wait(); the group's tasks not yet started are skipped.
    // A group must outlive its tasks: wait() on it before it goes away.
    class Group {
    public:
        Group() = default;
        Group(const Group&) = delete;
        Group& operator=(const Group&) = delete;
        bool failed() const { return failed_; }  // a task threw; the rest are being skipped

    private:
        friend class WorkPool;
        size_t pending_ = 0;         // guarded by the pool's mutex
        std::exception_ptr error_;   // likewise
        std::atomic<bool> failed_{false};
    };

    // threads <= 0: one per core. threads - 1 helper threads are started.
    explicit WorkPool(int threads);
    ~WorkPool();  // finishes the queued tasks, then joins
    WorkPool(const WorkPool&) = delete;
    WorkPool& operator=(const WorkPool&) = delete;

    int threads() const { return threads_; }
    void submit(Group& group, std::function<void()> task);
    // Runs queued tasks (of any group, oldest first) on this thread until
    // every task of `group` has finished; rethrows the group's first error.
    void wait(Group& group);

private:
    struct Task {
        Group* group;
        std::function<void()> run;
    };
    void work();  // a helper thread's loop
    void run_one(std::unique_lock<std::mutex>& lock);

    int threads_;
    std::mutex mu_;
    // A task was queued or finished, or the pool is closing: helpers wait
    // for work and wait() for its group on the same signal, so a waiting
    // thread also wakes to help with tasks queued after it began waiting.
    std::condition_variable changed_;
    std::deque<Task> queue_;
    bool closing_ = false;
    std::vector<std::thread> helpers_;
};

}  // namespace glyph
