// glyph._glyph: the C++ library as a Python extension (pybind11). The
// package python/glyph/ wraps it; what is Python-shaped (keyword overrides,
// exception classes, Dask) lives there, what touches pages lives here.
// Every call that renders, counts or loads releases the GIL.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glyph/accounting.h"
#include "glyph/accounting_manifest.h"
#include "glyph/batch.h"
#include "glyph/cancel.h"
#include "glyph/config.h"
#include "glyph/config_json.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "glyph/tokenizer.h"
#include "glyph/version.h"
#include "glyph/vision_tokens.h"

namespace py = pybind11;
using nlohmann::json;

namespace glyph::python {
namespace {

// Python values nested deeper than this are no config.
constexpr int kMaxDepth = 32;

json to_json_value(const py::handle& value, int depth = 0) {
    if (depth > kMaxDepth) throw ConfigError("config nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (value.is_none()) return nullptr;
    if (py::isinstance<py::bool_>(value)) return value.cast<bool>();
    if (py::isinstance<py::int_>(value)) return value.cast<long long>();
    if (py::isinstance<py::float_>(value)) return value.cast<double>();
    if (py::isinstance<py::str>(value)) return value.cast<std::string>();
    if (py::isinstance<py::dict>(value)) {
        json out = json::object();
        for (const auto& [k, v] : value.cast<py::dict>()) {
            if (!py::isinstance<py::str>(k)) throw ConfigError("config keys must be strings");
            out[k.cast<std::string>()] = to_json_value(v, depth + 1);
        }
        return out;
    }
    if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
        json out = json::array();
        for (const auto& v : value) out.push_back(to_json_value(v, depth + 1));
        return out;
    }
    throw ConfigError("config values must be None, bool, int, float, str, list or dict, not " +
                      std::string(py::str(value.get_type().attr("__name__"))));
}

py::object to_python(const json& value) {
    switch (value.type()) {
    case json::value_t::null: return py::none();
    case json::value_t::boolean: return py::bool_(value.get<bool>());
    case json::value_t::number_integer: return py::int_(value.get<long long>());
    case json::value_t::number_unsigned: return py::int_(value.get<unsigned long long>());
    case json::value_t::number_float: return py::float_(value.get<double>());
    case json::value_t::string: return py::str(value.get<std::string>());
    case json::value_t::array: {
        py::list out;
        for (const json& v : value) out.append(to_python(v));
        return out;
    }
    case json::value_t::object: {
        py::dict out;
        for (const auto& [k, v] : value.items()) out[py::str(k)] = to_python(v);
        return out;
    }
    default: return py::none();
    }
}

// Config warnings (an unknown key in a config file) become Python warnings.
// Collected while the GIL is released, raised once it is held again.
struct Warnings {
    std::mutex mu;
    std::vector<std::string> lines;
    ConfigWarn sink() {
        return [this](const std::string& line) {
            std::lock_guard lock(mu);
            lines.push_back(line);
        };
    }
    // Needs the GIL. A warning filter set to "error" turns a line into an exception.
    void emit() {
        std::vector<std::string> pending;
        pending.swap(lines);
        for (const std::string& line : pending)
            if (PyErr_WarnEx(PyExc_UserWarning, line.c_str(), 1) != 0) throw py::error_already_set();
    }
};

// How a render's config is chosen, as the CLI's flags do it: a config file
// (`--config`), a config dict on the reference defaults, or a preset ("auto":
// en or zh from each text), then the overrides (`--set`) on top.
struct ConfigRecipe {
    std::string preset = "auto";
    std::string config_file;               // when set, the base instead of the preset
    std::optional<json> config_dict;       // likewise
    json overrides = json::object();

    RenderConfig resolve(std::string_view text, const ConfigWarn& warn) const {
        RenderConfig cfg;
        if (!config_file.empty()) cfg = load_config_file(config_file, warn);
        else if (config_dict) cfg = apply_config(*config_dict, RenderConfig{}, ".", UnknownKeys::Reject, warn);
        else cfg = preset_for_text(preset, text);
        cfg = apply_config(overrides, cfg, ".", UnknownKeys::Reject, warn);
        validate(cfg);
        return cfg;
    }
    // The folder relative font paths of batch items resolve against.
    std::string base_dir() const {
        return config_file.empty() ? std::string(".")
                                   : std::filesystem::absolute(config_file).parent_path().string();
    }
    bool per_text() const { return config_file.empty() && !config_dict && preset == "auto"; }
};

ConfigRecipe make_recipe(const std::string& preset, const py::object& config, const py::dict& overrides) {
    ConfigRecipe r;
    r.preset = preset;
    if (preset != "auto") glyph::preset(preset);  // an unknown name fails here
    if (py::isinstance<py::dict>(config)) {
        r.config_dict = to_json_value(config);
    } else if (!config.is_none()) {
        r.config_file = py::str(py::module_::import("os").attr("fspath")(config));
    }
    for (const auto& [k, v] : overrides) {
        const std::string key = k.cast<std::string>();
        if (!is_config_key(key)) throw ConfigError(unknown_key_message(key));
        r.overrides[key] = to_json_value(v);
    }
    return r;
}

// A rendered page: its pixels (the buffer protocol hands them to NumPy
// without a copy) and its PNG, the bytes `glyph render` writes.
struct PyPage {
    int number = 0;
    Image image;
    std::vector<uint8_t> png;
    size_t byte_begin = 0, byte_end = 0;
    size_t char_begin = 0, char_end = 0;
    int line_count = 0;
};

// Tokenizers by --tokenizer spec ("" = the default), loaded once per process.
const Tokenizer& cached_tokenizer(const std::string& spec) {
    static std::mutex mu;
    static std::map<std::string, std::unique_ptr<Tokenizer>> loaded;
    const std::string path = spec.empty() ? default_tokenizer_path() : spec;
    std::lock_guard lock(mu);
    auto& slot = loaded[path];
    if (!slot) slot = std::make_unique<Tokenizer>(Tokenizer::load(path));
    return *slot;
}

// A render config chosen once and used for many texts (fonts stay cached in
// the library between calls).
class Renderer {
public:
    Renderer(const std::string& preset, const py::object& config, int threads, const py::dict& overrides)
        : recipe_(make_recipe(preset, config, overrides)), threads_(threads) {
        if (threads < 0) throw ConfigError("threads must be 0 (all cores) or more, got " + std::to_string(threads));
        // A bad value fails here, before any text: a per-text recipe is checked on an empty text.
        Warnings warnings;
        RenderConfig checked = recipe_.resolve("", warnings.sink());
        if (!recipe_.per_text()) fixed_ = std::move(checked);
        warnings.emit();
    }

    RenderConfig config_for(std::string_view text, Warnings& warnings) const {
        return fixed_ ? *fixed_ : recipe_.resolve(text, warnings.sink());
    }

    std::vector<PyPage> render(const std::string& text, bool encode) const {
        Warnings warnings;
        std::vector<PyPage> pages;
        {
            py::gil_scoped_release release;
            const RenderConfig cfg = config_for(text, warnings);
            std::mutex mu;
            RenderOptions opts;
            opts.threads = threads_;
            // Pages are encoded on the render's threads as they finish, as
            // the CLI does, and kept with their pixels.
            opts.on_page = [&](const Page& page) {
                PyPage p;
                p.number = page.number;
                p.png = encode ? encode_png(page.image) : std::vector<uint8_t>{};
                p.image = page.image;
                std::lock_guard lock(mu);
                pages.push_back(std::move(p));
            };
            const RenderResult r = render_text(text, cfg, opts);
            std::sort(pages.begin(), pages.end(), [](const PyPage& a, const PyPage& b) { return a.number < b.number; });
            for (size_t i = 0; i < pages.size() && i < r.pages.size(); ++i) {
                const Page& meta = r.pages[i];
                pages[i].byte_begin = meta.text_begin;
                pages[i].byte_end = meta.text_end;
                pages[i].char_begin = meta.char_begin;
                pages[i].char_end = meta.char_end;
                pages[i].line_count = meta.line_count;
            }
        }
        warnings.emit();
        return pages;
    }

    py::object config(const std::string& text) const {
        Warnings warnings;
        const RenderConfig cfg = config_for(text, warnings);
        warnings.emit();
        return to_python(to_json(cfg));
    }

    // glyph stats --json for one text: chars, tokens, pages, vision tokens per profile.
    py::object stats(const std::string& text, const std::vector<std::string>& profile_names,
                     const std::string& tokenizer) const {
        std::vector<VisionProfile> profiles;
        for (const std::string& n : profile_names) {
            if (n == "all") profiles.insert(profiles.end(), vision_profiles().begin(), vision_profiles().end());
            else profiles.push_back(find_profile(n));
        }
        if (profiles.empty()) profiles.push_back(find_profile(default_profile_name()));
        Warnings warnings;
        json out;
        {
            py::gil_scoped_release release;
            const RenderConfig cfg = config_for(text, warnings);
            RenderOptions opts;
            opts.threads = threads_;
            opts.on_page = [](const Page&) {};  // only sizes and spans are counted
            const RenderResult r = render_text(text, cfg, opts);
            const std::vector<PageExtent> pages = page_extents(r);
            const TextCount tc = count_text(text, pages, cached_tokenizer(tokenizer));
            json per_profile = json::array();
            std::vector<VisionCount> vision;
            for (const VisionProfile& p : profiles) {
                vision.push_back(count_vision(pages, p));
                const VisionCount& v = vision.back();
                per_profile.push_back({{"profile", v.profile},
                                       {"family", p.family},
                                       {"vision_tokens", v.tokens},
                                       {"image_tokens", v.image_tokens},
                                       {"compression_ratio", CompressionStats{tc, v}.ratio()}});
            }
            json page_rows = json::array();
            for (size_t i = 0; i < pages.size(); ++i) {
                json vt = json::object();
                for (const VisionCount& v : vision) vt[v.profile] = v.pages[i].total();
                page_rows.push_back({{"page", pages[i].number},
                                     {"width", pages[i].width},
                                     {"height", pages[i].height},
                                     {"text_begin", pages[i].text_begin},
                                     {"text_end", pages[i].text_end},
                                     {"text_tokens", tc.page_tokens.empty() ? json(nullptr) : json(tc.page_tokens[i])},
                                     {"vision_tokens", vt}});
            }
            out = {{"chars", tc.chars},           {"bytes", tc.bytes},
                   {"text_tokens", tc.tokens},    {"page_count", pages.size()},
                   {"profiles", per_profile},     {"pages", page_rows},
                   {"config", to_json(cfg)}};
        }
        warnings.emit();
        return to_python(out);
    }

    // glyph render --batch: the same folders, ledger and failures; `count`
    // adds the compression accounting to each manifest as the CLI does.
    py::object render_batch(const std::string& jsonl, const std::string& out_dir, const std::string& id_field,
                            const std::string& text_field, std::pair<size_t, size_t> shard, bool count,
                            const std::string& profile_name, const std::string& tokenizer) const {
        Warnings warnings;
        BatchReport rep;
        {
            py::gil_scoped_release release;
            BatchOptions opts;
            opts.threads = threads_;
            opts.shard = {shard.first, shard.second};
            opts.id_field = id_field;
            opts.text_field = text_field;
            const ConfigWarn warn = warnings.sink();
            if (recipe_.per_text()) opts.base_for_text = [&](std::string_view t) { return recipe_.resolve(t, warn); };
            const VisionProfile& profile = find_profile(profile_name);
            std::string tokenizer_path;
            const Tokenizer* tok = nullptr;
            if (count) {
                tokenizer_path = tokenizer.empty() ? default_tokenizer_path() : tokenizer;
                tok = &cached_tokenizer(tokenizer_path);
            }
            opts.on_item = [&](const std::string&, std::string_view text, const RenderResult& r, json& manifest) {
                if (tok) add_to_manifest(manifest, account(text, r, *tok, profile), tokenizer_path);
            };
            const RenderConfig base = fixed_ ? *fixed_ : recipe_.resolve("", warn);
            rep = glyph::render_batch(jsonl, base, recipe_.base_dir(), out_dir, opts);
        }
        warnings.emit();
        py::list failures;
        for (const BatchFailure& f : rep.failures) failures.append(to_python(json(f.to_json())));
        py::dict d;
        d["total"] = rep.total;
        d["skipped"] = rep.skipped;
        d["rendered"] = rep.rendered;
        d["failed"] = rep.failed;
        d["pages"] = rep.pages;
        d["results_path"] = rep.results_path;
        d["failures_path"] = rep.failures_path;
        d["failures"] = failures;
        return d;
    }

private:
    ConfigRecipe recipe_;
    std::optional<RenderConfig> fixed_;  // when the config does not depend on the text
    int threads_ = 0;
};

py::buffer_info page_buffer(PyPage& p) {
    const Image& im = p.image;
    if (im.channels == 1)
        return py::buffer_info(const_cast<uint8_t*>(im.pixels.data()), 1, py::format_descriptor<uint8_t>::format(), 2,
                               {py::ssize_t(im.height), py::ssize_t(im.width)},
                               {py::ssize_t(im.stride()), py::ssize_t(1)}, /*readonly=*/true);
    return py::buffer_info(const_cast<uint8_t*>(im.pixels.data()), 1, py::format_descriptor<uint8_t>::format(), 3,
                           {py::ssize_t(im.height), py::ssize_t(im.width), py::ssize_t(im.channels)},
                           {py::ssize_t(im.stride()), py::ssize_t(im.channels), py::ssize_t(1)}, /*readonly=*/true);
}

// C++ errors become the package's exception classes (glyph/_errors.py),
// with the library's one-line message.
void translate_errors() {
    py::register_exception_translator([](std::exception_ptr p) {
        const auto raise = [](const char* name, const std::exception& e) {
            py::object cls = py::module_::import("glyph._errors").attr(name);
            PyErr_SetString(cls.ptr(), e.what());
        };
        try {
            if (p) std::rethrow_exception(p);
        } catch (const ConfigError& e) {
            raise("ConfigError", e);
        } catch (const InputError& e) {
            raise("InputError", e);
        } catch (const TokenizerError& e) {
            raise("TokenizerError", e);
        } catch (const VisionTokenError& e) {
            raise("VisionTokenError", e);
        } catch (const EncodeError& e) {
            raise("EncodeError", e);
        } catch (const Cancelled& e) {
            raise("Cancelled", e);
        }
    });
}

}  // namespace
}  // namespace glyph::python

PYBIND11_MODULE(_glyph, m) {
    using namespace glyph::python;
    m.doc() = "glyph's C++ library: rendering, token counting, batch (use the glyph package, not this module)";
    translate_errors();

    py::class_<PyPage>(m, "Page", py::buffer_protocol(),
                       "One rendered page. numpy.asarray(page) is its pixels (height x width, or x 3 for RGB; no copy).")
        .def_readonly("number", &PyPage::number, "1-based page number")
        .def_property_readonly("width", [](const PyPage& p) { return p.image.width; }, "pixels")
        .def_property_readonly("height", [](const PyPage& p) { return p.image.height; }, "pixels")
        .def_property_readonly("channels", [](const PyPage& p) { return p.image.channels; }, "1 gray, 3 RGB")
        .def_property_readonly("text_span", [](const PyPage& p) { return py::make_tuple(p.char_begin, p.char_end); },
                               "(begin, end) in code points: text[begin:end] is what the page shows")
        .def_property_readonly("byte_span", [](const PyPage& p) { return py::make_tuple(p.byte_begin, p.byte_end); },
                               "(begin, end) in UTF-8 bytes, the manifest's text_begin/text_end")
        .def_readonly("line_count", &PyPage::line_count)
        .def_property_readonly(
            "png",
            [](const PyPage& p) {
                if (p.png.empty()) throw glyph::ConfigError("this page was rendered with png=False");
                return py::bytes(reinterpret_cast<const char*>(p.png.data()), p.png.size());
            },
            "the PNG file glyph render writes for this page (bytes)")
        .def_buffer(&page_buffer)
        .def("__repr__", [](const PyPage& p) {
            return "<glyph.Page " + std::to_string(p.number) + ": " + std::to_string(p.image.width) + "x" +
                   std::to_string(p.image.height) + ", chars " + std::to_string(p.char_begin) + "-" +
                   std::to_string(p.char_end) + ">";
        });

    py::class_<Renderer>(m, "Renderer")
        .def(py::init<const std::string&, const py::object&, int, const py::dict&>(), py::arg("preset"),
             py::arg("config"), py::arg("threads"), py::arg("overrides"))
        .def("render", &Renderer::render, py::arg("text"), py::arg("png") = true)
        .def("config", &Renderer::config, py::arg("text") = "")
        .def("stats", &Renderer::stats, py::arg("text"), py::arg("profiles"), py::arg("tokenizer"))
        .def("render_batch", &Renderer::render_batch, py::arg("jsonl"), py::arg("out"), py::arg("id_field"),
             py::arg("text_field"), py::arg("shard"), py::arg("count"), py::arg("profile"), py::arg("tokenizer"));

    m.def(
        "count_tokens",
        [](const std::string& text, const std::string& tokenizer) {
            py::gil_scoped_release release;
            return cached_tokenizer(tokenizer).count(text);
        },
        py::arg("text"), py::arg("tokenizer") = "");
    m.def(
        "vision_tokens",
        [](const std::string& profile, int64_t width, int64_t height) {
            return glyph::find_profile(profile).per_image_total(width, height);
        },
        py::arg("profile"), py::arg("width"), py::arg("height"));
    m.def(
        "load_config",
        [](const std::string& path) {
            Warnings warnings;
            const glyph::RenderConfig cfg = glyph::load_config_file(path, warnings.sink());
            glyph::validate(cfg);
            warnings.emit();
            return to_python(glyph::to_json(cfg));
        },
        py::arg("path"));
    m.def(
        "validate_config",
        [](const py::dict& config) {
            glyph::RenderConfig cfg = glyph::apply_config(to_json_value(config), glyph::RenderConfig{});
            glyph::validate(cfg);
            return to_python(glyph::to_json(cfg));
        },
        py::arg("config"));
    m.def("preset", [](const std::string& name) { return to_python(glyph::to_json(glyph::preset(name))); });
    m.def("preset_names", &glyph::preset_names);
    m.def("config_keys", &glyph::config_keys);
    m.def("profile_names", [] {
        std::vector<std::string> names;
        for (const auto& p : glyph::vision_profiles()) names.push_back(p.name);
        return names;
    });
    m.def("default_profile_name", &glyph::default_profile_name);
    m.def("item_folder_name", &glyph::item_folder_name, py::arg("unique_id"));
    m.def("parse_shard", [](const std::string& text) {
        const glyph::BatchShard s = glyph::parse_batch_shard(text);
        return py::make_tuple(s.index, s.count);
    });
    m.attr("__version__") = glyph::kVersion;
}
