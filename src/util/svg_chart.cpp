// The SVG chart writer shared by eval report and search.
#include "util/svg_chart.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace glyph {
namespace {

std::string num(double v, int decimals = 1) {
    char b[48];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}

std::string tick_label(double v) {
    char b[48];
    std::snprintf(b, sizeof b, "%g", std::round(v * 1000) / 1000);
    return b;
}

std::vector<std::pair<double, std::string>> ticks_of(const ChartAxis& axis) {
    if (!axis.ticks.empty()) return axis.ticks;
    std::vector<std::pair<double, std::string>> ticks;
    for (int i = 0; i <= 4; ++i) {
        const double v = axis.min + (axis.max - axis.min) * i / 4;
        ticks.push_back({v, tick_label(v)});
    }
    return ticks;
}

}  // namespace

std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string chart_svg(const Chart& c) {
    static const char* palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
    const int w = c.width, h = c.height, left = 60, right = 180, top = 30, bottom = 50;
    const double pw = w - left - right, ph = h - top - bottom;
    auto span = [](const ChartAxis& a) { return a.max > a.min ? a.max - a.min : 1.0; };
    auto x_of = [&](double x) { return left + pw * (x - c.x.min) / span(c.x); };
    auto y_of = [&](double y) { return top + ph * (1 - (y - c.y.min) / span(c.y)); };
    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h << "\" viewBox=\"0 0 " << w
        << " " << h << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"" << left << "\" y=\"18\" font-size=\"14\">" << xml_escape(c.title) << "</text>\n";
    for (const auto& [v, label] : ticks_of(c.y))
        svg << "<line x1=\"" << left << "\" x2=\"" << left + pw << "\" y1=\"" << num(y_of(v)) << "\" y2=\""
            << num(y_of(v)) << "\" stroke=\"#ddd\"/>\n<text x=\"" << left - 8 << "\" y=\"" << num(y_of(v) + 4)
            << "\" text-anchor=\"end\">" << xml_escape(label) << "</text>\n";
    for (const auto& [v, label] : ticks_of(c.x))
        svg << "<text x=\"" << num(x_of(v)) << "\" y=\"" << top + ph + 20 << "\" text-anchor=\"middle\">"
            << xml_escape(label) << "</text>\n";
    svg << "<text x=\"" << left + pw / 2 << "\" y=\"" << h - 10 << "\" text-anchor=\"middle\">" << xml_escape(c.x.title)
        << "</text>\n";
    if (!c.y.title.empty())
        svg << "<text x=\"14\" y=\"" << top + ph / 2 << "\" text-anchor=\"middle\" transform=\"rotate(-90 14 "
            << top + ph / 2 << ")\">" << xml_escape(c.y.title) << "</text>\n";
    for (size_t s = 0; s < c.series.size(); ++s) {
        const ChartSeries& series = c.series[s];
        const std::string colour = series.colour.empty() ? palette[s % 8] : series.colour;
        std::string points;
        for (const auto& [x, y] : series.points) {
            points += num(x_of(x)) + "," + num(y_of(y)) + " ";
            svg << "<circle cx=\"" << num(x_of(x)) << "\" cy=\"" << num(y_of(y)) << "\" r=\"" << series.radius
                << "\" fill=\"" << colour << "\"/>\n";
        }
        if (series.line)
            svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"" << points
                << "\"/>\n";
        svg << "<rect x=\"" << left + pw + 15 << "\" y=\"" << top + 20 * s << "\" width=\"12\" height=\"12\" fill=\""
            << colour << "\"/>\n<text x=\"" << left + pw + 32 << "\" y=\"" << top + 20 * s + 11 << "\">"
            << xml_escape(series.label) << "</text>\n";
    }
    svg << "</svg>\n";
    return svg.str();
}

}  // namespace glyph
