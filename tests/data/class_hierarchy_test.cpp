// Class hierarchies: HGCLIP's hierarchy files read line by line into levels (most general
// first) and chains, deterministic class orders, and every malformed input as an error naming
// the file, line or label.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/data/class_hierarchy.h"
#include "hc/io/text_file.h"
#include "test_support.h"

namespace {

using Catch::Matchers::Contains;

std::string parse_error(const std::string& text, hc::ClassHierarchyOptions options = {}) {
  try {
    hc::parse_class_hierarchy(text, "h.txt", options);
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Usage);
    return e.what();
  }
  return "";
}

std::vector<std::string> split_line(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  std::string field;
  while (std::getline(stream, field, ',')) fields.push_back(hc::normalize_class_name(field));
  return fields;
}

}  // namespace

TEST_CASE("class hierarchy: a three-level file, levels most general first", "[data]") {
  const std::string text =
      "rooster, birds, animals\n"
      "ceiling_fan, household_items, objects\n"
      "emu, birds, animals\n"
      "\n"
      "Trilobite, marine-life, animals\n";
  hc::ClassHierarchy h = hc::parse_class_hierarchy(text, "h.txt");
  REQUIRE(h.num_levels() == 3);
  CHECK(h.levels()[0].name == "level1");
  CHECK(h.levels()[2].name == "level3");
  CHECK(h.levels()[0].classes == std::vector<std::string>{"animals", "objects"});
  CHECK(h.levels()[1].classes ==
        std::vector<std::string>{"birds", "household items", "marine life"});
  CHECK(h.levels()[2].classes ==
        std::vector<std::string>{"rooster", "ceiling fan", "emu", "trilobite"});
  CHECK(h.num_classes() == 9);
  CHECK(h.offset(1) == 2);
  CHECK(h.offset(2) == 5);
  CHECK(h.level_sizes() == std::vector<int64_t>{2, 3, 4});
  CHECK(h.chains() == std::vector<std::vector<int64_t>>{{0, 0, 0}, {1, 1, 1}, {0, 0, 2}, {0, 2, 3}});
  CHECK(h.chain_of(2) == std::vector<int64_t>{0, 0, 2});
  CHECK(h.parent(2, 3) == 2);
  CHECK(h.parent(1, 2) == 0);
  CHECK(h.find(1, "marine life") == 2);
  CHECK(h.all_classes().size() == 9);
  CHECK(parse_error("a, b\n").empty());
  CHECK(hc::parse_class_hierarchy("a, b\n", "x").levels()[0].name == "coarse");

  hc::ClassHierarchyOptions raw;
  raw.normalize_names = false;
  CHECK(hc::parse_class_hierarchy(text, "h.txt", raw).levels()[2].classes[3] == "Trilobite");
}

TEST_CASE("class hierarchy: orders are deterministic and recorded", "[data]") {
  const std::string text = "b2, b\na1, a\nb1, b\n";
  hc::ClassHierarchyOptions sorted;
  sorted.class_order = "sorted";
  hc::ClassHierarchy h = hc::parse_class_hierarchy(text, "h.txt", sorted);
  CHECK(h.levels()[0].classes == std::vector<std::string>{"a", "b"});
  CHECK(h.levels()[1].classes == std::vector<std::string>{"a1", "b1", "b2"});
  // Chains keep the file's order (the edge order of the label graph).
  CHECK(h.chains() == std::vector<std::vector<int64_t>>{{1, 2}, {0, 0}, {1, 1}});

  hc::ClassHierarchy file_order = hc::parse_class_hierarchy(text, "h.txt");
  hc::ClassHierarchy reordered = file_order.with_class_order(1, {"a1", "b2", "b1"});
  CHECK(reordered.chain_of(1) == std::vector<int64_t>{0, 1});  // b2 under b (coarse 0)
  CHECK(reordered.parent(1, 0) == 1);  // a1's parent is still "a"
  CHECK(reordered.levels()[0].classes[reordered.parent(1, 0)] == "a");
  CHECK_THROWS_WITH(file_order.with_class_order(1, {"a1", "b2"}), Contains("lacks class 'b1'"));
  CHECK_THROWS_WITH(file_order.with_class_order(1, {"a1", "b2", "zz"}),
                    Contains("label 'zz' is missing"));
  CHECK_THROWS_WITH(file_order.with_class_order(1, {"a1", "b2", "b2"}), Contains("twice"));

  nlohmann::ordered_json json = h.to_json();
  CHECK(json.at("levels").at(1).at("classes").get<std::vector<std::string>>() ==
        h.levels()[1].classes);
  CHECK(json.at("source") == "h.txt");
}

TEST_CASE("class hierarchy: a name at two levels is two classes", "[data]") {
  // As HGCLIP's own files: Food-101's "pizza, pizza", Caltech-101's marine_life in two levels.
  hc::ClassHierarchy h = hc::parse_class_hierarchy(
      "pizza, pizza\nmargherita, pizza\nsalad, starter\n", "food.txt");
  CHECK(h.levels()[0].classes == std::vector<std::string>{"pizza", "starter"});
  CHECK(h.levels()[1].classes == std::vector<std::string>{"pizza", "margherita", "salad"});
  hc::ClassHierarchy deep = hc::parse_class_hierarchy(
      "trilobite, marine_life, animals\nlobster, crustaceans, marine_life\n", "caltech.txt");
  CHECK(deep.levels()[0].classes == std::vector<std::string>{"animals", "marine life"});
  CHECK(deep.levels()[1].classes == std::vector<std::string>{"marine life", "crustaceans"});
}

TEST_CASE("class hierarchy: malformed files are errors naming file and line", "[data]") {
  CHECK_THAT(parse_error("a, b, c\nd, e\n"), Contains("h.txt:2: 2 labels, expected 3"));
  CHECK_THAT(parse_error("a, b\nd, e, f\n"), Contains("h.txt:2: 3 labels, expected 2"));
  CHECK_THAT(parse_error("a, b\nd, \n"), Contains("h.txt:2: label 2 is empty"));
  CHECK_THAT(parse_error("a, b\n, e\n"), Contains("h.txt:2: label 1 is empty"));
  CHECK_THAT(parse_error("single\n"), Contains("h.txt:1: one label"));
  CHECK_THAT(parse_error("\n\n"), Contains("h.txt: no hierarchy lines"));
  CHECK_THAT(parse_error("a, b\nc, b\na, b\n"), Contains("h.txt:3: class 'a' is already listed on line 1"));
  CHECK_THAT(parse_error("a, x, top\nb, x, other\n"),
             Contains("h.txt:2: class 'x' has parent 'other' here but 'top' on line 1"));
  CHECK_THAT(parse_error("a, b\nb, a\n"), Contains("cycle"));
  CHECK_THAT(parse_error("a, b, c\nc, d, a\n"), Contains("cycle"));
  hc::ClassHierarchyOptions names;
  names.level_names = {"only"};
  CHECK_THAT(parse_error("a, b\n", names), Contains("1 level names given for 2 levels"));
  // Normalisation can merge two spellings of one class into a repeated finest class.
  CHECK_THAT(parse_error("t-shirt, clothes\nt_shirt, clothes\n"), Contains("already listed"));
}

TEST_CASE("class hierarchy: built from a parent map, with its errors", "[data]") {
  hc::ClassHierarchy h = hc::class_hierarchy_from_parents({"fruit", "animal"},
                                                          {"apple", "bear", "pear"}, {0, 1, 0},
                                                          "map");
  CHECK(h.levels()[1].classes == std::vector<std::string>{"apple", "bear", "pear"});
  CHECK(h.chains() == std::vector<std::vector<int64_t>>{{0, 0}, {1, 1}, {0, 2}});
  CHECK_THROWS_WITH(hc::class_hierarchy_from_parents({"fruit", "animal"}, {"apple"}, {0}, "map"),
                    Contains("class 'animal' of level 'coarse' has no class below it"));
  CHECK_THROWS_WITH(hc::class_hierarchy_from_parents({"fruit"}, {"apple"}, {3}, "map"),
                    Contains("parent index 3"));
  CHECK_THROWS_WITH(hc::class_hierarchy_from_parents({"fruit"}, {"apple", "apple"}, {0, 0}, "map"),
                    Contains("appears twice"));
  CHECK_THROWS_WITH(hc::ClassHierarchy({{"coarse", {"a"}}, {"fine", {"x", "y"}}}, {{0, 0}}, "c"),
                    Contains("finest class 'y' has no chain"));
  CHECK_THROWS_WITH(hc::ClassHierarchy({{"coarse", {"a", "b"}}, {"fine", {"x"}}},
                                       {{0, 0}, {1, 0}}, "c"),
                    Contains("two parents"));
  CHECK_THROWS_WITH(hc::ClassHierarchy({}, {}, "c"), Contains("at least one level"));
  CHECK_THROWS_WITH(h.find(0, "plant"), Contains("label 'plant' is missing from level 'coarse'"));
  CHECK_THROWS_WITH(h.find_level("middle"), Contains("no level named 'middle'"));
}

TEST_CASE("class hierarchy: HGCLIP's shared hierarchy files", "[data]") {
  const auto dir = hc::test::shared_path("data/hgclip-hierarchies");
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.find("hierarchy") == std::string::npos || entry.path().extension() != ".txt") continue;
    INFO(name);
    ++files;
    hc::ClassHierarchy h = hc::read_class_hierarchy(entry.path());
    // Every line is one chain, read back name for name (finest first in the file).
    std::stringstream lines(hc::read_text_file(entry.path()));
    std::string line;
    std::size_t chain = 0;
    while (std::getline(lines, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::vector<std::string> fields = split_line(line);
      REQUIRE(static_cast<int64_t>(fields.size()) == h.num_levels());
      REQUIRE(chain < h.chains().size());
      for (int64_t l = 0; l < h.num_levels(); ++l) {
        CHECK(h.levels()[l].classes[h.chains()[chain][l]] == fields[fields.size() - 1 - l]);
      }
      ++chain;
    }
    CHECK(chain == h.chains().size());
    CHECK(static_cast<std::size_t>(h.level_size(h.num_levels() - 1)) == chain);
  }
  CHECK(files > 0);
}

TEST_CASE("class hierarchy: options declare their keys", "[data]") {
  hc::ClassHierarchyOptions options;
  hc::ConfigSchema schema;
  options.declare(schema, "hgclip.hierarchy");
  schema.apply_override("hgclip.hierarchy.class_order=sorted");
  schema.apply_override("hgclip.hierarchy.level_names=[a, b]");
  schema.validate();
  CHECK(options.class_order == "sorted");
  CHECK(options.level_names == std::vector<std::string>{"a", "b"});
  schema.apply_override("hgclip.hierarchy.class_order=random");
  CHECK_THROWS_AS(schema.validate(), hc::Error);
}
