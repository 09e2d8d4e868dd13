// glyph serve picks the preset per document as the CLI does (auto), and
// never reports a saving over missing-glyph boxes without saying so: the
// web API over real loopback HTTP, the proxy's message rewriting directly.
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "glyph/config.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "glyph/serve.h"
#include "glyph/tokenizer.h"
#include "serve/compress.h"
#include "serve/segment_cache.h"
#include "test_support.h"

using json = nlohmann::json;
using namespace glyph;
using namespace glyph::serve;

namespace {

std::string chinese_document() {
    std::string text;
    const std::string line =
        "春天来了，山上的花都开了。小明和他的朋友们一起去公园散步，他们看见湖边有很多人在钓鱼。"
        "老人说，今年的雨水比往年多，所以庄稼长得特别好。大家听了都很高兴，决定明天再来。\n";
    while (text.size() < 20000) text += line;
    return text;
}

TextTokenCounter counter() {
    static const Tokenizer t = Tokenizer::load(default_tokenizer_path());
    return [](std::string_view s) { return static_cast<long long>(t.count(s)); };
}

std::vector<std::string> zh_preset_pages(const std::string& text) {
    std::vector<std::string> pngs;
    for (const Page& p : render_text(text, preset("zh")).pages) {
        const auto png = encode_png(p.image, 1);
        pngs.emplace_back(png.begin(), png.end());
    }
    return pngs;
}

}  // namespace

TEST(ServeLanguage, WebAppRendersChineseWithTheZhPresetByDefault) {
    ServeOptions o;
    o.port = 0;
    o.access_log = nullptr;
    Server server(o, counter());
    server.bind();
    std::thread thread([&] { server.run(); });
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(60);
    const std::string text = chinese_document();

    auto res = client.Post("/api/render", json{{"text", text}}.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const json r = json::parse(res->body);
    EXPECT_EQ(r["stats"]["preset"], "zh");
    EXPECT_EQ(r["stats"]["missing_glyphs"], 0);
    EXPECT_FALSE(r["stats"].contains("warning"));
    const std::vector<std::string> expected = zh_preset_pages(text);
    ASSERT_EQ(r["pages"].size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        auto png = client.Get(r["pages"][i]["url"].get<std::string>());
        ASSERT_TRUE(png);
        EXPECT_EQ(png->body, expected[i]) << "page " << i + 1;
    }

    // Forcing en draws boxes: the saving comes with the warning.
    auto en = client.Post("/api/render", json{{"text", text}, {"preset", "en"}}.dump(), "application/json");
    ASSERT_TRUE(en);
    ASSERT_EQ(en->status, 200) << en->body;
    const json e = json::parse(en->body);
    EXPECT_GT(e["stats"]["missing_glyphs"].get<long>(), 1000);
    EXPECT_NE(e["stats"]["warning"].get<std::string>().find("drawn as boxes"), std::string::npos);
    server.stop();
    thread.join();
}

TEST(ServeLanguage, ProxyRendersEachDocumentInItsLanguage) {
    SegmentCache cache(64u << 20, "");
    SegmentRenderer renderer(cache, 1);
    ProxyPolicy policy;  // preset auto
    policy.min_tokens = 500;
    const std::string text = chinese_document();
    json messages = json::array({{{"role", "user"}, {"content", text + "\n\n这个故事讲了什么？"}}});
    RenderBudget unlimited(100000, 1000000000000LL, 1u << 30);
    const auto report =
        compress_messages(messages, policy, find_profile("glm-4.1v"), counter(), renderer, unlimited);
    EXPECT_EQ(report.missing_glyphs, 0u);
    EXPECT_TRUE(report.warning.empty());
    const std::vector<std::string> expected = zh_preset_pages(text + "\n\n");
    const auto& parts = messages[0]["content"];
    ASSERT_EQ(parts.size(), expected.size() + 1);
    for (size_t i = 0; i < expected.size(); ++i) {
        const std::string url = parts[i]["image_url"]["url"];
        const auto bytes = base64_decode(std::string_view(url).substr(url.find(',') + 1));
        EXPECT_EQ(std::string(bytes.begin(), bytes.end()), expected[i]) << "page " << i + 1;
    }

    ProxyPolicy en = policy;
    en.preset = "en";
    json boxed = json::array({{{"role", "user"}, {"content", text + "\n\n这个故事讲了什么？"}}});
    const auto boxed_report =
        compress_messages(boxed, en, find_profile("glm-4.1v"), counter(), renderer, unlimited);
    EXPECT_GT(boxed_report.missing_glyphs, 1000u);
    EXPECT_NE(boxed_report.warning.find("drawn as boxes"), std::string::npos);
}
