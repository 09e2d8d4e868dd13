// Every worked example in shared/spec/vision-tokens.md §2 that a built-in
// profile covers, plus the rounding trap, limits and error paths.
#include <gtest/gtest.h>

#include <string>

#include "glyph/vision_tokens.h"

namespace glyph {
namespace {

struct Page {
    int64_t w, h;
};
constexpr Page a4_72{595, 842}, a4_144{1190, 1684}, a4_96{794, 1123};

int64_t image_tokens(const char* profile, Page p) { return find_profile(profile).image_tokens(p.w, p.h); }
int64_t total(const char* profile, Page p) { return find_profile(profile).per_image_total(p.w, p.h); }

VisionProfile with_limits(const char* name, VisionLimits limits) {
    VisionProfile p = find_profile(name);
    p.limits = limits;
    return p;
}

TEST(SmartResize, RoundsHalfToEvenLikePython) {
    // 1190 / 28 = 42.5 exactly: Python gives 42 (1176); C's round() would give 43 (1204).
    const SmartResizeRule glm{28, 2, true};
    EXPECT_EQ(smart_resize(1190, 1684, glm, 12544, 9633792), (PixelSize{1176, 1680}));
    EXPECT_EQ(smart_resize(595, 842, glm, 12544, 9633792), (PixelSize{588, 840}));
    EXPECT_EQ(smart_resize(794, 1123, glm, 12544, 9633792), (PixelSize{784, 1120}));
    const SmartResizeRule qwen3{32, 1, false};
    EXPECT_EQ(smart_resize(595, 842, qwen3, 65536, 16777216), (PixelSize{608, 832}));
    EXPECT_EQ(smart_resize(1190, 1684, qwen3, 65536, 16777216), (PixelSize{1184, 1696}));
    EXPECT_EQ(smart_resize(794, 1123, qwen3, 65536, 16777216), (PixelSize{800, 1120}));
}

TEST(SmartResize, RejectsAspectOver200) {
    EXPECT_THROW(smart_resize(10000, 40, SmartResizeRule{28, 2, true}, 12544, 9633792), VisionTokenError);
    EXPECT_THROW(find_profile("qwen2.5-vl").image_tokens(30, 6100), VisionTokenError);
}

TEST(VisionProfiles, GlmAndGlyph) {
    EXPECT_EQ(image_tokens("glm-4.1v", a4_72), 630);
    EXPECT_EQ(total("glm-4.1v", a4_72), 632);
    EXPECT_EQ(image_tokens("glm-4.1v", a4_144), 2520);
    EXPECT_EQ(total("glm-4.1v", a4_144), 2522);
    EXPECT_EQ(image_tokens("glm-4.1v", a4_96), 1120);
    EXPECT_EQ(total("glm-4.1v", a4_96), 1122);
    EXPECT_EQ(&find_profile("glyph"), &find_profile("glm-4.1v"));
    EXPECT_EQ(default_profile_name(), "glm-4.1v");
    EXPECT_EQ(vision_profiles().front().name, "glm-4.1v");
}

TEST(VisionProfiles, GlmPixelBounds) {
    const auto& glm = find_profile("glyph");
    // Sides under 28 px are scaled up first, then the area floor (12544 / 2) applies:
    // 20x100 -> 28x140 -> beta sqrt(12544 / 7840) -> 56x196.
    EXPECT_EQ(glm.image_tokens(100, 20), 56 * 196 / 784);
    EXPECT_EQ(glm.image_tokens(28, 28), 9);  // 84x84 after the floor
    // The ceiling (9633792 / 2 px) caps an image at 6144 tokens.
    EXPECT_LE(glm.image_tokens(10000, 10000), 6144);
    EXPECT_GT(glm.image_tokens(10000, 10000), 6000);
}

TEST(VisionProfiles, ClientPreShrinkAppliesBeforeTheServer) {
    VisionLimits limits = find_profile("glm-4.1v").limits;
    // Glyph's default 36 MP client cap never touches a page.
    EXPECT_EQ(with_limits("glm-4.1v", limits).image_tokens(1190, 1684), 2520);
    // A 1 MP cap: 1190x1684 -> 840x1189 -> smart_resize 840x1176.
    limits.client_max_pixels = 1000000;
    EXPECT_EQ(with_limits("glm-4.1v", limits).image_tokens(1190, 1684), 840 * 1176 / 784);
}

TEST(VisionProfiles, Qwen25Vl) {
    for (const char* name : {"qwen2.5-vl", "qwen2-vl"}) {
        EXPECT_EQ(image_tokens(name, a4_72), 630);
        EXPECT_EQ(total(name, a4_72), 632);
        EXPECT_EQ(image_tokens(name, a4_144), 2520);
        EXPECT_EQ(total(name, a4_144), 2522);
        EXPECT_EQ(image_tokens(name, a4_96), 1120);
    }
}

TEST(VisionProfiles, Qwen3Vl) {
    EXPECT_EQ(image_tokens("qwen3-vl", a4_72), 494);
    EXPECT_EQ(total("qwen3-vl", a4_72), 496);
    EXPECT_EQ(image_tokens("qwen3-vl", a4_144), 1961);
    EXPECT_EQ(image_tokens("qwen3-vl", a4_96), 875);
}

TEST(VisionProfiles, DeepSeekOcrModes) {
    for (Page p : {a4_72, a4_144, a4_96}) {
        EXPECT_EQ(total("deepseek-ocr-tiny", p), 73);
        EXPECT_EQ(total("deepseek-ocr-small", p), 111);
        EXPECT_EQ(total("deepseek-ocr-base", p), 273);
        EXPECT_EQ(total("deepseek-ocr-large", p), 421);
        EXPECT_EQ(total("deepseek-ocr-gundam", p), 903);  // 2 wide x 3 high tiles
    }
    EXPECT_EQ(&find_profile("deepseek-ocr"), &find_profile("deepseek-ocr-gundam"));
    EXPECT_EQ(total("deepseek-ocr", Page{640, 600}), 273);  // small pages get only the global view
}

TEST(VisionProfiles, InternVl) {
    for (Page p : {a4_72, a4_144, a4_96}) {
        EXPECT_EQ(image_tokens("internvl3", p), 1792);
        EXPECT_EQ(total("internvl3", p), 1794);
    }
    EXPECT_EQ(image_tokens("internvl3", Page{448, 448}), 256);  // one tile, no thumbnail
}

TEST(VisionProfiles, Gemma3) {
    for (Page p : {a4_72, a4_144, a4_96}) {
        EXPECT_EQ(image_tokens("gemma-3", p), 256);
        EXPECT_EQ(image_tokens("gemma-3-pan-scan", p), 768);  // 2 vertical crops + the original
    }
    EXPECT_EQ(image_tokens("gemma-3-pan-scan", Page{800, 800}), 256);  // square: Pan&Scan stays off
}

TEST(VisionProfiles, LlavaOnevision) {
    EXPECT_EQ(total("llava-onevision", a4_72), 4964);
    EXPECT_EQ(total("llava-onevision", a4_144), 7353);
    EXPECT_EQ(total("llava-onevision", a4_96), 5427);
}

TEST(VisionProfiles, MiniCpmV) {
    EXPECT_EQ(image_tokens("minicpm-v-2.6", a4_72), 192);
    EXPECT_EQ(total("minicpm-v-2.6", a4_72), 202);
    EXPECT_EQ(image_tokens("minicpm-v-2.6", a4_144), 576);
    EXPECT_EQ(total("minicpm-v-2.6", a4_144), 600);
    EXPECT_EQ(image_tokens("minicpm-v-2.6", a4_96), 448);
    EXPECT_EQ(total("minicpm-v-2.6", a4_96), 467);
}

TEST(VisionProfiles, Pixtral) {
    EXPECT_EQ(total("pixtral-12b", a4_72), 2067);
    EXPECT_EQ(find_profile("pixtral").count(595, 842).wrapper, 53);
    EXPECT_EQ(total("pixtral-12b", a4_144), 3008);
    EXPECT_EQ(total("pixtral-12b", a4_96), 3008);
}

TEST(VisionProfiles, LlamaVision) {
    for (Page p : {a4_72, a4_144, a4_96}) EXPECT_EQ(total("llama-3.2-vision", p), 1);
}

TEST(VisionProfiles, Phi35Vision) {
    for (Page p : {a4_72, a4_144, a4_96}) EXPECT_EQ(total("phi-3.5-vision", p), 757);
    const VisionProfile sixteen = with_limits("phi-3.5-vision", {0, 0, 0, 16, 0});
    for (Page p : {a4_72, a4_144, a4_96}) EXPECT_EQ(sixteen.per_image_total(p.w, p.h), 1933);
}

TEST(VisionProfiles, Phi4Multimodal) {
    EXPECT_EQ(total("phi-4-multimodal", a4_72), 1041);
    EXPECT_EQ(total("phi-4-multimodal", a4_144), 3281);
    EXPECT_EQ(total("phi-4-multimodal", a4_96), 1791);
}

TEST(VisionProfiles, OpenAiTiles) {
    EXPECT_EQ(total("gpt-4o", a4_72), 765);  // 4 tiles when small pages are not scaled up
    EXPECT_EQ(total("gpt-4o", a4_144), 1105);
    EXPECT_EQ(total("gpt-4o", a4_96), 1105);
    VisionProfile upscale = find_profile("gpt-4o");
    upscale.rule = OpenAiTileRule{false, true};
    EXPECT_EQ(upscale.per_image_total(595, 842), 1105);  // the other reading of the guide
    // The guide's own examples.
    EXPECT_EQ(total("gpt-4o", Page{1024, 1024}), 765);
    EXPECT_EQ(total("gpt-4o", Page{2048, 4096}), 1105);
    for (Page p : {a4_72, a4_144, a4_96}) EXPECT_EQ(total("gpt-4o-low", p), 85);
}

TEST(VisionProfiles, OpenAiPatches) {
    EXPECT_EQ(total("gpt-4.1-mini", a4_72), 831);
    EXPECT_EQ(total("gpt-4.1-nano", a4_72), 1262);
    EXPECT_EQ(total("o4-mini", a4_72), 882);
    EXPECT_EQ(total("gpt-4.1-mini", a4_144), 2385);
    EXPECT_EQ(total("gpt-4.1-nano", a4_144), 3621);
    EXPECT_EQ(total("o4-mini", a4_144), 2532);
    EXPECT_EQ(total("gpt-4.1-mini", a4_96), 1458);
    EXPECT_EQ(total("gpt-4.1-nano", a4_96), 2214);
    EXPECT_EQ(total("o4-mini", a4_96), 1548);
}

TEST(VisionProfiles, Claude) {
    EXPECT_EQ(total("claude", a4_72), 668);
    EXPECT_EQ(total("claude", a4_96), 1189);
    // Over the long-edge and ~1600-token limits: downscaled to just under the cap
    // (the spec gives it as "≈1 600"; the exact target size is not published).
    const int64_t big = total("claude", a4_144);
    EXPECT_GE(big, 1590);
    EXPECT_LE(big, 1600);
}

TEST(VisionProfiles, GeminiEstimate) {
    EXPECT_EQ(total("gemini", a4_72), 516);
    EXPECT_EQ(total("gemini", a4_144), 1548);
    EXPECT_EQ(total("gemini", a4_96), 1032);
    EXPECT_EQ(total("gemini", Page{384, 300}), 258);
}

TEST(VisionProfiles, NamesAndErrors) {
    EXPECT_EQ(find_profile("GLYPH").name, "glm-4.1v");
    EXPECT_EQ(find_profile("Claude").name, "claude");
    try {
        find_profile("gpt-9");
        FAIL() << "unknown profile accepted";
    } catch (const VisionTokenError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("gpt-9"), std::string::npos);
        EXPECT_NE(msg.find("glm-4.1v"), std::string::npos);
        EXPECT_NE(msg.find("qwen3-vl"), std::string::npos);
        EXPECT_EQ(msg.find('\n'), std::string::npos);
    }
    for (const auto& p : vision_profiles()) {
        EXPECT_FALSE(p.source.empty()) << p.name;
        EXPECT_THROW(p.count(0, 842), VisionTokenError) << p.name;
        EXPECT_THROW(p.count(595, -1), VisionTokenError) << p.name;
        EXPECT_GT(p.per_image_total(595, 842), 0) << p.name;
        EXPECT_GT(p.per_image_total(1, 1), 0) << p.name;
    }
}

}  // namespace
}  // namespace glyph
