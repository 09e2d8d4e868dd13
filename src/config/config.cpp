#include "glyph/config.h"
#include "glyph/config_json.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "util/fonts.h"
#include "util/jsonl_files.h"

namespace glyph {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A value as messages show it: its JSON, cut to 80 bytes (on a UTF-8
// boundary), since values may come from a request and be megabytes long.
std::string shown(const json& value) {
    std::string s = value.dump();
    if (s.size() <= 80) return s;
    size_t cut = 77;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return s.substr(0, cut) + "...";
}

[[noreturn]] void fail(const std::string& key, const json& value, const std::string& allowed) {
    throw ConfigError("config key \"" + key + "\": " + shown(value) + " is not allowed; expected " + allowed);
}

double number(const std::string& key, const json& v) {
    // Glyph's configs sometimes write numbers as strings ("9"); accept those too.
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        char* end = nullptr;
        double d = std::strtod(s.c_str(), &end);
        if (!s.empty() && end && *end == '\0' && std::isfinite(d)) return d;
    }
    fail(key, v, "a number");
}

bool boolean(const std::string& key, const json& v) {
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_number_integer() && (v.get<int>() == 0 || v.get<int>() == 1)) return v.get<int>() == 1;
    if (v.is_string()) {
        std::string s = v.get<std::string>();
        if (s == "true" || s == "True") return true;
        if (s == "false" || s == "False") return false;
    }
    fail(key, v, "true or false");
}

Color color(const std::string& key, const json& v) {
    if (v.is_string()) {
        std::string s = v.get<std::string>();
        if (s.size() == 7 && s[0] == '#') {
            unsigned long rgb = 0;
            char* end = nullptr;
            rgb = std::strtoul(s.c_str() + 1, &end, 16);
            if (end && *end == '\0')
                return Color{uint8_t(rgb >> 16), uint8_t(rgb >> 8), uint8_t(rgb)};
        }
    }
    fail(key, v, "a color \"#RRGGBB\"");
}

// Levenshtein distance, for naming the key a typo was meant to be.
size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                              std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// The candidate closest to `word`, or "" when none is close enough to be a typo of it.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
    for (const std::string& c : candidates) {
        const size_t d = edit_distance(word, c);
        if (d < best_distance) {
            best = c;
            best_distance = d;
        }
    }
    return best;
}

Alignment alignment(const json& v, const ConfigWarn& warn) {
    if (!v.is_string()) fail("alignment", v, "LEFT, CENTER, RIGHT or JUSTIFY");
    const std::string s = v.get<std::string>();
    if (s == "LEFT") return Alignment::Left;
    if (s == "CENTER") return Alignment::Center;
    if (s == "RIGHT") return Alignment::Right;
    if (s != "JUSTIFY" && warn) {
        // The reference maps any other name to JUSTIFY, and those pages are in
        // the training distribution, so the value stays accepted.
        const std::string meant = nearest(s, {"LEFT", "CENTER", "RIGHT", "JUSTIFY"});
        warn("config key \"alignment\": " + shown(v) + " is not LEFT, CENTER, RIGHT or JUSTIFY" +
             (meant.empty() ? "" : " (did you mean \"" + meant + "\"?)") + "; using JUSTIFY, as the reference does");
    }
    return Alignment::Justify;
}

int whole_number(const std::string& key, const json& v) {
    const double d = number(key, v);
    if (d != std::floor(d) || std::fabs(d) > 1e9) fail(key, v, "a whole number");
    return int(d);
}

void page_size(const json& v, RenderConfig& c) {
    if (v.is_string()) {
        std::string s = v.get<std::string>();
        auto comma = s.find(',');
        if (comma != std::string::npos) {
            char* e1 = nullptr;
            char* e2 = nullptr;
            std::string a = s.substr(0, comma), b = s.substr(comma + 1);
            double w = std::strtod(a.c_str(), &e1), h = std::strtod(b.c_str(), &e2);
            if (!a.empty() && !b.empty() && *e1 == '\0' && *e2 == '\0') {
                c.page_width = w;
                c.page_height = h;
                return;
            }
        }
    } else if (v.is_array() && v.size() == 2 && v[0].is_number() && v[1].is_number()) {
        c.page_width = v[0].get<double>();
        c.page_height = v[1].get<double>();
        return;
    }
    fail("page-size", v, "\"W,H\" in points, e.g. \"595,842\"");
}

void whole_range(const std::string& key, int v, int min, int max) {
    if (v < min || v > max)
        throw ConfigError("config key \"" + key + "\": " + std::to_string(v) + " is out of range; expected " +
                          std::to_string(min) + ".." + std::to_string(max));
}

void positive(const std::string& key, double v, double max) {
    if (!(v > 0) || v > max)
        throw ConfigError("config key \"" + key + "\": " + json(v).dump() +
                          " is out of range; expected a number > 0 and <= " + json(max).dump());
}

void non_negative(const std::string& key, double v, double max) {
    if (!(v >= 0) || v > max)
        throw ConfigError("config key \"" + key + "\": " + json(v).dump() +
                          " is out of range; expected a number >= 0 and <= " + json(max).dump());
}

}  // namespace

std::string config_json(const RenderConfig& config) { return to_json(config).dump(2); }

std::string alignment_name(Alignment a) {
    switch (a) {
        case Alignment::Left: return "LEFT";
        case Alignment::Center: return "CENTER";
        case Alignment::Right: return "RIGHT";
        case Alignment::Justify: return "JUSTIFY";
    }
    return "JUSTIFY";
}

std::string color_hex(Color c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02X%02X%02X", c.r, c.g, c.b);
    return buf;
}

const std::vector<std::string>& config_keys() {
    static const std::vector<std::string> keys{
        "page-size", "dpi", "margin-x", "margin-y", "font-path", "font-size", "line-height", "font-color",
        "page-bg-color", "para-bg-color", "para-border-color", "alignment", "horizontal-scale",
        "first-line-indent", "left-indent", "right-indent", "space-before", "space-after", "border-width",
        "border-padding", "auto-crop-width", "auto-crop-last-page", "newline-markup", "paragraph-lines",
        "tab-spaces", "layout-mode", "mode"};
    return keys;
}

bool is_config_key(const std::string& key) {
    const auto& keys = config_keys();
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string unknown_key_message(const std::string& key) {
    const std::string meant = nearest(key, config_keys());
    if (!meant.empty()) return "unknown config key \"" + key + "\"; did you mean \"" + meant + "\"?";
    std::string all;
    for (const std::string& k : config_keys()) all += (all.empty() ? "" : ", ") + k;
    return "unknown config key \"" + key + "\"; known keys: " + all;
}

RenderConfig apply_config(const json& o, const RenderConfig& base, const std::string& base_dir, UnknownKeys unknown,
                          const ConfigWarn& warn) {
    if (!o.is_object()) throw ConfigError("config must be a JSON object, got " + std::string(o.type_name()));
    RenderConfig c = base;
    for (auto it = o.begin(); it != o.end(); ++it) {
        const std::string& k = it.key();
        const json& v = it.value();
        if (v.is_null()) continue;  // null means "keep the default", as in the reference
        if (k == "page-size") page_size(v, c);
        else if (k == "dpi") c.dpi = number(k, v);
        else if (k == "margin-x") c.margin_x = number(k, v);
        else if (k == "margin-y") c.margin_y = number(k, v);
        else if (k == "font-path") {
            if (!v.is_string() || v.get<std::string>().empty()) fail(k, v, "a path to a TTF/OTF/TTC font file");
            fs::path p = v.get<std::string>();
            c.font_path = p.is_absolute() ? p.string() : (fs::path(base_dir) / p).lexically_normal().string();
        } else if (k == "font-size") c.font_size = number(k, v);
        else if (k == "line-height") c.line_height = number(k, v);
        else if (k == "font-color") c.font_color = color(k, v);
        else if (k == "page-bg-color") c.page_bg_color = color(k, v);
        else if (k == "para-bg-color") c.para_bg_color = color(k, v);
        else if (k == "para-border-color") c.para_border_color = color(k, v);
        else if (k == "alignment") c.alignment = alignment(v, warn);
        else if (k == "horizontal-scale") c.horizontal_scale = number(k, v);
        else if (k == "first-line-indent") c.first_line_indent = number(k, v);
        else if (k == "left-indent") c.left_indent = number(k, v);
        else if (k == "right-indent") c.right_indent = number(k, v);
        else if (k == "space-before") c.space_before = number(k, v);
        else if (k == "space-after") c.space_after = number(k, v);
        else if (k == "border-width") c.border_width = number(k, v);
        else if (k == "border-padding") c.border_padding = number(k, v);
        else if (k == "auto-crop-width") c.auto_crop_width = boolean(k, v);
        else if (k == "auto-crop-last-page") c.auto_crop_last_page = boolean(k, v);
        else if (k == "newline-markup") {
            if (!v.is_string()) fail(k, v, "\"<br/>\" or \"<font color=\\\"#RRGGBB\\\">TEXT</font>\"");
            c.newline_markup = v.get<std::string>();
        } else if (k == "paragraph-lines") c.paragraph_lines = whole_number(k, v);
        else if (k == "tab-spaces") c.tab_spaces = whole_number(k, v);
        else if (k == "layout-mode" || k == "mode") {
            if (v == "reference") c.mode = LayoutMode::Reference;
            else if (v == "clean") c.mode = LayoutMode::Clean;
            else fail(k, v, "\"reference\" or \"clean\"");
        } else if (unknown == UnknownKeys::Reject) {
            throw ConfigError(unknown_key_message(k));
        } else if (warn) {
            warn(unknown_key_message(k) + " (ignored)");
        }
    }
    return c;
}

namespace {

// Config text from a file or a caller, as a JSON value: nesting is bounded
// (a config is flat; deep nesting is an attack on the parser's stack).
json parse_config_text(const std::string& text, const std::string& what) {
    try {
        return parse_json_bounded(text, 16);
    } catch (const std::length_error&) {
        throw ConfigError(what + " nests deeper than a config can");
    } catch (const json::exception&) {
        throw ConfigError(what + " is not valid JSON");
    }
}

}  // namespace

RenderConfig apply_config_json(std::string_view json_object, const RenderConfig& base, const std::string& base_dir,
                               UnknownKeys unknown, const ConfigWarn& warn) {
    return apply_config(parse_config_text(std::string(json_object), "config text"), base, base_dir, unknown, warn);
}

RenderConfig load_config_file(const std::string& path, const ConfigWarn& warn) {
    constexpr std::streamoff kMaxConfigBytes = 1 << 20;
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw ConfigError("cannot read config file " + path);
    if (in.tellg() > kMaxConfigBytes) throw ConfigError("config file " + path + " is over 1 MiB; a config is a few keys");
    in.seekg(0);
    std::stringstream ss;
    ss << in.rdbuf();
    const json j = parse_config_text(ss.str(), "config file " + path);
    std::string dir = fs::absolute(fs::path(path)).parent_path().string();
    const ConfigWarn in_file = warn ? ConfigWarn([&](const std::string& line) { warn(path + ": " + line); })
                                    : ConfigWarn();
    return apply_config(j, RenderConfig{}, dir, UnknownKeys::Warn, in_file);
}

std::vector<std::string> preset_names() { return {"en", "zh", "code"}; }

RenderConfig preset(std::string_view name) {
    RenderConfig c;
    c.page_width = 595;
    c.page_height = 842;
    c.dpi = 72;
    c.margin_x = c.margin_y = 10;
    c.font_size = 9;
    c.line_height = 10;
    c.alignment = Alignment::Left;
    c.auto_crop_width = true;
    c.auto_crop_last_page = true;
    if (name == "en") {
        c.font_path = find_font_file({"DejaVuSans.ttf"}, "DejaVu Sans");
    } else if (name == "zh") {
        c.font_path = find_font_file({"wqy-microhei.ttc", "wqy-zenhei.ttc", "NotoSansCJK-Regular.ttc"},
                                     "WenQuanYi Micro Hei");
    } else if (name == "code") {
        // Source files as Glyph's evaluation renderers set them: tabs kept as
        // indentation, the whole file one paragraph (no page-break blank
        // lines of the 30-line split), in a monospace face so columns align.
        c.font_path = find_font_file({"DejaVuSansMono.ttf"}, "DejaVu Sans Mono");
        c.tab_spaces = 4;
        c.paragraph_lines = 0;
    } else {
        throw ConfigError("unknown preset \"" + std::string(name) + "\"; expected en, zh or code");
    }
    return c;
}

void validate(const RenderConfig& c) {
    positive("page-size", c.page_width, 14400);
    positive("page-size", c.page_height, 14400);
    positive("dpi", c.dpi, 1200);
    non_negative("margin-x", c.margin_x, 14400);
    non_negative("margin-y", c.margin_y, 14400);
    positive("font-size", c.font_size, 1000);
    non_negative("line-height", c.line_height, 2000);
    positive("horizontal-scale", c.horizontal_scale, 10);
    non_negative("border-width", c.border_width, 1000);
    non_negative("border-padding", c.border_padding, 1000);
    non_negative("space-before", c.space_before, 14400);
    non_negative("space-after", c.space_after, 14400);
    whole_range("paragraph-lines", c.paragraph_lines, 0, 1'000'000);
    whole_range("tab-spaces", c.tab_spaces, 0, 16);
    for (auto [k, v] : {std::pair{"first-line-indent", c.first_line_indent},
                        {"left-indent", c.left_indent},
                        {"right-indent", c.right_indent}})
        if (!std::isfinite(v) || std::fabs(v) > 14400)
            throw ConfigError(std::string("config key \"") + k + "\": " + json(v).dump() + " is out of range");
    // reportlab's frame keeps 6 pt of padding inside the margins on each side.
    const double text_width = c.page_width - 2 * c.margin_x - 12 - c.left_indent - c.right_indent;
    const double text_height = c.page_height - 2 * c.margin_y - 12;
    if (text_width < c.font_size)
        throw ConfigError("config keys \"margin-x\"/\"left-indent\"/\"right-indent\" leave " +
                          json(text_width).dump() + " pt of line width on a " + json(c.page_width).dump() +
                          " pt page; at least one font-size (" + json(c.font_size).dump() + " pt) is needed");
    if (text_height < c.leading())
        throw ConfigError("config key \"margin-y\" leaves " + json(text_height).dump() + " pt of height on a " +
                          json(c.page_height).dump() + " pt page; at least one line-height (" +
                          json(c.leading()).dump() + " pt) is needed");
    const double px_w = c.page_width * c.dpi / 72 * c.horizontal_scale, px_h = c.page_height * c.dpi / 72;
    if (px_w * px_h > 200e6)
        throw ConfigError("page-size and dpi give a " + std::to_string(long(px_w)) + "x" +
                          std::to_string(long(px_h)) + " px page; at most 200 megapixels are allowed");
    if (c.newline_markup != "<br/>" && c.newline_markup.rfind("<font", 0) != 0)
        throw ConfigError("config key \"newline-markup\": " + json(c.newline_markup).dump() +
                          " is not allowed; expected \"<br/>\" or \"<font color=\\\"#RRGGBB\\\">TEXT</font>\"");
    if (c.font_path.empty()) throw ConfigError("config key \"font-path\" is missing; expected a TTF/OTF/TTC font file");
    check_font_file(c.font_path);
}

json to_json(const RenderConfig& c) {
    char size[64];
    std::snprintf(size, sizeof size, "%g,%g", c.page_width, c.page_height);
    return json{{"page-size", size},
                {"dpi", c.dpi},
                {"margin-x", c.margin_x},
                {"margin-y", c.margin_y},
                {"font-path", c.font_path},
                {"font-size", c.font_size},
                {"line-height", c.leading()},
                {"font-color", color_hex(c.font_color)},
                {"page-bg-color", color_hex(c.page_bg_color)},
                {"para-bg-color", color_hex(c.para_bg_color)},
                {"para-border-color", color_hex(c.para_border_color)},
                {"alignment", alignment_name(c.alignment)},
                {"horizontal-scale", c.horizontal_scale},
                {"first-line-indent", c.first_line_indent},
                {"left-indent", c.left_indent},
                {"right-indent", c.right_indent},
                {"space-before", c.space_before},
                {"space-after", c.space_after},
                {"border-width", c.border_width},
                {"border-padding", c.border_padding},
                {"auto-crop-width", c.auto_crop_width},
                {"auto-crop-last-page", c.auto_crop_last_page},
                {"newline-markup", c.newline_markup},
                {"paragraph-lines", c.paragraph_lines},
                {"tab-spaces", c.tab_spaces},
                {"layout-mode", c.mode == LayoutMode::Reference ? "reference" : "clean"}};
}

}  // namespace glyph
