// Image classification sets: class-folder scans in a fixed order, binding labels to a hierarchy,
// in-memory images beside files, and the seeded stratified train/val/test split.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/split_mix.h"
#include "hc/data/class_hierarchy.h"
#include "hc/data/dataset_splits.h"
#include "hc/data/image_folder.h"
#include "hc/data/labelled_images.h"
#include "test_support.h"
#include "usage_message.h"

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::usage_message;

// A folder of class folders, `counts` images each, every image 2x1 with a colour from its
// class and number.
void make_folder(const fs::path& root, const std::map<std::string, int>& counts) {
  int class_number = 0;
  for (const auto& [name, count] : counts) {
    for (int i = 0; i < count; ++i) {
      const std::string rgb{char(class_number * 40), char(i), char(7), char(1), char(2), char(3)};
      hc::test::write_ppm(root / name / ("img" + std::to_string(i) + ".ppm"), 2, 1, rgb);
    }
    ++class_number;
  }
}

}  // namespace

TEST_CASE("image folders: classes and files in byte order, non-images left out", "[data]") {
  hc::test::TempDir dir;
  make_folder(dir.path(), {{"b_class", 2}, {"A_class", 1}, {"c", 3}});
  hc::test::write_bytes(dir / "c" / "notes.txt", "not an image");
  hc::test::write_bytes(dir / "README", "top-level file");
  hc::test::write_ppm(dir / "c" / "UPPER.PPM", 1, 1, "abc");
  const hc::LabelledImageSet set = hc::scan_image_folder(dir.path());
  CHECK(set.label_names == std::vector<std::string>{"A_class", "b_class", "c"});
  REQUIRE(set.size() == 7);
  CHECK(set.label_counts() == std::vector<int64_t>{1, 2, 4});
  CHECK(set.images[3].path.filename() == "UPPER.PPM");  // 'U' sorts before 'i'
  CHECK(set.images[3].id == set.images[3].path.string());
  const hc::RgbImage pixels = hc::load_pixels(set.images[1]);
  CHECK(pixels.width == 2);
  CHECK(pixels.pixels[0] == 40);  // second class folder, first image

  hc::ImageFolderOptions options;
  options.exclude = {"c"};
  CHECK(hc::scan_image_folder(dir.path(), options).label_names.size() == 2);
  options.exclude = {"missing"};
  CHECK_THAT(usage_message([&] { hc::scan_image_folder(dir.path(), options); }),
             Contains("excluded class folder 'missing' is not there"));
  hc::ImageFolderOptions only;
  only.only = {"c", "A_class"};
  CHECK(hc::scan_image_folder(dir.path(), only).label_names ==
        std::vector<std::string>{"A_class", "c"});
  only.only = {"zzz"};
  CHECK_THAT(usage_message([&] { hc::scan_image_folder(dir.path(), only); }),
             Contains("class folder 'zzz' is missing"));

  fs::create_directories(dir / "empty");
  CHECK_THAT(usage_message([&] { hc::scan_image_folder(dir.path()); }),
             Contains("class folder has no images (an empty class)"));
  CHECK_THAT(usage_message([&] { hc::scan_image_folder(dir / "nowhere"); }),
             Contains("no such image folder"));
  hc::test::TempDir bare;
  CHECK_THAT(usage_message([&] { hc::scan_image_folder(bare.path()); }),
             Contains("no class folders"));
}

TEST_CASE("labelled images: bound to a hierarchy by name, renamed or normalised", "[data]") {
  const hc::ClassHierarchy h = hc::parse_class_hierarchy(
      "sea_horse, fish\ncrab, crustaceans\nbeagle, dogs\n", "h.txt");
  hc::LabelledImageSet set;
  set.source = "mem";
  set.label_names = {"Sea_Horse", "n02088364", "crab"};
  for (int64_t label : {0, 1, 2, 2}) {
    set.images.push_back(hc::image_in_memory(hc::RgbImage(1, 1), "mem#" + std::to_string(label),
                                             label));
  }
  const hc::HierarchicalImageSet bound =
      hc::bind_to_hierarchy(set, h, {{"n02088364", "beagle"}});
  REQUIRE(bound.classes.size() == 4);
  CHECK(bound.num_levels == 2);
  for (std::size_t i = 0; i < 4; ++i) {
    const std::string label = set.label_names[set.images[i].label];
    const int64_t fine = bound.classes[i][1];
    CHECK(bound.classes[i] == h.chain_of(fine));
    const std::string finest = h.levels()[1].classes[fine];
    CHECK((finest == hc::normalize_class_name(label) || label == "n02088364"));
  }
  CHECK(hc::load_pixels(bound.images.images[0]).width == 1);

  // Names match across spellings both ways (CIFAR's "aquarium_fish" kept raw in the hierarchy).
  hc::ClassHierarchyOptions raw;
  raw.normalize_names = false;
  const hc::ClassHierarchy cifar_like =
      hc::parse_class_hierarchy("aquarium_fish, fish\nray, fish\n", "c.txt", raw);
  hc::LabelledImageSet spelled{
      "mem", {"aquarium fish"}, {hc::image_in_memory(hc::RgbImage(1, 1), "m", 0)}};
  CHECK(hc::bind_to_hierarchy(spelled, cifar_like).classes[0][1] == 0);
  const hc::ClassHierarchy clash =
      hc::parse_class_hierarchy("sea_horse, fish\nsea-horse, fish\n", "c.txt", raw);
  spelled.label_names = {"Sea Horse"};
  CHECK_THAT(usage_message([&] { hc::bind_to_hierarchy(spelled, clash); }),
             Contains("matches two finest classes"));

  set.label_names[2] = "lobster";
  CHECK_THAT(usage_message([&] { hc::bind_to_hierarchy(set, h); }),
             Contains("label 'n02088364' (image mem#1) is missing from the finest level 'fine'"));
  set.images.clear();
  CHECK_THAT(usage_message([&] { hc::bind_to_hierarchy(set, h); }), Contains("mem: no images"));
}

TEST_CASE("splits: stratified, disjoint, seeded and the same on every run", "[data]") {
  hc::LabelledImageSet set;
  set.source = "mem";
  set.label_names = {"a", "b", "c", "d"};
  const std::vector<int> sizes{10, 7, 1, 2};
  for (int64_t label = 0; label < 4; ++label) {
    for (int i = 0; i < sizes[label]; ++i) {
      set.images.push_back(hc::image_in_memory(
          hc::RgbImage(1, 1), set.label_names[label] + std::to_string(i), label));
    }
  }
  const hc::DatasetSplits splits = hc::split_images(set, 0.2, 0.3, 7);
  std::multiset<std::string> all;
  for (const auto* part : {&splits.train, &splits.val, &splits.test}) {
    CHECK(part->label_names == set.label_names);
    for (const auto& image : part->images) all.insert(image.id);
    // Each split keeps the set's order.
    for (std::size_t i = 1; i < part->size(); ++i) {
      CHECK(part->images[i - 1].label <= part->images[i].label);
    }
  }
  CHECK(all.size() == set.size());
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == set.size());
  // round(n * fraction) per class, at least one training image each.
  CHECK(splits.test.label_counts() == std::vector<int64_t>{3, 2, 0, 1});
  CHECK(splits.val.label_counts() == std::vector<int64_t>{2, 1, 0, 0});
  CHECK(splits.train.label_counts() == std::vector<int64_t>{5, 4, 1, 1});

  auto ids = [](const hc::LabelledImageSet& part) {
    std::vector<std::string> out;
    for (const auto& image : part.images) out.push_back(image.id);
    return out;
  };
  CHECK(ids(hc::split_images(set, 0.2, 0.3, 7).test) == ids(splits.test));
  bool differs = false;
  for (uint64_t seed = 8; seed < 12; ++seed) {
    differs |= ids(hc::split_images(set, 0.2, 0.3, seed).test) != ids(splits.test);
  }
  CHECK(differs);
  CHECK_THROWS_AS(hc::split_images(set, 0.6, 0.5, 0), hc::Error);
  CHECK_THROWS_AS(hc::split_images(set, -0.1, 0.0, 0), hc::Error);

  // The generator is fixed for a seed (so splits agree across platforms).
  hc::SplitMix64 random(0);
  CHECK(random.next() == 0xE220A8397B1DCDAFull);
  for (int i = 0; i < 100; ++i) CHECK(random.below(3) < 3);
}

TEST_CASE("splits: folders per split or drawn from training, relabelled alike", "[data]") {
  hc::test::TempDir dir;
  make_folder(dir / "train", {{"cat", 4}, {"dog", 4}, {"BACKGROUND", 1}});
  make_folder(dir / "test", {{"dog", 2}});
  hc::ImageDatasetOptions options;
  options.train = (dir / "train").string();
  options.test = (dir / "test").string();
  options.val_fraction = 0.25;
  options.exclude = {"BACKGROUND"};
  const hc::DatasetSplits splits = hc::load_image_splits(options);
  CHECK(splits.train.label_names == std::vector<std::string>{"cat", "dog"});
  CHECK(splits.val.label_counts() == std::vector<int64_t>{1, 1});
  CHECK(splits.train.label_counts() == std::vector<int64_t>{3, 3});
  CHECK(splits.test.label_names == splits.train.label_names);
  CHECK(splits.test.label_counts() == std::vector<int64_t>{0, 2});

  options.test_fraction = 0.1;
  CHECK_THAT(usage_message([&] { hc::load_image_splits(options); }),
             Contains("test_fraction 0.1 is given beside the folder"));
  options.test_fraction = 0;
  make_folder(dir / "test", {{"bird", 1}});
  CHECK_THAT(usage_message([&] { hc::load_image_splits(options); }),
             Contains("class folder 'bird' has no counterpart in the training folder"));

  hc::ConfigSchema schema;
  hc::ImageDatasetOptions declared;
  declared.declare(schema, "data");
  schema.apply_override("data.train=/x");
  schema.apply_override("data.val_fraction=0.1");
  schema.validate();
  CHECK(declared.val_fraction == 0.1);
  schema.apply_override("data.val_fraction=2");
  CHECK_THROWS_AS(schema.validate(), hc::Error);
}
