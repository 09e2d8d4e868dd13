// Relays an upstream server-sent-event stream to the client event by event,
// bytes unchanged, except that an event carrying a "usage" object gets the
// proxy's accounting added as usage.glyph.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace glyph::serve {

class SseRelay {
public:
    // An event still open after `max_event_bytes` is not relayed (overflowed()).
    SseRelay(nlohmann::json glyph_usage, size_t max_event_bytes)
        : glyph_usage_(std::move(glyph_usage)), max_event_bytes_(max_event_bytes) {}
    // The bytes to send on: every event completed by `bytes`.
    std::string feed(std::string_view bytes);
    // The upstream sent more than max_event_bytes without ending an event.
    bool overflowed() const { return pending_.size() > max_event_bytes_; }
    // End of stream: whatever is left, as received.
    std::string finish();

private:
    std::string event(std::string_view raw) const;

    nlohmann::json glyph_usage_;
    size_t max_event_bytes_;
    std::string pending_;
};

// A non-streamed completion body with usage.glyph added; unchanged when it is
// not a JSON object.
std::string add_glyph_usage(const std::string& body, const nlohmann::json& glyph_usage);

}  // namespace glyph::serve
