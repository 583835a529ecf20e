#include "hc/data/synthetic_breeds.h"

#include <array>
#include <algorithm>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"

namespace hc {
namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

constexpr int kImageSize = 224;

struct Colour {
  const char* name;
  cv::Scalar bgr;
};

struct Superclass {
  const char* shape;
  std::array<Colour, 2> colours;
};

const std::array<Superclass, 4> kSuperclasses{{
    {"circle", {{{"red", {40, 40, 220}}, {"blue", {200, 90, 30}}}}},
    {"square", {{{"green", {60, 170, 60}}, {"yellow", {40, 220, 230}}}}},
    {"triangle", {{{"purple", {160, 50, 140}}, {"orange", {30, 140, 250}}}}},
    {"ring", {{{"white", {245, 245, 245}}, {"black", {15, 15, 15}}}}},
}};

void draw(cv::Mat& image, const std::string& shape, cv::Point centre, int size,
          const cv::Scalar& colour) {
  const int half = size / 2;
  if (shape == "circle") {
    cv::circle(image, centre, half, colour, cv::FILLED, cv::LINE_AA);
  } else if (shape == "square") {
    cv::rectangle(image, centre - cv::Point(half, half), centre + cv::Point(half, half), colour,
                  cv::FILLED, cv::LINE_AA);
  } else if (shape == "triangle") {
    std::vector<cv::Point> corners{{centre.x, centre.y - half},
                                   {centre.x - half, centre.y + half},
                                   {centre.x + half, centre.y + half}};
    cv::fillConvexPoly(image, corners, colour, cv::LINE_AA);
  } else {
    cv::circle(image, centre, half, colour, std::max(6, size / 8), cv::LINE_AA);
  }
}

std::string wnid(int number) { return fmt::format("n9{:07d}", number); }

void write_text(const fs::path& file, const std::string& text) { write_file_atomically(file, text); }

}  // namespace

SyntheticBreeds write_synthetic_breeds(const fs::path& dir, std::size_t per_class, uint64_t seed) {
  if (per_class == 0) throw usage_error("synthetic BREEDS: at least one image a class");
  SyntheticBreeds out;
  out.subsets = dir / "subsets.json";
  out.images = dir / "val";
  out.list = dir / "val.txt";
  std::error_code ec;
  fs::create_directories(dir / "modified", ec);
  if (ec) throw runtime_error("{}: cannot create the folder: {}", dir.string(), ec.message());

  std::mt19937_64 random(seed);
  auto uniform = [&random](int low, int high) {
    return low + static_cast<int>(random() % static_cast<uint64_t>(high - low + 1));
  };
  std::string node_names = wnid(0) + "\tsynthetic entity\n", list;
  ordered_json supers = ordered_json::array(), subclasses = ordered_json::array(),
               source = ordered_json::array(), target = ordered_json::array(),
               class_info = ordered_json::array();
  int index = 0;
  for (std::size_t s = 0; s < kSuperclasses.size(); ++s) {
    const Superclass& super = kSuperclasses[s];
    const std::string super_wnid = wnid(100 + static_cast<int>(s));
    node_names += super_wnid + "\t" + super.shape + "\n";
    supers.push_back({{"wnid", super_wnid}, {"name", super.shape}});
    ordered_json members = ordered_json::array();
    for (const Colour& colour : super.colours) {
      const std::string sub_wnid = wnid(1000 + index);
      const std::string name = fmt::format("{} {}", colour.name, super.shape);
      node_names += sub_wnid + "\t" + name + "\n";
      class_info.push_back({index, sub_wnid, name});
      members.push_back({{"index", index}, {"wnid", sub_wnid}, {"name", name}});
      fs::create_directories(out.images / sub_wnid, ec);
      for (std::size_t i = 0; i < per_class; ++i) {
        const int grey = uniform(90, 170);
        cv::Mat image(kImageSize, kImageSize, CV_8UC3, cv::Scalar(grey, grey + uniform(-20, 20), grey));
        const cv::Point centre(kImageSize / 2 + uniform(-25, 25), kImageSize / 2 + uniform(-25, 25));
        draw(image, super.shape, centre, uniform(100, 150), colour.bgr);
        const std::string file_name = fmt::format("{}_{}.png", sub_wnid, i + 1);
        const fs::path file = out.images / sub_wnid / file_name;
        if (!cv::imwrite(file.string(), image)) {
          throw runtime_error("{}: could not write the image", file.string());
        }
        list += fmt::format("val/{}/{} {}\n", sub_wnid, file_name, sub_wnid);
        ++out.images_written;
      }
      ++index;
    }
    subclasses.push_back(members);
    source.push_back(ordered_json::array({members[0]}));
    target.push_back(ordered_json::array({members[1]}));
  }
  ordered_json subsets{
      {"_about", "synthetic stand-in for a BREEDS subset (hc write_synthetic_breeds)"},
      {"params", {{"synthetic4", {{"level", 1}, {"ancestor", wnid(0)}, {"Nsubclasses", 2}}}}},
      {"synthetic4", {{"superclasses", supers}, {"source_subclasses", subclasses},
                      {"target_subclasses", ordered_json::array()}}},
      {"synthetic4_rand", {{"superclasses", supers}, {"source_subclasses", source},
                           {"target_subclasses", target}}}};
  write_text(out.subsets, subsets.dump(1));
  write_text(dir / "modified" / "node_names.txt", node_names);
  write_text(dir / "modified" / "dataset_class_info.json", class_info.dump());
  write_text(out.list, list);
  return out;
}

}  // namespace hc
