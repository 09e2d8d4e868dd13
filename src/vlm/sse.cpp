// Server-sent events (text/event-stream) parsing, as the WHATWG HTML
// specification defines it: CR, LF or CRLF line ends, comments, multi-line data.
#include "glyph/vlm.h"

namespace glyph::vlm {

SseParser::SseParser(std::function<void(const SseEvent&)> on_event, size_t max_line_bytes)
    : on_event_(std::move(on_event)), max_line_bytes_(max_line_bytes) {}

void SseParser::feed(std::string_view bytes) {
    if (overflowed_) return;
    size_t start = 0;
    // A CRLF may be split across two chunks: the LF then ends nothing.
    if (skip_lf_ && !bytes.empty() && bytes.front() == '\n') start = 1;
    skip_lf_ = false;
    for (size_t i = start; i < bytes.size(); ++i) {
        const char c = bytes[i];
        if (c != '\n' && c != '\r') continue;
        buffer_.append(bytes.data() + start, i - start);
        line(buffer_);
        buffer_.clear();
        if (c == '\r') {
            if (i + 1 < bytes.size()) {
                if (bytes[i + 1] == '\n') ++i;
            } else {
                skip_lf_ = true;
            }
        }
        start = i + 1;
    }
    buffer_.append(bytes.data() + start, bytes.size() - start);
    if (buffer_.size() > max_line_bytes_) overflowed_ = true;
}

bool SseParser::finish() {
    const bool partial = !buffer_.empty() || pending_fields_;
    buffer_.clear();
    pending_ = SseEvent{};
    has_data_ = pending_fields_ = false;
    return partial;
}

void SseParser::line(std::string_view l) {
    if (l.empty()) {
        if (has_data_) {
            if (!pending_.data.empty() && pending_.data.back() == '\n') pending_.data.pop_back();
            on_event_(pending_);
        }
        pending_ = SseEvent{};
        has_data_ = pending_fields_ = false;
        return;
    }
    if (l.front() == ':') return;  // comment, e.g. a keep-alive
    pending_fields_ = true;
    std::string_view field = l, value;
    if (const size_t colon = l.find(':'); colon != std::string_view::npos) {
        field = l.substr(0, colon);
        value = l.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
        if (pending_.data.size() + value.size() > max_line_bytes_) {
            overflowed_ = true;  // many short data lines make one long event
            return;
        }
        pending_.data.append(value);
        pending_.data.push_back('\n');
        has_data_ = true;
    } else if (field == "event") {
        pending_.event = value;
    } else if (field == "id") {
        pending_.id = value;
    }
    // "retry" and unknown fields are ignored: reconnection is the client's retry policy.
}

}  // namespace glyph::vlm
