// Render configuration: Glyph's hyphenated JSON config keys, their defaults,
// the built-in presets (en, zh, code), and validation with one-line errors;
// unknown keys are errors or warnings, as the caller asks.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "glyph/error.h"

namespace glyph {

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
    // Source lines per reportlab paragraph: 30 is Glyph's inference renderer,
    // 0 its evaluation renderers (the whole text in one paragraph).
    int paragraph_lines = 30;
    // 0: a tab is a word break (inference renderer); N: each tab becomes N
    // no-break spaces (evaluation renderers, N = 4), so indentation stays.
    int tab_spaces = 0;
    LayoutMode mode = LayoutMode::Reference;

    double leading() const { return line_height > 0 ? line_height : font_size + 1; }
};

// Receives what the config module accepts but doubts (an unknown key in a
// config file, an unknown alignment), one line per call. Empty: dropped.
using ConfigWarn = std::function<void(const std::string& line)>;

// What apply_config does with a key it does not know.
enum class UnknownKeys {
    Reject,  // ConfigError naming the nearest known key: keys a person typed
             // (--set, a request's config, a batch item's config)
    Warn,    // one warning, then ignored: config files, which may carry
             // bookkeeping keys of their own
};

// Apply the keys of a JSON object, given as its text (`{"dpi": 96}`), on top
// of `base`. Relative font paths are resolved against `base_dir`. Throws
// ConfigError naming the offending key (or saying the text is not a JSON
// object). Programs that hold the object as an nlohmann::json already use
// glyph/config_json.h instead.
RenderConfig apply_config_json(std::string_view json_object, const RenderConfig& base,
                               const std::string& base_dir = ".", UnknownKeys unknown = UnknownKeys::Reject,
                               const ConfigWarn& warn = {});

// Read a config file (JSON object, at most 1 MiB) on top of the reference
// defaults; its unknown keys are warnings.
RenderConfig load_config_file(const std::string& path, const ConfigWarn& warn = {});

// The keys apply_config_json knows, in documentation order.
const std::vector<std::string>& config_keys();
bool is_config_key(const std::string& key);
// `unknown config key "font_size"; did you mean "font-size"?` (or the list of
// keys when none is close).
std::string unknown_key_message(const std::string& key);

// Glyph's published configs with Debian fonts: "en" (DejaVu Sans) and "zh"
// (WenQuanYi Micro Hei, Noto Sans CJK as a fallback); "code" is en's page
// geometry in DejaVu Sans Mono with tabs expanded. Throws ConfigError.
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

// The config as the text of a JSON object with Glyph's keys (what the
// manifest records; a file `glyph render --config` reads back).
std::string config_json(const RenderConfig& config);

std::string alignment_name(Alignment a);
std::string color_hex(Color c);

}  // namespace glyph
