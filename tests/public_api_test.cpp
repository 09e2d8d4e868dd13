// The umbrella header is the API a newcomer reads: it must compile on its
// own and carry no JSON library type (the JSON-document headers are included
// on their own). This file includes nothing else from glyph, so a header of
// the umbrella that pulled nlohmann in would fail the #error below.
#include "glyph/glyph.h"

#if defined(INCLUDE_NLOHMANN_JSON_HPP_) || defined(INCLUDE_NLOHMANN_JSON_FWD_HPP_)
#error "glyph/glyph.h includes nlohmann/json: a public header of the umbrella carries a JSON type"
#endif

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(PublicApi, ConfigKeysFromJsonTextRoundTrip) {
    const glyph::RenderConfig base = glyph::preset("en");
    const glyph::RenderConfig changed = glyph::apply_config_json(R"({"dpi": 96, "font-size": 10})", base);
    EXPECT_EQ(changed.dpi, 96);
    EXPECT_EQ(changed.font_size, 10);
    EXPECT_EQ(changed.font_path, base.font_path);

    // What config_json writes, apply_config_json reads back to the same config.
    const glyph::RenderConfig again = glyph::apply_config_json(glyph::config_json(changed), glyph::RenderConfig{});
    EXPECT_EQ(glyph::config_json(again), glyph::config_json(changed));
}

TEST(PublicApi, BadConfigTextIsAConfigErrorOfOneLine) {
    const glyph::RenderConfig base = glyph::preset("en");
    for (const std::string& bad : {std::string("[1]"), std::string("{\"dpi\": "), std::string(40, '[') + std::string(40, ']'),
                                  std::string(R"({"font_size": 9})")}) {
        try {
            glyph::apply_config_json(bad, base);
            ADD_FAILURE() << bad << " was accepted";
        } catch (const glyph::ConfigError& e) {
            const std::string message = e.what();
            EXPECT_EQ(message.find('\n'), std::string::npos) << message;
            EXPECT_EQ(e.kind(), glyph::ErrorKind::Config);
        }
    }
}

TEST(PublicApi, ChatRequestExtraFieldsAreJsonText) {
    glyph::vlm::ChatRequest request;
    request.model = "m";
    request.messages.push_back(glyph::vlm::text_message("a document", "a question"));
    request.extra_json = R"({"seed": 7})";
    const std::string body = glyph::vlm::request_body(request);
    EXPECT_NE(body.find("\"seed\":7"), std::string::npos) << body;
}

}  // namespace
