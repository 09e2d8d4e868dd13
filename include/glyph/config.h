// Render configuration: Glyph's hyphenated JSON config keys, their defaults,
// the built-in presets (en, zh), and validation with one-line errors.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace glyph {

// A user error in a config: the message names the key, the value and what is allowed.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Color {
    uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Color&) const = default;
    bool is_gray() const { return r == g && g == b; }
};

enum class Alignment { Left, Center, Right, Justify };

// Reference reproduces the reportlab pipeline Glyph was trained on, quirks
// included; Clean keeps its geometry but typesets properly (ICU breaks,
// font fallback, no spurious blank lines).
enum class LayoutMode { Reference, Clean };

struct RenderConfig {
    double page_width = 595, page_height = 842;  // points
    double dpi = 72;
    double margin_x = 20, margin_y = 20;  // the reference's defaults when a key is absent
    std::string font_path;                // resolved, absolute
    double font_size = 9;
    double line_height = 0;  // 0: font_size + 1
    Color font_color{0, 0, 0};
    Color page_bg_color{255, 255, 255};
    Color para_bg_color{255, 255, 255};
    Color para_border_color{255, 255, 255};
    Alignment alignment = Alignment::Justify;
    double horizontal_scale = 1.0;
    double first_line_indent = 0, left_indent = 0, right_indent = 0;
    double space_before = 0, space_after = 0;
    double border_width = 0, border_padding = 0;
    bool auto_crop_width = false;
    bool auto_crop_last_page = false;
    std::string newline_markup = "<br/>";
    LayoutMode mode = LayoutMode::Reference;

    double leading() const { return line_height > 0 ? line_height : font_size + 1; }
};

// Apply the keys of a JSON object on top of `base`. Relative font paths are
// resolved against `base_dir`. Throws ConfigError naming the offending key.
RenderConfig apply_config(const nlohmann::json& overrides, const RenderConfig& base,
                          const std::string& base_dir = ".");

// Read a config file (JSON object) on top of the reference defaults.
RenderConfig load_config_file(const std::string& path);

// Glyph's published configs with Debian fonts: "en" (DejaVu Sans) and "zh"
// (WenQuanYi Micro Hei, Noto Sans CJK as a fallback). Throws ConfigError.
RenderConfig preset(std::string_view name);
std::vector<std::string> preset_names();

// The preset "auto" stands for, for this text: "zh" when Han, kana, Hangul
// and Bopomofo letters outnumber the other letters (digits, punctuation and
// spaces do not count), else "en". Every entry point uses this one rule.
std::string auto_preset_name(std::string_view text);
// preset(name), with "auto" resolved against `text`.
RenderConfig preset_for_text(std::string_view name, std::string_view text);

// Check ranges and cross-key constraints (margins inside the page, font file
// readable, ...). Throws ConfigError.
void validate(const RenderConfig& config);

// The config as Glyph's JSON keys (what the manifest records).
nlohmann::json to_json(const RenderConfig& config);

std::string alignment_name(Alignment a);
std::string color_hex(Color c);

}  // namespace glyph
