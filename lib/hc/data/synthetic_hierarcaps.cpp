#include "hc/data/synthetic_hierarcaps.h"

#include <array>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/io/csv.h"

namespace hc {
namespace fs = std::filesystem;
namespace {

constexpr int kImageSize = 256;

struct Colour {
  const char* name;
  cv::Scalar bgr;
};

const std::array<Colour, 6> kColours{{{"red", {40, 40, 220}},
                                       {"green", {60, 170, 60}},
                                       {"blue", {200, 90, 30}},
                                       {"yellow", {40, 220, 230}},
                                       {"purple", {160, 50, 140}},
                                       {"white", {245, 245, 245}}}};
const std::array<const char*, 3> kShapes{"circle", "square", "triangle"};

void draw_shape(cv::Mat& image, const std::string& shape, int size, const cv::Scalar& colour) {
  const cv::Point centre(kImageSize / 2, kImageSize / 2);
  if (shape == "circle") {
    cv::circle(image, centre, size / 2, colour, cv::FILLED, cv::LINE_AA);
  } else if (shape == "square") {
    cv::rectangle(image, centre - cv::Point(size / 2, size / 2),
                  centre + cv::Point(size / 2, size / 2), colour, cv::FILLED, cv::LINE_AA);
  } else {
    std::vector<cv::Point> corners{{centre.x, centre.y - size / 2},
                                   {centre.x - size / 2, centre.y + size / 2},
                                   {centre.x + size / 2, centre.y + size / 2}};
    cv::fillConvexPoly(image, corners, colour, cv::LINE_AA);
  }
}

}  // namespace

SyntheticHierarCaps write_synthetic_hierarcaps(const fs::path& dir, std::size_t count,
                                               uint64_t seed) {
  if (count == 0) throw usage_error("synthetic HierarCaps: the sample needs at least one image");
  SyntheticHierarCaps sample;
  sample.csv = dir / "hierarcaps_synthetic.csv";
  sample.images = dir / "images";
  std::error_code ec;
  fs::create_directories(sample.images, ec);
  if (ec) throw runtime_error("{}: cannot create the folder: {}", sample.images.string(), ec.message());

  std::mt19937_64 random(seed);
  auto pick = [&random](std::size_t n) {
    return static_cast<std::size_t>(std::uniform_int_distribution<std::size_t>(0, n - 1)(random));
  };
  std::ostringstream csv;
  CsvWriter writer(csv);
  writer.write_row({"id", "captions", "image_url"});
  for (std::size_t i = 0; i < count; ++i) {
    const std::string shape = kShapes[pick(kShapes.size())];
    const std::size_t colour = pick(kColours.size());
    std::size_t background = pick(kColours.size() - 1);
    if (background >= colour) ++background;  // never the shape's own colour
    const bool large = pick(2) == 1;
    const int size = large ? 170 : 80;

    cv::Mat image(kImageSize, kImageSize, CV_8UC3, kColours[background].bgr);
    draw_shape(image, shape, size, kColours[colour].bgr);
    const std::string name = fmt::format("synthetic_{:06d}.jpg", i + 1);
    const fs::path file = sample.images / name;
    if (!cv::imwrite(file.string(), image)) {
      throw runtime_error("{}: could not write the image", file.string());
    }

    const std::string captions = fmt::format(
        "shape => {} => {} {} => a {} {} {} on a {} background", shape, kColours[colour].name,
        shape, large ? "large" : "small", kColours[colour].name, shape,
        kColours[background].name);
    writer.write_row({std::to_string(i), captions, "synthetic/" + name});
  }
  write_file_atomically(sample.csv, csv.str());
  sample.rows = count;
  return sample;
}

}  // namespace hc
