// Stopping long work from another thread: render_text (RenderOptions::cancel)
// and Tokenizer::encode / count take an optional stop flag and give up with
// Cancelled soon after it is set (within a page or a chunk of text).
#pragma once

#include <atomic>
#include "glyph/error.h"

namespace glyph {

// The work was given up because its stop flag was set; nothing it made is kept.
struct Cancelled : Error {
    Cancelled() : Error(ErrorKind::Cancelled, "cancelled: the stop flag was set") {}
};

// Throws Cancelled when `stop` is set; a null flag never stops.
inline void throw_if_cancelled(const std::atomic<bool>* stop) {
    if (stop && stop->load(std::memory_order_relaxed)) throw Cancelled();
}

}  // namespace glyph
