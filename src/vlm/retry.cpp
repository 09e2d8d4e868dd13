// When and how long to wait before retrying a failed request.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "glyph/vlm.h"

namespace glyph::vlm {

bool is_retryable_status(int status) {
    if (status == 429) return true;
    return status >= 500 && status <= 599 && status != 501 && status != 505;
}

std::optional<double> parse_retry_after(std::string_view value, std::time_t now) {
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.remove_prefix(1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (value.size() > 9) return std::nullopt;
        return std::stod(std::string(value));
    }
    const std::time_t when = curl_getdate(std::string(value).c_str(), nullptr);
    if (when < 0) return std::nullopt;
    return std::max(0.0, std::difftime(when, now));
}

double backoff_delay(const RetryPolicy& policy, int retry, double jitter01) {
    const double exponential = policy.base_delay_s * std::ldexp(1.0, std::min(retry, 30));
    const double capped = std::min(policy.max_delay_s, exponential);
    return capped * (0.5 + 0.5 * std::clamp(jitter01, 0.0, 1.0));
}

std::optional<double> next_retry_delay(const RetryPolicy& policy, int retries_done,
                                       std::optional<double> retry_after_s, double jitter01) {
    if (retries_done >= policy.max_retries) return std::nullopt;
    if (retry_after_s) {
        if (*retry_after_s > policy.max_retry_after_s) return std::nullopt;
        return *retry_after_s;
    }
    return backoff_delay(policy, retries_done, jitter01);
}

}  // namespace glyph::vlm
