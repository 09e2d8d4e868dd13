// Tesseract read-back of page images, with the upscaling small page text needs.
#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "glyph/ocr.h"

namespace glyph {
namespace {

// Tesseract's LSTM models were trained on text lines around 30-50 px high;
// glyph's default pages (9 pt at 72 dpi) put lines 10 px apart, where it
// misreads many small letters. Measured on the en preset (docs/ocr.md).
constexpr double kTargetLinePitch = 30.0;
constexpr double kMaxUpscale = 4.0;
// Keeps a huge image from being enlarged into gigabytes.
constexpr double kMaxScaledPixels = 60e6;

uint8_t luminance(const Image& image, size_t pixel) {
    if (image.channels == 1) return image.pixels[pixel];
    const uint8_t* p = &image.pixels[pixel * 3];
    return uint8_t((299u * p[0] + 587u * p[1] + 114u * p[2] + 500u) / 1000u);
}

void check_image(const Image& image) {
    if (image.width <= 0 || image.height <= 0 || (image.channels != 1 && image.channels != 3) ||
        image.pixels.size() != image.stride() * size_t(image.height))
        throw std::invalid_argument("OCR: the image is empty or malformed (" + std::to_string(image.width) + "x" +
                                    std::to_string(image.height) + ", " + std::to_string(image.channels) +
                                    " channels)");
}

struct PixFree {
    void operator()(Pix* pix) const { pixDestroy(&pix); }
};
using PixPtr = std::unique_ptr<Pix, PixFree>;

PixPtr to_gray_pix(const Image& image) {
    PixPtr pix(pixCreate(image.width, image.height, 8));
    if (!pix) throw std::runtime_error("OCR: out of memory for a " + std::to_string(image.width) + "x" +
                                       std::to_string(image.height) + " image");
    l_uint32* data = pixGetData(pix.get());
    const int wpl = pixGetWpl(pix.get());
    for (int y = 0; y < image.height; ++y) {
        l_uint32* line = data + size_t(y) * size_t(wpl);
        const size_t row = size_t(y) * size_t(image.width);
        for (int x = 0; x < image.width; ++x) SET_DATA_BYTE(line, x, luminance(image, row + size_t(x)));
    }
    return pix;
}

void check_language(const std::string& language) {
    if (!is_language_list(language))
        throw std::invalid_argument("OCR: invalid language \"" + language +
                                    "\" (Tesseract names joined by '+', e.g. eng, chi_sim, eng+chi_sim)");
}

struct EngineEnd {
    void operator()(tesseract::TessBaseAPI* api) const {
        api->End();
        delete api;
    }
};
using EnginePtr = std::unique_ptr<tesseract::TessBaseAPI, EngineEnd>;

// One engine per language and thread: TessBaseAPI is not thread-safe, and
// Init (loading the model) costs more than reading a small page.
tesseract::TessBaseAPI& engine_for(const std::string& language) {
    thread_local std::map<std::string, EnginePtr> engines;
    auto found = engines.find(language);
    if (found != engines.end()) return *found->second;

    EnginePtr api(new tesseract::TessBaseAPI);
    // Tesseract's diagnostics go to stderr by default; a library must not print.
    api->SetVariable("debug_file", "/dev/null");
    if (api->Init(nullptr, language.c_str(), tesseract::OEM_LSTM_ONLY) != 0)
        throw std::runtime_error("OCR: Tesseract cannot load language \"" + language +
                                 "\" (is its traineddata installed, e.g. Debian's tesseract-ocr-" + language + "?)");
    api->SetVariable("debug_file", "/dev/null");
    return *engines.emplace(language, std::move(api)).first->second;
}

// Pixels of ink per row. Ink is whatever differs clearly from the top-left
// pixel (the page background), so dark-on-light and light-on-dark pages work.
std::vector<double> ink_profile(const Image& image) {
    const int background = luminance(image, 0);
    std::vector<double> profile(size_t(image.height), 0.0);
    for (int y = 0; y < image.height; ++y) {
        int ink = 0;
        const size_t row = size_t(y) * size_t(image.width);
        for (int x = 0; x < image.width; ++x) ink += std::abs(int(luminance(image, row + size_t(x))) - background) > 64;
        profile[size_t(y)] = ink;
    }
    return profile;
}

// Reads each text line of `pix` (the page, scaled by `scale`) on its own,
// with a white margin around it as Tesseract expects; lines joined by '\n'.
std::string read_lines(tesseract::TessBaseAPI& api, Pix* pix, const std::vector<RowBand>& bands, double scale,
                       double scaled_pitch, int resolution) {
    api.SetPageSegMode(tesseract::PSM_SINGLE_LINE);
    const int margin = std::max(4, int(std::lround(scaled_pitch / 2)));
    const int height = int(pixGetHeight(pix));
    std::string text;
    for (const RowBand& band : bands) {
        const int top = std::clamp(int(std::floor(band.begin * scale)), 0, height - 1);
        const int bottom = std::clamp(int(std::ceil(band.end * scale)), top + 1, height);
        BOX* box = boxCreate(0, top, int(pixGetWidth(pix)), bottom - top);
        PixPtr line(pixClipRectangle(pix, box, nullptr));
        boxDestroy(&box);
        if (!line) throw std::runtime_error("OCR: cannot cut a text line out of the image");
        PixPtr padded(pixAddBorder(line.get(), l_uint32(margin), 255));
        if (!padded) throw std::runtime_error("OCR: out of memory for a text line");
        api.SetImage(padded.get());
        api.SetSourceResolution(resolution);
        std::unique_ptr<char[]> read(api.GetUTF8Text());
        if (!read) throw std::runtime_error("OCR: Tesseract failed to read a text line");
        std::string_view line_text(read.get());
        while (!line_text.empty() && (line_text.back() == '\n' || line_text.back() == ' ')) line_text.remove_suffix(1);
        if (!text.empty()) text += '\n';
        text += line_text;
    }
    return text;
}

// The first and last rows with any ink; {-1, -1} on a blank page.
std::pair<int, int> inked_rows(const std::vector<double>& profile) {
    int first = -1, last = -1;
    for (size_t y = 0; y < profile.size(); ++y) {
        if (profile[y] > 0) {
            if (first < 0) first = int(y);
            last = int(y);
        }
    }
    return {first, last};
}

}  // namespace

std::vector<RowBand> text_line_bands(const Image& image, double line_pitch_px) {
    check_image(image);
    const std::vector<double> profile = ink_profile(image);
    const auto [first, last] = inked_rows(profile);
    std::vector<RowBand> bands;
    if (first < 0) return bands;
    if (!(line_pitch_px >= 2)) return {{first, last + 1}};
    // A cut is the row with the least ink within a third of a pitch of where
    // the next line should begin; on a tie the one nearest the pitch step.
    const auto ink_in = [&](int begin, int end) {
        double ink = 0;
        for (int y = begin; y < end; ++y) ink += profile[size_t(y)];
        return ink;
    };
    int cut = first;
    while (cut <= last) {
        const double step = cut + line_pitch_px;
        const int lo = std::max(cut + 1, int(std::ceil(step - line_pitch_px / 3)));
        const int hi = std::min(image.height, int(std::floor(step + line_pitch_px / 3)));
        int next = -1;
        for (int y = lo; y <= hi && y < image.height; ++y)
            if (next < 0 || profile[size_t(y)] < profile[size_t(next)] ||
                (profile[size_t(y)] == profile[size_t(next)] && std::abs(y - step) < std::abs(next - step)))
                next = y;
        if (next < 0) next = std::min(image.height, int(std::lround(step)));
        next = std::max(next, cut + 1);
        if (ink_in(cut, next) > 0) bands.push_back({cut, next});
        cut = next;
    }
    return bands;
}

bool is_language_list(std::string_view languages) {
    if (languages.empty() || languages.front() == '+' || languages.back() == '+' ||
        languages.find("++") != std::string_view::npos)
        return false;
    for (char c : languages)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '+') return false;
    return true;
}

double estimate_line_pitch(const Image& image) {
    check_image(image);
    const std::vector<double> profile = ink_profile(image);
    const auto [first, last] = inked_rows(profile);
    if (first < 0) return 0;

    // Lines repeat at the leading, so the ink profile correlates with itself
    // at that lag. The smallest strong peak is the pitch (its multiples peak too).
    const int span = last - first + 1;
    const int max_lag = std::min(span / 2, 400);
    double mean = 0;
    for (int y = first; y <= last; ++y) mean += profile[size_t(y)];
    mean /= span;
    std::vector<double> correlation(size_t(std::max(max_lag + 2, 0)), 0.0);
    double best = 0;
    for (int lag = 3; lag <= max_lag + 1 && lag < span; ++lag) {
        double sum = 0;
        for (int y = first; y + lag <= last; ++y) sum += (profile[size_t(y)] - mean) * (profile[size_t(y + lag)] - mean);
        correlation[size_t(lag)] = sum / (span - lag);
        if (lag <= max_lag) best = std::max(best, correlation[size_t(lag)]);
    }
    if (best > 0) {
        for (int lag = 4; lag <= max_lag; ++lag) {
            const double c = correlation[size_t(lag)];
            if (c >= 0.6 * best && c >= correlation[size_t(lag - 1)] && c >= correlation[size_t(lag + 1)])
                return lag;
        }
    }
    // Too few lines to repeat: one line's ink height is about its leading.
    return span;
}

double choose_upscale(double line_pitch_px) {
    if (!(line_pitch_px > 0)) return 1.0;
    return std::clamp(kTargetLinePitch / line_pitch_px, 1.0, kMaxUpscale);
}

std::string tesseract_version() { return tesseract::TessBaseAPI::Version(); }

std::string ocr_image(const Image& image, const OcrOptions& options) {
    check_image(image);
    check_language(options.language);
    if (options.upscale < 0 || options.upscale > 16)
        throw std::invalid_argument("OCR: upscale " + std::to_string(options.upscale) + " is out of range (0..16)");

    const double pitch = options.line_pitch_px > 0 ? options.line_pitch_px : estimate_line_pitch(image);
    double scale = options.upscale > 0 ? options.upscale : choose_upscale(pitch);
    const double pixels = double(image.width) * image.height;
    scale = std::min(scale, std::max(1.0, std::sqrt(kMaxScaledPixels / pixels)));

    PixPtr pix = to_gray_pix(image);
    if (scale != 1.0) {
        PixPtr scaled(pixScale(pix.get(), float(scale), float(scale)));
        if (!scaled) throw std::runtime_error("OCR: cannot upscale the image");
        pix = std::move(scaled);
    }

    tesseract::TessBaseAPI& api = engine_for(options.language);
    // Tesseract derives size limits from the resolution; tell it the scaled
    // text is ordinary body text (a 12 pt pitch) instead of letting it guess.
    const double scaled_pitch = pitch > 0 ? pitch * scale : kTargetLinePitch;
    const int resolution = std::clamp(int(std::lround(scaled_pitch * 72.0 / 12.0)), 70, 1200);
    if (options.by_line) {
        std::string text = read_lines(api, pix.get(), text_line_bands(image, pitch), scale, scaled_pitch,
                                      resolution);
        api.Clear();
        return text;
    }
    api.SetPageSegMode(tesseract::PSM_SINGLE_BLOCK);
    api.SetImage(pix.get());
    api.SetSourceResolution(resolution);
    std::unique_ptr<char[]> text(api.GetUTF8Text());
    api.Clear();
    if (!text) throw std::runtime_error("OCR: Tesseract failed to read the image");
    return std::string(text.get());
}

}  // namespace glyph
