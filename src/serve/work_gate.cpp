#include "serve/work_gate.h"

namespace glyph::serve {

WorkGate::WorkGate(int slots, int max_waiting) : slots_(slots), max_waiting_(max_waiting) {}

std::shared_ptr<WorkGate::Ticket> WorkGate::acquire(std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    if (busy_ >= slots_) {
        if (waiting_ >= max_waiting_) return nullptr;
        ++waiting_;
        const bool got = freed_.wait_for(lock, wait, [&] { return busy_ < slots_; });
        --waiting_;
        if (!got) return nullptr;
    }
    ++busy_;
    return std::make_shared<Ticket>(*this);
}

void WorkGate::release() {
    {
        std::lock_guard lock(mutex_);
        --busy_;
    }
    freed_.notify_one();
}

int WorkGate::busy() const {
    std::lock_guard lock(mutex_);
    return busy_;
}

int WorkGate::waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
}

}  // namespace glyph::serve
