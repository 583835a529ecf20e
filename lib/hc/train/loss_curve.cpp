#include "hc/train/loss_curve.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "hc/core/atomic_file.h"
#include "hc/train/step_log.h"

namespace hc {
namespace {

constexpr double kWidth = 720;
constexpr double kPanelHeight = 180;
constexpr double kLeft = 70, kRight = 20, kTop = 28, kBottom = 30;

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

struct Range {
  double low, high;
};

Range padded_range(double low, double high) {
  if (!(high > low)) {
    const double pad = std::max(1e-12, std::abs(low) * 0.05 + 1e-6);
    return {low - pad, high + pad};
  }
  const double pad = (high - low) * 0.05;
  return {low - pad, high + pad};
}

// One panel: frame, axis labels and the polyline, its top edge at y0.
void panel(std::ostringstream& svg, const std::string& name,
           const std::vector<std::pair<int64_t, double>>& points, double y0) {
  double low = INFINITY, high = -INFINITY;
  for (const auto& point : points) {
    if (!std::isfinite(point.second)) continue;
    low = std::min(low, point.second);
    high = std::max(high, point.second);
  }
  if (!std::isfinite(low)) low = high = 0;
  const Range y = padded_range(low, high);
  const Range x = padded_range(static_cast<double>(points.front().first),
                               static_cast<double>(points.back().first));
  const double w = kWidth - kLeft - kRight, h = kPanelHeight - kTop - kBottom;
  auto px = [&](double v) { return kLeft + (v - x.low) / (x.high - x.low) * w; };
  auto py = [&](double v) { return y0 + kTop + h - (v - y.low) / (y.high - y.low) * h; };
  svg << fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888"/>)",
                     kLeft, y0 + kTop, w, h)
      << '\n';
  svg << fmt::format(R"(<text x="{}" y="{}" font-size="13">{}</text>)", kLeft, y0 + kTop - 8,
                     escape(name))
      << '\n';
  for (double v : {low, high}) {
    svg << fmt::format(R"(<text x="{}" y="{:.1f}" font-size="10" text-anchor="end">{:.4g}</text>)",
                       kLeft - 4, py(v) + 3, v)
        << '\n';
  }
  svg << fmt::format(R"(<text x="{}" y="{}" font-size="10">step {}</text>)", kLeft,
                     y0 + kPanelHeight - 12, points.front().first)
      << fmt::format(R"(<text x="{}" y="{}" font-size="10" text-anchor="end">step {}</text>)",
                     kWidth - kRight, y0 + kPanelHeight - 12, points.back().first)
      << '\n';
  svg << R"(<polyline fill="none" stroke="#1f77b4" stroke-width="1.2" points=")";
  for (const auto& point : points) {
    if (!std::isfinite(point.second)) continue;
    svg << fmt::format("{:.1f},{:.1f} ", px(static_cast<double>(point.first)), py(point.second));
  }
  svg << "\"/>\n";
}

}  // namespace

void write_loss_curve_svg(const std::filesystem::path& path, const StepLog& log,
                          const std::vector<std::string>& fields, const std::string& title) {
  std::vector<std::pair<std::string, std::vector<std::pair<int64_t, double>>>> series;
  for (const std::string& field : fields) {
    auto points = log.series(field);
    if (!points.empty()) series.emplace_back(field, std::move(points));
  }
  const double height = 30 + kPanelHeight * static_cast<double>(std::max<std::size_t>(1, series.size()));
  std::ostringstream svg;
  svg << fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" )"
                     R"(viewBox="0 0 {} {}" font-family="sans-serif">)",
                     kWidth, height, kWidth, height)
      << '\n'
      << R"(<rect width="100%" height="100%" fill="white"/>)" << '\n'
      << fmt::format(R"(<text x="{}" y="20" font-size="15">{}</text>)", kLeft, escape(title))
      << '\n';
  if (series.empty()) {
    svg << fmt::format(R"(<text x="{}" y="60" font-size="13">no steps logged</text>)", kLeft)
        << '\n';
  }
  for (std::size_t i = 0; i < series.size(); ++i) {
    panel(svg, series[i].first, series[i].second, 30 + kPanelHeight * static_cast<double>(i));
  }
  svg << "</svg>\n";
  AtomicFile file(path);
  file.stream() << svg.str();
  file.commit();
}

}  // namespace hc
