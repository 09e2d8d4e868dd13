// The one worker pool: every task runs once, the waiting thread works too,
// a group's first error comes back from wait() and skips the rest.
#include <gtest/gtest.h>

#include <atomic>
#include <algorithm>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "glyph/work_pool.h"

namespace {

using glyph::WorkPool;

TEST(WorkPool, OneThreadRunsEverythingInOrderInsideWait) {
    WorkPool pool(1);
    WorkPool::Group group;
    std::vector<int> order;
    const std::thread::id caller = std::this_thread::get_id();
    bool all_on_caller = true;
    for (int i = 0; i < 5; ++i)
        pool.submit(group, [&, i] {
            order.push_back(i);
            all_on_caller = all_on_caller && std::this_thread::get_id() == caller;
        });
    EXPECT_TRUE(order.empty()) << "a pool of one starts no thread";
    pool.wait(group);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_TRUE(all_on_caller);
}

TEST(WorkPool, EveryTaskRunsOnceAcrossTheThreads) {
    WorkPool pool(4);
    EXPECT_EQ(pool.threads(), 4);
    WorkPool::Group group;
    std::vector<std::atomic<int>> runs(1000);
    std::mutex mu;
    std::set<std::thread::id> threads;
    for (size_t i = 0; i < runs.size(); ++i)
        pool.submit(group, [&, i] {
            ++runs[i];
            std::lock_guard lock(mu);
            threads.insert(std::this_thread::get_id());
        });
    pool.wait(group);
    for (size_t i = 0; i < runs.size(); ++i) ASSERT_EQ(runs[i], 1) << "task " << i;
    EXPECT_LE(threads.size(), 4u);
}

// A group waits only for its own tasks, and the waiter runs queued tasks of
// any group: on a pool of two, the caller finishes the quick group while the
// helper is held by a long task of another group.
TEST(WorkPool, GroupsAreWaitedForSeparately) {
    WorkPool pool(2);
    WorkPool::Group slow, quick;
    std::atomic<bool> release{false}, slow_started{false};
    pool.submit(slow, [&] {
        slow_started = true;
        while (!release) std::this_thread::yield();
    });
    while (!slow_started) std::this_thread::yield();
    std::atomic<int> done{0};
    for (int i = 0; i < 10; ++i) pool.submit(quick, [&] { ++done; });
    pool.wait(quick);
    EXPECT_EQ(done, 10);
    release = true;
    pool.wait(slow);
}

TEST(WorkPool, FirstErrorIsRethrownAndTheRestSkipped) {
    WorkPool pool(1);
    WorkPool::Group group;
    int ran = 0;
    pool.submit(group, [&] { ++ran; });
    pool.submit(group, [] { throw std::runtime_error("page 2 failed"); });
    pool.submit(group, [&] { ++ran; });
    try {
        pool.wait(group);
        ADD_FAILURE() << "wait did not rethrow";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "page 2 failed");
    }
    EXPECT_EQ(ran, 1);
    // The group is usable again once waited for.
    pool.submit(group, [&] { ++ran; });
    pool.wait(group);
    EXPECT_EQ(ran, 2);
}

TEST(WorkPool, ErrorOnAHelperThreadReachesTheWaiter) {
    WorkPool pool(3);
    WorkPool::Group group;
    for (int i = 0; i < 50; ++i)
        pool.submit(group, [i] {
            if (i == 7) throw std::invalid_argument("bad item");
        });
    EXPECT_THROW(pool.wait(group), std::invalid_argument);
}

TEST(WorkPool, ZeroMeansOnePerCore) {
    WorkPool pool(0);
    EXPECT_EQ(pool.threads(), int(std::max(1u, std::thread::hardware_concurrency())));
}

}  // namespace
