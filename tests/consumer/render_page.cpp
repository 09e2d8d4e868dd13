// A program outside glyph's tree, using glyph's core stage alone: renders a
// text to pages, encodes the first as PNG and prints what it got. With an
// argument, also prints where glyph finds that data file.
#include <cstdio>
#include <exception>
#include <string>

#include <glyph/config.h>
#include <glyph/data_path.h>
#include <glyph/encode.h>
#include <glyph/render.h>
#include <glyph/version.h>

int main(int argc, char** argv) {
    try {
        std::string text;
        for (int i = 0; i < 200; ++i)
            text += "A long text becomes page images, and a vision-language model reads the pages. ";
        const glyph::RenderResult result = glyph::render_text(text, glyph::preset("en"));
        const glyph::Image& first = result.pages.at(0).image;
        const std::vector<uint8_t> png = glyph::encode_png(first);
        std::printf("glyph %s: %zu page(s), page 1 is %dx%d, %zu PNG bytes\n", glyph::kVersion,
                    result.pages.size(), first.width, first.height, png.size());
        if (argc > 1) std::printf("data file %s: %s\n", argv[1], glyph::find_data_file(argv[1]).c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "render_page: %s\n", e.what());
        return 1;
    }
}
