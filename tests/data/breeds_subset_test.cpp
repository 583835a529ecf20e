// BREEDS subsets and the ImageNet images of their classes: the shared subsets file read against
// its own parameters, label names, and every malformed input as an error naming the file, line
// or class, with the exit code's kind.
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/data/breeds_subset.h"
#include "hc/data/imagenet_images.h"
#include "hc/data/synthetic_breeds.h"
#include "hc/io/text_file.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::TempDir;
using hc::test::write_bytes;
using nlohmann::json;

hc::BreedsOptions shared_options(const std::string& subset, const std::string& split = "none") {
  hc::BreedsOptions options;
  options.subsets = hc::test::shared_path("data/breeds/subsets.json");
  options.subset = subset;
  options.split = split;
  return options;
}

// A small subsets file and hierarchy: two superclasses of two ImageNet classes each.
struct SmallBreeds {
  TempDir dir;
  json subsets;
  std::string node_names = "n001\tanimal, beast\nn002\tdevice\nn010\tdog, domestic dog\n"
                           "n011\tcat\nn020\tclock\nn021\tphone, telephone\n";
  json class_info = json::parse(
      R"([[0, "n010", "dog, domestic dog"], [1, "n011", "cat"], [2, "n020", "clock"],
          [3, "n021", "phone, telephone"]])");

  SmallBreeds() {
    subsets = json::parse(R"({"tiny": {
      "superclasses": [{"wnid": "n001", "name": "animal"}, {"wnid": "n002", "name": "device"}],
      "source_subclasses": [[{"index": 0, "wnid": "n010", "name": "dog"},
                             {"index": 1, "wnid": "n011", "name": "cat"}],
                            [{"index": 2, "wnid": "n020", "name": "clock"},
                             {"index": 3, "wnid": "n021", "name": "phone"}]],
      "target_subclasses": []}})");
  }
  hc::BreedsOptions write() const {
    write_bytes(dir / "subsets.json", subsets.dump());
    write_bytes(dir / "modified" / "node_names.txt", node_names);
    write_bytes(dir / "modified" / "dataset_class_info.json", class_info.dump());
    hc::BreedsOptions options;
    options.subsets = dir / "subsets.json";
    options.subset = "tiny";
    return options;
  }
};

std::string error_of(const std::function<void()>& action, hc::Error::Kind kind) {
  try {
    action();
  } catch (const hc::Error& e) {
    CHECK(e.kind() == kind);
    return e.what();
  }
  FAIL("no error");
  return "";
}

hc::ImageNetClasses small_classes() {
  hc::ImageNetClasses classes;
  classes.wnids = {"n010", "n011", "n020", "n021"};
  for (std::size_t i = 0; i < classes.wnids.size(); ++i) classes.index_of[classes.wnids[i]] = i;
  classes.names = classes.wnids;
  return classes;
}

}  // namespace

TEST_CASE("BREEDS: the shared subsets agree with their own parameters", "[data][breeds]") {
  const json file = json::parse(hc::read_text_file(hc::test::shared_path("data/breeds/subsets.json")));
  const auto node_names =
      hc::read_node_names(hc::test::shared_path("data/breeds/modified/node_names.txt"));
  REQUIRE(file.contains("params"));
  for (const auto& [name, params] : file["params"].items()) {
    CAPTURE(name);
    const hc::BreedsSubset subset = hc::load_breeds_subset(shared_options(name));
    CHECK(subset.superclasses.size() == file[name]["superclasses"].size());
    for (const auto& superclass : subset.superclasses) {
      CHECK(superclass.subclasses.size() == params["Nsubclasses"].get<std::size_t>());
      CHECK(superclass.node.name == hc::first_synonym(node_names.at(superclass.node.wnid)));
      for (const auto& subclass : superclass.subclasses) {
        CHECK(subclass.imagenet_index >= 0);
        CHECK(subclass.name == hc::first_synonym(node_names.at(subclass.wnid)));
      }
    }
    const auto labels = subset.labels();
    CHECK(labels.size() == subset.superclasses.size() + subset.num_subclasses());
    CHECK(std::set<std::string>(labels.begin(), labels.end()).size() == labels.size());

    // split='rand': two disjoint halves of each superclass's subclasses.
    const auto source = hc::load_breeds_subset(shared_options(name, "source"));
    const auto target = hc::load_breeds_subset(shared_options(name, "target"));
    REQUIRE(source.superclasses.size() == target.superclasses.size());
    for (std::size_t s = 0; s < source.superclasses.size(); ++s) {
      std::set<std::string> seen;
      for (const auto& c : source.superclasses[s].subclasses) seen.insert(c.wnid);
      for (const auto& c : target.superclasses[s].subclasses) CHECK(seen.count(c.wnid) == 0);
    }
  }
}

TEST_CASE("BREEDS: label names are the first synonym, or the full name", "[data][breeds]") {
  CHECK(hc::first_synonym("dog, domestic dog, Canis familiaris") == "dog");
  CHECK(hc::first_synonym("  eft ") == "eft");
  CHECK(hc::first_synonym("stringed instrument") == "stringed instrument");
  SmallBreeds small;
  hc::BreedsOptions options = small.write();
  hc::BreedsSubset subset = hc::load_breeds_subset(options);
  CHECK(subset.labels() == std::vector<std::string>{"animal", "device", "dog", "cat", "clock", "phone"});
  options.names = "full";
  subset = hc::load_breeds_subset(options);
  CHECK(subset.labels() == std::vector<std::string>{"animal, beast", "device", "dog, domestic dog",
                                                     "cat", "clock", "phone, telephone"});
}

TEST_CASE("BREEDS: malformed subsets and hierarchies are errors naming what is wrong", "[data][breeds]") {
  using K = hc::Error::Kind;
  {
    SmallBreeds small;
    hc::BreedsOptions options = small.write();
    options.subset = "living17";
    CHECK_THAT(error_of([&] { hc::load_breeds_subset(options); }, K::Usage),
               Contains("no subset 'living17'") && Contains("tiny"));
    options.subset = "tiny";
    options.split = "source";
    CHECK_THAT(error_of([&] { hc::load_breeds_subset(options); }, K::Usage), Contains("tiny_rand"));
  }
  {
    SmallBreeds small;
    small.node_names = "n001\tanimal\nn002\tdevice\nn010\tdog\nn011\tcat\nn020\tclock\n";
    const auto options = small.write();
    CHECK_THAT(error_of([&] { hc::load_breeds_subset(options); }, K::Runtime),
               Contains("n021") && Contains("node_names.txt"));
  }
  {
    SmallBreeds small;
    small.subsets["tiny"]["source_subclasses"][0][0]["index"] = 2;
    const auto options = small.write();
    CHECK_THAT(error_of([&] { hc::load_breeds_subset(options); }, K::Runtime),
               Contains("tiny.source_subclasses[0][0]") && Contains("index 0"));
  }
  {
    SmallBreeds small;
    small.node_names = "n001\tanimal\nn002\tdevice\nn010\tdog\nn011\tdog, cat\nn020\tclock\nn021\tphone\n";
    const auto options = small.write();
    CHECK_THAT(error_of([&] { hc::load_breeds_subset(options); }, K::Runtime),
               Contains("two labels with the text 'dog'") && Contains("breeds.names=full"));
  }
  {
    SmallBreeds small;
    small.subsets["tiny"]["source_subclasses"][1] = json::array();
    const auto options = small.write();
    CHECK_THAT(error_of([&] { hc::load_breeds_subset(options); }, K::Runtime),
               Contains("n002") && Contains("no subclasses"));
  }
  {
    SmallBreeds small;
    small.subsets["tiny"].erase("superclasses");
    const auto options = small.write();
    CHECK_THAT(error_of([&] { hc::load_breeds_subset(options); }, K::Runtime),
               Contains("tiny has no field 'superclasses'"));
  }
  {
    SmallBreeds small;
    small.subsets["tiny"]["source_subclasses"][0][1].erase("wnid");
    const auto options = small.write();
    CHECK_THAT(error_of([&] { hc::load_breeds_subset(options); }, K::Runtime),
               Contains("tiny.source_subclasses[0][1] has no field 'wnid'"));
  }
  {
    SmallBreeds small;
    auto options = small.write();
    write_bytes(options.subsets, "{\"tiny\": [");
    CHECK_THAT(error_of([&] { hc::load_breeds_subset(options); }, K::Runtime), Contains("invalid JSON"));
    options.subsets = small.dir / "missing.json";
    CHECK_THAT(error_of([&] { hc::load_breeds_subset(options); }, K::Runtime), Contains("missing.json"));
  }
  TempDir dir;
  write_bytes(dir / "names.txt", "n001\tanimal\nn002 device\n");
  CHECK_THAT(error_of([&] { hc::read_node_names(dir / "names.txt"); }, K::Runtime),
             Contains("names.txt:2"));
  write_bytes(dir / "info.json", R"([[0, "n1", "a"], [2, "n2", "b"]])");
  CHECK_THAT(error_of([&] { hc::read_imagenet_classes(dir / "info.json"); }, K::Runtime),
             Contains("entry [1]"));
}

TEST_CASE("ImageNet images: class folders, ground-truth files and lists", "[data][breeds]") {
  using K = hc::Error::Kind;
  TempDir dir;
  const hc::ImageNetClasses classes = small_classes();
  const std::vector<std::string> wanted{"n010", "n020"}, names{"dog", "clock"};
  for (const char* file : {"n010/b.JPEG", "n010/a.JPEG", "n010/notes.txt", "n020/x.png", "n011/y.jpg"}) {
    write_bytes(dir / "val" / file, "x");
  }
  hc::ImageNetImagesOptions options;
  options.folder = dir / "val";
  hc::ClassImages found = hc::find_class_images(options, wanted, names, classes);
  CHECK(found.layout == "folders");
  CHECK(found.images.at("n010") == std::vector<fs::path>{dir / "val/n010/a.JPEG", dir / "val/n010/b.JPEG"});
  CHECK(found.images.at("n020").size() == 1);
  CHECK(found.images.count("n011") == 0);
  options.per_class = 1;
  CHECK(hc::find_class_images(options, wanted, names, classes).images.at("n010").size() == 1);
  options.per_class = 0;

  // A class without a folder, or with an empty one.
  CHECK_THAT(error_of([&] { hc::find_class_images(options, {"n010", "n021"}, {"dog", "phone"}, classes); },
                      K::Runtime),
             Contains("no folder for 1 of the 2 classes") && Contains("n021 'phone'"));
  fs::create_directories(dir / "val" / "n021");
  CHECK_THAT(error_of([&] { hc::find_class_images(options, {"n021"}, {"phone"}, classes); }, K::Runtime),
             Contains("no images") && Contains("n021 'phone'"));

  // The flat val folder: needs its ground truth.
  write_bytes(dir / "flat" / "ILSVRC2012_val_00000001.JPEG", "x");
  write_bytes(dir / "flat" / "ILSVRC2012_val_00000002.JPEG", "x");
  write_bytes(dir / "flat" / "ILSVRC2012_val_00000003.JPEG", "x");
  options.folder = dir / "flat";
  CHECK_THAT(error_of([&] { hc::find_class_images(options, wanted, names, classes); }, K::Usage),
             Contains("--ground-truth"));
  write_bytes(dir / "val.txt",
              "ILSVRC2012_val_00000001.JPEG 0\nILSVRC2012_val_00000002.JPEG n020\n"
              "ILSVRC2012_val_00000003.JPEG 1\n");
  options.ground_truth = dir / "val.txt";
  found = hc::find_class_images(options, wanted, names, classes);
  CHECK(found.layout == "ground_truth");
  CHECK(found.images.at("n010") == std::vector<fs::path>{dir / "flat/ILSVRC2012_val_00000001.JPEG"});
  CHECK(found.images.at("n020") == std::vector<fs::path>{dir / "flat/ILSVRC2012_val_00000002.JPEG"});
  CHECK(found.other_classes == 1);

  write_bytes(dir / "LOC_val_solution.csv",
              "ImageId,PredictionString\nILSVRC2012_val_00000002,n020 1 2 3 4 n020 5 6 7 8\n"
              "ILSVRC2012_val_00000001,n010 1 2 3 4\n");
  options.ground_truth = dir / "LOC_val_solution.csv";
  found = hc::find_class_images(options, wanted, names, classes);
  CHECK(found.images.at("n020") == std::vector<fs::path>{dir / "flat/ILSVRC2012_val_00000002.JPEG"});

  // Bad ground-truth files.
  auto bad = [&](const std::string& text, K kind) {
    write_bytes(dir / "bad.txt", text);
    options.ground_truth = dir / "bad.txt";
    return error_of([&] { hc::find_class_images(options, wanted, names, classes); }, kind);
  };
  CHECK_THAT(bad("1\n5\n", K::Usage), Contains("ILSVRC2012_validation_ground_truth"));
  CHECK_THAT(bad("ILSVRC2012_val_00000001.JPEG n999\n", K::Runtime),
             Contains("bad.txt:1") && Contains("unknown wnid 'n999'"));
  CHECK_THAT(bad("ILSVRC2012_val_00000001.JPEG 0\nILSVRC2012_val_00000002.JPEG 7\n", K::Runtime),
             Contains("bad.txt:2") && Contains("class index 7"));
  CHECK_THAT(bad("ILSVRC2012_val_00000009.JPEG 0\n", K::Runtime),
             Contains("bad.txt:1") && Contains("no such image"));
  CHECK_THAT(bad("ILSVRC2012_val_00000001.JPEG 0 extra\n", K::Runtime), Contains("bad.txt:1"));
  CHECK_THAT(bad("ILSVRC2012_val_00000001.JPEG 0\n", K::Runtime),
             Contains("no images of 1 of the 2 classes") && Contains("n020 'clock'"));

  // A list file alone: paths relative to its folder.
  hc::ImageNetImagesOptions list;
  list.list = dir / "list.txt";
  write_bytes(dir / "list.txt", "val/n010/a.JPEG n010\nval/n020/x.png 2\n");
  found = hc::find_class_images(list, wanted, names, classes);
  CHECK(found.layout == "list");
  CHECK(found.images.at("n020") == std::vector<fs::path>{dir / "val/n020/x.png"});

  hc::ImageNetImagesOptions none;
  CHECK_THAT(error_of([&] { hc::find_class_images(none, wanted, names, classes); }, K::Usage),
             Contains("--imagenet") && Contains("--list"));
  none.folder = dir / "nowhere";
  CHECK_THAT(error_of([&] { hc::find_class_images(none, wanted, names, classes); }, K::Runtime),
             Contains("nowhere"));
}

TEST_CASE("BREEDS: the synthetic stand-in loads in all three image layouts", "[data][breeds]") {
  TempDir dir;
  const hc::SyntheticBreeds synthetic = hc::write_synthetic_breeds(dir.path(), 3);
  hc::BreedsOptions options;
  options.subsets = synthetic.subsets;
  options.subset = synthetic.subset;
  const hc::BreedsSubset subset = hc::load_breeds_subset(options);
  CHECK(subset.superclasses.size() == 4);
  CHECK(subset.num_subclasses() == 8);
  CHECK(synthetic.images_written == 8 * 3);
  std::vector<std::string> wnids, names;
  for (const auto& [subclass, super] : subset.subclasses()) {
    wnids.push_back(subclass->wnid);
    names.push_back(subclass->name);
  }
  const auto classes = hc::read_imagenet_classes(dir / "modified" / "dataset_class_info.json");
  hc::ImageNetImagesOptions folder;
  folder.folder = synthetic.images;
  const auto by_folder = hc::find_class_images(folder, wnids, names, classes);
  hc::ImageNetImagesOptions list;
  list.list = synthetic.list;
  const auto by_list = hc::find_class_images(list, wnids, names, classes);
  for (const auto& wnid : wnids) {
    CHECK(by_folder.images.at(wnid).size() == 3);
    CHECK(by_folder.images.at(wnid) == by_list.images.at(wnid));
  }
  options.split = "target";
  CHECK(hc::load_breeds_subset(options).num_subclasses() == 4);
}
