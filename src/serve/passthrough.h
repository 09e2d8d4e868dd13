// The proxy's relay: what of a client's request goes upstream (its method,
// end-to-end headers and body), and the upstream's reply sent back as it
// came (status, end-to-end headers, body; streamed as it arrives when the
// upstream streams), with usage.glyph added only for compressed requests.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "serve/upstream.h"

namespace glyph::serve {

// OpenAI's error shape, so that OpenAI clients show the message.
void send_error(httplib::Response& res, int status, const std::string& message,
                const std::string& type = "invalid_request_error");

// Hop-by-hop headers (RFC 9110 section 7.6.1) and those a relay sets itself
// (Host, Content-Length, Transfer-Encoding, Content-Encoding, Expect).
bool is_hop_by_hop(std::string_view name);

// The client's headers worth sending upstream: all but hop-by-hop ones, the
// ones named in its Connection header, cpp-httplib's own (REMOTE_ADDR, ...),
// Accept-Encoding, and Authorization unless `keep_authorization`.
HeaderList forwarded_request_headers(const httplib::Request& req, bool keep_authorization);

struct RelayOptions {
    size_t max_reply_bytes = 64u << 20;  // a buffered reply, or one streamed event
    const std::atomic<bool>* abort = nullptr;  // the shutdown grace period is over
    // Compressed requests: added as usage.glyph to a 200 JSON reply or to the
    // streamed event carrying usage. Null: the body passes byte for byte.
    nlohmann::json glyph_usage;
    // A chat stream that carries no usage gets one last chunk with usage.glyph.
    bool final_usage_chunk = false;
};

// Sends `call`'s reply (its headers are in) to the client: headers and
// status at once; the body buffered (bounded) when it is not an event stream
// and the upstream sent a length or usage.glyph is to be added, else relayed
// chunk by chunk. `hold`
// (the request's worker ticket) lives until the reply is complete.
void relay_reply(std::shared_ptr<UpstreamCall> call, httplib::Response& res, RelayOptions options,
                 std::shared_ptr<void> hold);

}  // namespace glyph::serve
