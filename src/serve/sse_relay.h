// Relays an upstream server-sent-event stream to the client event by event,
// bytes unchanged, except that an event carrying a "usage" object (at the top,
// or in "response" for the Responses API) gets the proxy's accounting added
// as usage.glyph.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace glyph::serve {

class SseRelay {
public:
    // An event still open after `max_event_bytes` is not relayed (overflowed()).
    // A null `glyph_usage` relays every event unchanged. `final_usage_chunk`:
    // a chat stream with no usage event gets one, `{"object":
    // "chat.completion.chunk", "choices": [], "usage": {"glyph": ...}}`, just
    // before its `data: [DONE]`, so every stream says what was decided.
    SseRelay(nlohmann::json glyph_usage, size_t max_event_bytes, bool final_usage_chunk = false)
        : glyph_usage_(std::move(glyph_usage)),
          max_event_bytes_(max_event_bytes),
          final_usage_chunk_(final_usage_chunk) {}
    // The bytes to send on: every event completed by `bytes`.
    std::string feed(std::string_view bytes);
    // The upstream sent more than max_event_bytes without ending an event.
    bool overflowed() const { return pending_.size() > max_event_bytes_; }
    // End of stream: whatever is left, as received.
    std::string finish();

private:
    std::string event(std::string_view raw);

    nlohmann::json glyph_usage_;
    size_t max_event_bytes_;
    bool final_usage_chunk_;
    bool usage_sent_ = false;
    std::string pending_;
};

// A non-streamed completion body with usage.glyph added; unchanged when it is
// not a JSON object.
std::string add_glyph_usage(const std::string& body, const nlohmann::json& glyph_usage);

}  // namespace glyph::serve
