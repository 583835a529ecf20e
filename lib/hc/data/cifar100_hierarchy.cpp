#include "hc/data/cifar100_hierarchy.h"

#include <algorithm>
#include <utility>

#include "hc/core/error.h"
#include "hc/io/text_file.h"

namespace hc {

namespace {
namespace fs = std::filesystem;

struct Superclass {
  const char* name;
  std::vector<const char*> classes;
};

// CIFAR-100's superclass table, coarse classes in label order, each with its five fine classes.
const std::vector<Superclass>& superclass_table() {
  static const std::vector<Superclass> table{
      {"aquatic_mammals", {"beaver", "dolphin", "otter", "seal", "whale"}},
      {"fish", {"aquarium_fish", "flatfish", "ray", "shark", "trout"}},
      {"flowers", {"orchid", "poppy", "rose", "sunflower", "tulip"}},
      {"food_containers", {"bottle", "bowl", "can", "cup", "plate"}},
      {"fruit_and_vegetables", {"apple", "mushroom", "orange", "pear", "sweet_pepper"}},
      {"household_electrical_devices", {"clock", "keyboard", "lamp", "telephone", "television"}},
      {"household_furniture", {"bed", "chair", "couch", "table", "wardrobe"}},
      {"insects", {"bee", "beetle", "butterfly", "caterpillar", "cockroach"}},
      {"large_carnivores", {"bear", "leopard", "lion", "tiger", "wolf"}},
      {"large_man-made_outdoor_things", {"bridge", "castle", "house", "road", "skyscraper"}},
      {"large_natural_outdoor_scenes", {"cloud", "forest", "mountain", "plain", "sea"}},
      {"large_omnivores_and_herbivores",
       {"camel", "cattle", "chimpanzee", "elephant", "kangaroo"}},
      {"medium_mammals", {"fox", "porcupine", "possum", "raccoon", "skunk"}},
      {"non-insect_invertebrates", {"crab", "lobster", "snail", "spider", "worm"}},
      {"people", {"baby", "boy", "girl", "man", "woman"}},
      {"reptiles", {"crocodile", "dinosaur", "lizard", "snake", "turtle"}},
      {"small_mammals", {"hamster", "mouse", "rabbit", "shrew", "squirrel"}},
      {"trees", {"maple_tree", "oak_tree", "palm_tree", "pine_tree", "willow_tree"}},
      {"vehicles_1", {"bicycle", "bus", "motorcycle", "pickup_truck", "train"}},
      {"vehicles_2", {"lawn_mower", "rocket", "streetcar", "tank", "tractor"}},
  };
  return table;
}

// Lines of a label-name file, compared with the expected names in order.
void check_names(const fs::path& file, const std::vector<std::string>& expected) {
  LineReader reader(file);
  std::string line;
  std::size_t count = 0;
  while (reader.next(line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    if (count >= expected.size()) {
      throw usage_error("{}:{}: more than {} label names", file.string(), reader.line_number(),
                        expected.size());
    }
    if (line != expected[count]) {
      throw usage_error("{}:{}: label {} is '{}', CIFAR-100's is '{}' (not a CIFAR-100 label "
                        "file, or a changed one)",
                        file.string(), reader.line_number(), count, line, expected[count]);
    }
    ++count;
  }
  if (count != expected.size()) {
    throw usage_error("{}: {} label names, CIFAR-100 has {}", file.string(), count,
                      expected.size());
  }
}

}  // namespace

ClassHierarchy cifar100_class_hierarchy(std::vector<std::string> level_names) {
  std::vector<std::pair<std::string, int64_t>> fine_with_parent;
  std::vector<std::string> coarse;
  for (const Superclass& superclass : superclass_table()) {
    for (const char* name : superclass.classes) {
      fine_with_parent.emplace_back(name, static_cast<int64_t>(coarse.size()));
    }
    coarse.emplace_back(superclass.name);
  }
  // Fine labels are numbered alphabetically, as CIFAR's own meta data lists them.
  std::sort(fine_with_parent.begin(), fine_with_parent.end());
  std::vector<std::string> fine;
  std::vector<int64_t> parents;
  for (auto& [name, parent] : fine_with_parent) {
    fine.push_back(name);
    parents.push_back(parent);
  }
  return class_hierarchy_from_parents(std::move(coarse), std::move(fine), parents, "cifar-100",
                                      std::move(level_names));
}

ClassHierarchy read_cifar100_class_hierarchy(const fs::path& folder,
                                             std::vector<std::string> level_names) {
  fs::path dir = folder;
  if (!fs::exists(dir / "fine_label_names.txt") &&
      fs::exists(dir / "cifar-100-binary" / "fine_label_names.txt")) {
    dir = dir / "cifar-100-binary";
  }
  for (const char* name : {"coarse_label_names.txt", "fine_label_names.txt"}) {
    if (!fs::exists(dir / name)) {
      throw usage_error("{}: no {}: expected CIFAR-100's binary-version folder "
                        "(cifar-100-binary/)",
                        folder.string(), name);
    }
  }
  ClassHierarchy hierarchy = cifar100_class_hierarchy(std::move(level_names));
  check_names(dir / "coarse_label_names.txt", hierarchy.levels()[0].classes);
  check_names(dir / "fine_label_names.txt", hierarchy.levels()[1].classes);
  return hierarchy;
}

}  // namespace hc
