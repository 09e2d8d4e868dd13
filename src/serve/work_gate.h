// Back-pressure for expensive requests: a fixed number of work slots and a
// bounded number of waiters; anything beyond is refused at once (503), so
// load never builds an unbounded queue.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace glyph::serve {

class WorkGate {
public:
    WorkGate(int slots, int max_waiting);

    // Holds a slot until destroyed.
    class Ticket {
    public:
        explicit Ticket(WorkGate& gate) : gate_(&gate) {}
        ~Ticket() { gate_->release(); }
        Ticket(const Ticket&) = delete;
        Ticket& operator=(const Ticket&) = delete;

    private:
        WorkGate* gate_;
    };

    // A slot, or nullptr when all slots are busy and the waiting line is full,
    // or when no slot came free within `wait`.
    std::shared_ptr<Ticket> acquire(std::chrono::milliseconds wait);

    int busy() const;
    int waiting() const;
    int slots() const { return slots_; }

private:
    void release();

    const int slots_;
    const int max_waiting_;
    mutable std::mutex mutex_;
    std::condition_variable freed_;
    int busy_ = 0;
    int waiting_ = 0;
};

}  // namespace glyph::serve
