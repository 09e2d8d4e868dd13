#include "vlm/curl_global.h"

#include <curl/curl.h>

#include <mutex>

namespace glyph::vlm {

void init_curl_once() {
    static std::once_flag flag;
    std::call_once(flag, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace glyph::vlm
