// The SSE parser: any bytes, cut into pieces at places the input chooses;
// the events must not depend on how the body was cut.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "glyph/vlm.h"

namespace {

struct Parsed {
    std::vector<glyph::vlm::SseEvent> events;
    bool partial = false;
};

Parsed parse(std::string_view body, size_t piece) {
    Parsed out;
    glyph::vlm::SseParser parser([&](const glyph::vlm::SseEvent& e) { out.events.push_back(e); });
    for (size_t at = 0; at < body.size(); at += piece) parser.feed(body.substr(at, piece));
    out.partial = parser.finish();
    return out;
}

bool same(const Parsed& a, const Parsed& b) {
    if (a.partial != b.partial || a.events.size() != b.events.size()) return false;
    for (size_t i = 0; i < a.events.size(); ++i)
        if (a.events[i].event != b.events[i].event || a.events[i].data != b.events[i].data ||
            a.events[i].id != b.events[i].id)
            return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const size_t piece = 1 + data[0] % 16;
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (!same(parse(body, body.size() + 1), parse(body, piece))) __builtin_trap();
    return 0;
}
