// A renderer for many texts with one config: it loads its fonts once (from a
// file or from bytes in memory), lays a text out as its own stage (pages,
// lines and their source spans, nothing drawn yet) and rasterizes any page of
// that layout on demand, or renders a whole text with a cancel flag and a
// progress callback. render_text() is this, for one text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "glyph/config.h"
#include "glyph/render.h"

namespace glyph {

// A text laid out by a Renderer: what each page holds, before any pixel is
// drawn. Cheap to copy (the layout is shared and immutable); it keeps what
// it needs of the text, not the text itself.
class Layout {
public:
    int page_count() const;
    // Each page's number, line count and source span (byte and code point
    // offsets); image is left empty until Renderer::rasterize.
    const std::vector<Page>& pages() const;
    // Every line that draws something, with its words, position and source span.
    const std::vector<LayoutLine>& lines() const;
    // Characters the pages will draw as boxes.
    const MissingGlyphs& missing() const;
    double layout_ms() const;

private:
    friend class Renderer;
    struct Data;
    std::shared_ptr<const Data> data_;
};

class Renderer {
public:
    // Validates the config (ConfigError) and loads config.font_path.
    explicit Renderer(RenderConfig config);
    // The font comes from `font_bytes` (a TTF/OTF/TTC file's bytes), kept in
    // memory for the Renderer's life; config.font_path is replaced by a
    // /proc/self/fd path naming that memory (what the manifest then records).
    // Throws ConfigError when the bytes are no font FreeType can read.
    Renderer(RenderConfig config, std::vector<uint8_t> font_bytes);
    ~Renderer();
    Renderer(Renderer&&) noexcept;
    Renderer& operator=(Renderer&&) noexcept;

    const RenderConfig& config() const;

    // Lays `utf8` out without rasterizing. Uses options.cancel (Cancelled)
    // and options.on_progress (pages laid out so far); the rest is ignored.
    // Throws InputError for unusable text.
    Layout layout(std::string_view utf8, const RenderOptions& options = {}) const;
    // Draws page `page_index` (0-based) of a layout this Renderer made: the
    // same pixels render() gives that page. Throws std::out_of_range for an
    // index outside the layout, std::invalid_argument for another Renderer's layout.
    Page rasterize(const Layout& layout, int page_index) const;
    // Layout and raster together, pages drawn on the pool while layout goes
    // on (see RenderOptions); what render_text returns.
    RenderResult render(std::string_view utf8, const RenderOptions& options = {}) const;

    // Several threads may call layout, rasterize and render at once.
private:
    struct Fonts;
    std::unique_ptr<Fonts> fonts_;
};

}  // namespace glyph
