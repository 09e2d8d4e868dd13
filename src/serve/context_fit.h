// The context limit, respected: a chat or Responses request counted as the
// upstream will see it (its images by the vision profile, its text with the
// proxy's tokenizer and a margin, template tokens, the tokens it asks for),
// and the model's max_model_len as the upstream's /v1/models reports it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "glyph/context_budget.h"
#include "glyph/serve.h"
#include "glyph/vision_tokens.h"
#include "serve/compress.h"

namespace glyph::serve {

// `items` is the request's "messages" (chat) or "input" (Responses; a string
// is one message). Images are priced by their size when it can be read (PNG
// data URLs, as the proxy's pages are); others count nothing.
PromptCount count_request(const nlohmann::json& body, const MessageFormat& format, const VisionProfile& profile,
                          const TextTokenCounter& count_tokens);

// max_model_len of `model` in a /v1/models reply (vLLM's field; SGLang's
// max_model_len too), or of its only model; 0 when it says nothing.
long long max_model_len(const nlohmann::json& models_reply, const std::string& model);

// OpenAI's error for a request over the context, naming the limit, the count
// and what was tried.
nlohmann::json context_error(long long limit, const std::string& limit_source, const PromptCount& count,
                             const std::string& tried);

}  // namespace glyph::serve
