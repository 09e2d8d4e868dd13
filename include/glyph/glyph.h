// glyph: long texts as page images for vision-language models (the Glyph
// method, arXiv 2510.17800). This header includes the whole public API.
//
// Basic usage
// -----------
//
// Render a text into pages, exactly as Glyph's training pipeline typesets it:
//
//     #include <glyph/glyph.h>
//
//     const glyph::RenderConfig config = glyph::preset_for_text("auto", text);  // "en", "zh", "code"
//     const glyph::Renderer renderer(config);          // loads the fonts once, validates the config
//     glyph::RenderResult pages = renderer.render(text);
//     for (const glyph::Page& page : pages.pages) {
//         std::vector<uint8_t> png = glyph::encode_png(page.image);
//         // page.text_begin .. page.text_end: the bytes of `text` this page shows
//     }
//
// A config key can be changed by name, with the keys of Glyph's config files:
//
//     config = glyph::apply_config_json(R"({"dpi": 96})", config);  // ConfigError names a bad key
//
// Lay a text out first (how many pages, which lines, no pixels yet), then
// draw only the pages you need, from any thread:
//
//     const glyph::Layout layout = renderer.layout(text);
//     int n = layout.page_count();
//     glyph::Page last = renderer.rasterize(layout, n - 1);
//
// Long renders take a stop flag and report progress (glyph::RenderOptions):
//
//     std::atomic<bool> stop{false};
//     glyph::RenderOptions options;
//     options.cancel = &stop;                          // set it: render throws glyph::Cancelled
//     options.on_progress = [](const glyph::RenderProgress& p) { ... p.pages_rasterized ... };
//     options.threads = 0;                             // raster on every core
//     renderer.render(text, options);
//
// Count what the pages save: text tokens (an exact BPE tokenizer) against the
// vision tokens the pages cost a VLM:
//
//     const glyph::Tokenizer tokenizer = glyph::Tokenizer::load("qwen3");  // or a tokenizer.json path
//     size_t text_tokens = tokenizer.count(text);
//     const glyph::VisionProfile& profile = glyph::find_profile("glm-4.1v");
//     glyph::CompressionStats stats = glyph::account(text, pages, tokenizer, profile);
//     std::puts(glyph::ratio_line(stats).c_str());     // "compression 3.41x: 41,235 text tokens -> ..."
//
// Ask a VLM about the pages (any OpenAI-compatible server: vLLM or SGLang
// serving zai-org/Glyph):
//
//     glyph::vlm::ClientOptions client_options;
//     client_options.endpoint = "http://127.0.0.1:8000/v1";
//     glyph::vlm::Client client(client_options);
//     glyph::vlm::ChatRequest request;
//     std::vector<std::string> urls;
//     for (const glyph::Page& page : pages.pages)
//         urls.push_back(glyph::vlm::data_url(glyph::encode_png(page.image), "image/png"));
//     request.messages.push_back(glyph::vlm::pages_message(std::move(urls), "Who wrote the letter?"));
//     request.sampling = glyph::vlm::default_sampling(profile.name);
//     std::string answer = client.chat(request).content;
//
// Errors: everything glyph throws on purpose is a glyph::Error with a kind()
// (glyph/error.h) and a one-line message; glyph::is_usage_error(kind) tells
// the caller's own mistakes (a bad config, unusable input) from failures.
//
// No header included here carries a JSON type. The headers whose subject is
// a JSON document take nlohmann::json and are included on their own: the
// render folder and its manifest (glyph/page_writer.h, accounting_manifest.h),
// batch rows (batch.h, context_budget.h), the config as a JSON object
// (config_json.h), benchmarks (eval.h, eval_run.h, eval_generate.h,
// needles.h), the search (search.h) and the server (serve.h).
#pragma once

#include "glyph/accounting.h"
#include "glyph/cancel.h"
#include "glyph/config.h"
#include "glyph/encode.h"
#include "glyph/error.h"
#include "glyph/file_write.h"
#include "glyph/image.h"
#include "glyph/ocr.h"
#include "glyph/render.h"
#include "glyph/renderer.h"
#include "glyph/tokenizer.h"
#include "glyph/vision_tokens.h"
#include "glyph/vlm.h"
#include "glyph/work_pool.h"
