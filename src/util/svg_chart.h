// One small SVG chart writer for every chart glyph draws (`glyph eval report`'s
// score by context length, `glyph search`'s Pareto front): axes with ticks,
// series of points joined or not, a legend. Plain SVG, no script.
#pragma once

#include <string>
#include <vector>

namespace glyph {

struct ChartSeries {
    std::string label;                 // legend text
    std::vector<std::pair<double, double>> points;  // (x, y) in data units
    bool line = true;                  // join the points (in the order given)
    std::string colour;                // empty: the palette's next colour
    double radius = 3;                 // point markers
};

struct ChartAxis {
    std::string title;
    double min = 0, max = 1;
    // Tick positions and their labels; empty: five even ticks labelled with their value.
    std::vector<std::pair<double, std::string>> ticks;
};

struct Chart {
    std::string title;
    ChartAxis x, y;
    std::vector<ChartSeries> series;
    int width = 640, height = 400;
};

std::string chart_svg(const Chart& chart);

// "&<>\"" escaped for SVG/XML text and attributes.
std::string xml_escape(const std::string& s);

}  // namespace glyph
