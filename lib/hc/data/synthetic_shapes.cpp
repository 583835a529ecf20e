#include "hc/data/synthetic_shapes.h"

#include <fstream>
#include <random>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "hc/core/error.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

const char* const kShapes[] = {"circle", "square", "triangle"};
const char* const kColours[] = {"red", "green", "blue"};

cv::Scalar colour_bgr(int colour, std::mt19937& random) {
  std::uniform_int_distribution<int> strong(170, 255), weak(0, 70);
  const int high = strong(random);
  const int a = weak(random), b = weak(random);
  switch (colour) {
    case 0: return cv::Scalar(a, b, high);  // red (BGR)
    case 1: return cv::Scalar(a, high, b);  // green
    default: return cv::Scalar(high, a, b); // blue
  }
}

cv::Mat draw_shape(int shape, int colour, int size, std::mt19937& random) {
  std::uniform_int_distribution<int> grey(90, 160);
  cv::Mat image(size, size, CV_8UC3, cv::Scalar::all(grey(random)));
  cv::Mat noise(size, size, CV_8UC3);
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(30));
  image += noise;
  // Large shapes near the centre: the share of the image a shape covers (square > circle >
  // triangle) then tells the shapes apart even in a randomly initialised model's features.
  std::uniform_int_distribution<int> extent(size * 5 / 16, size * 6 / 16);
  const int r = extent(random);
  std::uniform_int_distribution<int> jitter(-size / 16, size / 16);
  const cv::Point c(size / 2 + jitter(random), size / 2 + jitter(random));
  const cv::Scalar fill = colour_bgr(colour, random);
  if (shape == 0) {
    cv::circle(image, c, r, fill, cv::FILLED, cv::LINE_AA);
  } else if (shape == 1) {
    cv::rectangle(image, cv::Point(c.x - r, c.y - r), cv::Point(c.x + r, c.y + r), fill,
                  cv::FILLED, cv::LINE_AA);
  } else {
    const std::vector<cv::Point> corners{{c.x, c.y - r}, {c.x - r, c.y + r}, {c.x + r, c.y + r}};
    cv::fillConvexPoly(image, corners, fill, cv::LINE_AA);
  }
  return image;
}

}  // namespace

std::vector<std::string> shape_classes() {
  std::vector<std::string> names;
  for (const char* shape : kShapes) {
    for (const char* colour : kColours) names.push_back(std::string(colour) + "_" + shape);
  }
  return names;
}

void write_shape_images(const fs::path& root, const ShapeSetOptions& options) {
  std::mt19937 random(static_cast<std::mt19937::result_type>(options.seed));
  for (int shape = 0; shape < 3; ++shape) {
    for (int colour = 0; colour < 3; ++colour) {
      const fs::path folder = root / (std::string(kColours[colour]) + "_" + kShapes[shape]);
      fs::create_directories(folder);
      for (int i = 0; i < options.images_per_class; ++i) {
        const cv::Mat image = draw_shape(shape, colour, options.size, random);
        const fs::path file = folder / (std::to_string(i) + ".png");
        if (!cv::imwrite(file.string(), image)) {
          throw runtime_error("cannot write {}", file.string());
        }
      }
    }
  }
}

void write_shape_hierarchy(const fs::path& file) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file);
  for (const char* shape : kShapes) {
    for (const char* colour : kColours) out << colour << "_" << shape << ", " << shape << "\n";
  }
  if (!out.flush()) throw runtime_error("cannot write {}", file.string());
}

}  // namespace hc
