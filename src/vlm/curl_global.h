// libcurl's process-wide setup, done once for every part of glyph that
// speaks HTTP through curl (the VLM client, the proxy's upstream calls).
#pragma once

namespace glyph::vlm {

// Runs curl_global_init the first time it is called; later calls return at once.
void init_curl_once();

}  // namespace glyph::vlm
