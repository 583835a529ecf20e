// Class hierarchies from every supported form: line files (line-numbered errors for cycles and
// repeated names), the YAML/JSON tree, CIFAR-100's built-in labels, the BREEDS subsets, and the
// one entry point that picks the reader.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/data/breeds_hierarchy.h"
#include "hc/data/cifar100_hierarchy.h"
#include "hc/data/class_hierarchy.h"
#include "hc/data/class_hierarchy_source.h"
#include "hc/data/class_tree_file.h"
#include "test_support.h"
#include "usage_message.h"

namespace {

using Catch::Matchers::Contains;
using hc::test::usage_message;

std::string tree_error(const std::string& text, hc::ClassHierarchyOptions options = {}) {
  return usage_message([&] { hc::parse_class_tree(text, "t.yaml", options); });
}

// The (level, name) -> parent name pairs of a hierarchy, to compare two readers.
std::map<std::pair<int64_t, std::string>, std::string> parent_names(const hc::ClassHierarchy& h) {
  std::map<std::pair<int64_t, std::string>, std::string> out;
  for (int64_t l = 1; l < h.num_levels(); ++l) {
    for (int64_t c = 0; c < h.level_size(l); ++c) {
      out[{l, h.levels()[l].classes[c]}] = h.levels()[l - 1].classes[h.parent(l, c)];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("hierarchy lines: cycles and repeated names are named by line", "[data]") {
  auto lines_error = [](const std::string& text, hc::ClassHierarchyOptions options = {}) {
    return usage_message([&] { hc::parse_class_hierarchy(text, "h.txt", options); });
  };
  CHECK_THAT(lines_error("a, b\nx, y\nb, a\n"),
             Contains("h.txt:3: 'b' under 'a' closes a cycle of class names: 'b' -> 'a' -> "
                      "'b'"));
  CHECK_THAT(lines_error("a, b, c\nc, d, a\n"), Contains("h.txt:2:"));
  CHECK_THAT(lines_error("a, b, c\nc, d, a\n"), Contains("cycle"));

  hc::ClassHierarchyOptions strict;
  strict.repeated_names = "error";
  CHECK_THAT(lines_error("pizza, pizza\nsalad, starter\n", strict),
             Contains("h.txt:1: label 'pizza' is at level 'fine' here and at level 'coarse' on "
                      "line 1"));
  CHECK_THAT(lines_error("trilobite, marine_life, animals\nlobster, crustaceans, marine_life\n",
                         strict),
             Contains("h.txt:2: label 'marine life' is at level 'level1' here and at level "
                      "'level2' on line 1"));
  // The default keeps the official meaning: one class per level.
  hc::ClassHierarchy food = hc::parse_class_hierarchy("pizza, pizza\nsalad, starter\n", "h.txt");
  CHECK(food.num_classes() == 4);
  CHECK_THROWS_AS(hc::parse_repeated_names("maybe"), hc::Error);
}

TEST_CASE("hierarchy tree: YAML and JSON forms give the line file's hierarchy", "[data]") {
  const std::string lines =
      "rooster, birds, animals\nemu, birds, animals\ntrilobite, marine_life, animals\n"
      "ceiling_fan, household_items, objects\n";
  const std::string yaml =
      "levels: [kingdom, group, species]\n"
      "classes:\n"
      "  animals:\n"
      "    birds: [rooster, emu]\n"
      "    marine_life:\n"
      "      - trilobite\n"
      "  objects:\n"
      "    household_items: [ceiling_fan]\n";
  const std::string json =
      R"({"levels": ["kingdom", "group", "species"], "classes": {"animals": {"birds": )"
      R"(["rooster", "emu"], "marine_life": ["trilobite"]}, "objects": {"household_items": )"
      R"(["ceiling_fan"]}}})";
  hc::ClassHierarchyOptions named;
  named.level_names = {"kingdom", "group", "species"};
  const hc::ClassHierarchy from_lines = hc::parse_class_hierarchy(lines, "h.txt", named);
  for (const std::string& text : {yaml, json}) {
    const hc::ClassHierarchy tree = hc::parse_class_tree(text, "t.yaml");
    REQUIRE(tree.num_levels() == 3);
    for (int64_t l = 0; l < 3; ++l) {
      CHECK(tree.levels()[l].name == from_lines.levels()[l].name);
      CHECK(tree.levels()[l].classes == from_lines.levels()[l].classes);
    }
    CHECK(tree.chains() == from_lines.chains());
    CHECK(parent_names(tree) == parent_names(from_lines));
  }
  // Options' level names win over the file's; without either, the defaults.
  hc::ClassHierarchyOptions other;
  other.level_names = {"a", "b", "c"};
  CHECK(hc::parse_class_tree(yaml, "t.yaml", other).levels()[0].name == "a");
  CHECK(hc::parse_class_tree("classes: {x: [y]}", "t.yaml").levels()[1].name == "fine");
}

TEST_CASE("hierarchy tree: malformed documents name file and line", "[data]") {
  CHECK_THAT(tree_error("classes:\n  animals:\n    birds: []\n"),
             Contains("t.yaml:3: class 'birds' has no class below it (an empty class)"));
  CHECK_THAT(tree_error("classes:\n  animals:\n    birds:\n"),
             Contains("class 'birds' has no class below it"));
  CHECK_THAT(tree_error("classes:\n  animals:\n    birds: [emu]\n  plants: [rose]\n"),
             Contains("t.yaml:4: 2 labels, expected 3"));
  CHECK_THAT(tree_error("classes:\n  animals: [emu, {x: y}]\n"),
             Contains("t.yaml:2: expected a class name, got a map"));
  CHECK_THAT(tree_error("classes:\n  animals: emu\n"),
             Contains("t.yaml:2: class 'animals' is followed by 'emu'"));
  CHECK_THAT(tree_error("clases:\n  a: [b]\n"), Contains("t.yaml:1: unknown key 'clases'"));
  CHECK_THAT(tree_error("levels: [a, b]\n"), Contains("no 'classes' key"));
  CHECK_THAT(tree_error("classes: {}\n"), Contains("'classes' is empty"));
  CHECK_THAT(tree_error("classes:\n  a: [x]\n  b: [x]\n"),
             Contains("t.yaml:3: class 'x' is already listed on line 2"));
  CHECK_THAT(tree_error("classes:\n  a:\n    b: [c]\n  c:\n    a: [d]\n"), Contains("cycle"));
  CHECK_THAT(tree_error("classes: [a, b\n"), Contains("t.yaml:"));
  CHECK_THAT(tree_error("[1, 2]\n"), Contains("expected a map with 'classes'"));
}

TEST_CASE("CIFAR-100: 20 superclasses of 5, CIFAR's label order and the fixture's map",
          "[data]") {
  const hc::ClassHierarchy h = hc::cifar100_class_hierarchy();
  REQUIRE(h.level_sizes() == std::vector<int64_t>{20, 100});
  for (int64_t l = 0; l < 2; ++l) {
    auto names = h.levels()[l].classes;
    CHECK(std::is_sorted(names.begin(), names.end()));  // CIFAR numbers labels alphabetically
  }
  std::vector<int> children(20, 0);
  for (int64_t f = 0; f < 100; ++f) {
    CHECK(h.chain_of(f) == std::vector<int64_t>{h.parent(1, f), f});
    ++children[h.parent(1, f)];
  }
  CHECK(children == std::vector<int>(20, 5));

  // The HGCLIP fixture's CIFAR-100 classes carry their fine2coarse map: it must agree.
  const auto fixture = nlohmann::json::parse(
      hc::test::read_bytes(hc::test::shared_path("fixtures/hgclip/expected.json")));
  const auto& levels = fixture.at("hierarchy").at("levels");
  const auto coarse = levels.at(0).at("classes").get<std::vector<std::string>>();
  const auto fine = levels.at(1).at("classes").get<std::vector<std::string>>();
  const auto map = fixture.at("hierarchy").at("source").at("fine2coarse").get<std::vector<int>>();
  REQUIRE(map.size() == fine.size());
  for (std::size_t i = 0; i < fine.size(); ++i) {
    INFO(fine[i]);
    const int64_t f = h.find(1, fine[i]);
    CHECK(h.levels()[0].classes[h.parent(1, f)] == coarse[map[i]]);
  }
}

TEST_CASE("CIFAR-100: label-name files are checked against the built-in names", "[data]") {
  hc::test::TempDir dir;
  const hc::ClassHierarchy h = hc::cifar100_class_hierarchy();
  auto write = [&](const std::string& name, std::vector<std::string> lines) {
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    hc::test::write_bytes(dir / "cifar-100-binary" / name, text);
  };
  write("coarse_label_names.txt", h.levels()[0].classes);
  write("fine_label_names.txt", h.levels()[1].classes);
  CHECK(hc::read_cifar100_class_hierarchy(dir.path()).chains() == h.chains());

  auto fine = h.levels()[1].classes;
  std::swap(fine[3], fine[4]);
  write("fine_label_names.txt", fine);
  CHECK_THAT(usage_message([&] { hc::read_cifar100_class_hierarchy(dir.path()); }),
             Contains("fine_label_names.txt:4: label 3 is '" + fine[3] + "'"));
  CHECK_THAT(usage_message([&] { hc::read_cifar100_class_hierarchy(dir / "missing"); }),
             Contains("no coarse_label_names.txt"));
}

TEST_CASE("BREEDS: every subset of the shared subsets file, both splits", "[data]") {
  const auto file = hc::test::shared_path("data/breeds/subsets.json");
  const auto document = nlohmann::json::parse(hc::test::read_bytes(file));
  int subsets = 0;
  for (const auto& [key, entry] : document.items()) {
    if (key.empty() || key[0] == '_' || key == "params" || key.find("_rand") != std::string::npos) {
      continue;
    }
    ++subsets;
    for (const std::string split : {"none", "source", "target"}) {
      INFO(key << " " << split);
      const auto& listed = split == "none" ? entry : document.at(key + "_rand");
      const char* list = split == "target" ? "target_subclasses" : "source_subclasses";
      const hc::BreedsHierarchy b =
          hc::read_breeds_hierarchy(file, key, split);
      REQUIRE(b.hierarchy.level_size(0) == static_cast<int64_t>(listed.at("superclasses").size()));
      // Subclasses in the file's order, each under its own superclass, with its wnid.
      int64_t f = 0;
      for (std::size_t s = 0; s < listed.at(list).size(); ++s) {
        for (const auto& sub : listed.at(list)[s]) {
          REQUIRE(f < b.hierarchy.level_size(1));
          CHECK(b.fine_wnids[f] == sub.at("wnid").get<std::string>());
          CHECK(b.fine_imagenet_indices[f] == sub.at("index").get<int64_t>());
          CHECK(b.hierarchy.parent(1, f) == static_cast<int64_t>(s));
          const std::string name = sub.at("name").get<std::string>();
          CHECK(name.rfind(b.hierarchy.levels()[1].classes[f], 0) == 0);  // first synonym
          ++f;
        }
      }
      CHECK(f == b.hierarchy.level_size(1));
    }
  }
  CHECK(subsets == 4);
  CHECK_THAT(usage_message([&] { hc::read_breeds_hierarchy(file, "living18", "none"); }),
             Contains("no subset 'living18'") && Contains("the file has ") && Contains("living17"));
  CHECK_THAT(usage_message([&] { hc::read_breeds_hierarchy(file, "living17", "rand"); }),
             Contains("expected none, source or target"));
}

TEST_CASE("BREEDS: shared first synonyms get their wnid, empty superclasses are errors", "[data]") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "s.json", R"({"toy": {"superclasses": [
      {"wnid": "n1", "name": "crane, bird"}, {"wnid": "n2", "name": "machine"}],
    "source_subclasses": [[{"index": 1, "wnid": "n11", "name": "crane"}],
                          [{"index": 2, "wnid": "n21", "name": "crane, derrick"}]],
    "target_subclasses": []},
    "bad": {"superclasses": [{"wnid": "n1", "name": "x"}], "source_subclasses": [[]]}})");
  const hc::BreedsHierarchy b = hc::read_breeds_hierarchy(dir / "s.json", "toy", "none");
  CHECK(b.hierarchy.levels()[0].classes == std::vector<std::string>{"crane", "machine"});
  CHECK(b.hierarchy.levels()[1].classes == std::vector<std::string>{"crane (n11)", "crane (n21)"});
  try {
    hc::read_breeds_hierarchy(dir / "s.json", "bad", "none");
    FAIL("an empty superclass was accepted");
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Runtime);
    CHECK_THAT(e.what(), Contains("bad.superclasses[0] n1 ('x') has no subclasses") &&
                             Contains("(an empty class)"));
  }
  CHECK_THAT(usage_message([&] { hc::read_breeds_hierarchy(dir / "s.json", "toy", "source"); }),
             Contains("no subset 'toy_rand'"));
}

TEST_CASE("hierarchy source: the format follows the keys and the file", "[data]") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "h.txt", "emu, birds\nrose, plants\n");
  hc::test::write_bytes(dir / "h.yaml", "classes: {birds: [emu], plants: [rose]}\n");
  hc::ClassHierarchySource source;
  source.file = (dir / "h.txt").string();
  auto lines = hc::load_class_hierarchy(source);
  CHECK(lines.format == "lines");
  source.file = (dir / "h.yaml").string();
  auto tree = hc::load_class_hierarchy(source);
  CHECK(tree.format == "tree");
  CHECK(tree.hierarchy.chains() == lines.hierarchy.chains());

  hc::ClassHierarchySource cifar;
  cifar.format = "cifar100";
  CHECK(hc::load_class_hierarchy(cifar).hierarchy.num_classes() == 120);

  hc::ClassHierarchySource breeds;
  breeds.file = hc::test::shared_path("data/breeds/subsets.json").string();
  breeds.breeds_subset = "living17";
  hc::ClassHierarchyOptions sorted;
  sorted.class_order = "sorted";
  auto loaded = hc::load_class_hierarchy(breeds, sorted);
  CHECK(loaded.format == "breeds");
  const auto& fine = loaded.hierarchy.levels()[1].classes;
  CHECK(std::is_sorted(fine.begin(), fine.end()));
  CHECK(loaded.folder_names.size() == fine.size());
  for (const auto& [wnid, name] : loaded.folder_names) {
    CHECK(wnid.rfind("n", 0) == 0);
    CHECK_NOTHROW(loaded.hierarchy.find(1, name));
  }

  hc::ClassHierarchySource none;
  CHECK_THAT(usage_message([&] { hc::load_class_hierarchy(none); }), Contains("no file given"));
  source.breeds_subset = "living17";
  source.format = "lines";
  CHECK_THAT(usage_message([&] { hc::load_class_hierarchy(source); }),
             Contains("breeds_subset 'living17' is set but the format is lines"));

  hc::ConfigSchema schema;
  hc::ClassHierarchySource declared;
  declared.declare(schema, "data.hierarchy");
  schema.apply_override("data.hierarchy.format=tree");
  schema.validate();
  CHECK(declared.format == "tree");
  schema.apply_override("data.hierarchy.format=xml");
  CHECK_THROWS_AS(schema.validate(), hc::Error);
}
