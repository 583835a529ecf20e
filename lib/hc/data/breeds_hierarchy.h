#pragma once
// The two-level hierarchies of the BREEDS subsets (living17, nonliving26, entity13, entity30)
// from the subsets file the BREEDS library's own construction code writes
// (../shared/data/breeds/subsets.json: per subset its superclasses and, per superclass, the
// ImageNet subclasses with index, wnid and name; "<subset>" for split=None, "<subset>_rand"
// for the source/target halves of split='rand').
//
// Class names: the first synonym of the WordNet name ("dog, domestic dog, Canis familiaris" ->
// "dog"). Where two classes of one level would share a name, both take "name (wnid)" instead,
// so names stay unique and readable. Levels: "coarse" (superclasses, in the file's order) and
// "fine" (subclasses, grouped by superclass in the file's order); the wnids come with them, for
// ImageNet-style folders (<wnid>/*.JPEG). Torch-free.
#include <filesystem>
#include <string>
#include <vector>

#include "hc/data/class_hierarchy.h"

namespace hc {

enum class BreedsSplit {
  None,        // "none": the subset's subclasses (split=None)
  RandSource,  // "rand_source": the source half of split='rand'
  RandTarget,  // "rand_target": the target half of split='rand'
};
BreedsSplit parse_breeds_split(const std::string& text);

struct BreedsHierarchy {
  ClassHierarchy hierarchy;
  std::vector<std::string> coarse_wnids;  // per class of level 0
  std::vector<std::string> fine_wnids;    // per class of level 1
  std::vector<int64_t> fine_imagenet_indices;  // per class of level 1 (0..999)
};

// Usage hc::Errors name the file and what is wrong: not JSON, an unknown subset (listing those
// present), a split the file does not hold, a superclass without subclasses, a subclass without
// wnid or name.
BreedsHierarchy read_breeds_hierarchy(const std::filesystem::path& subsets_json,
                                      const std::string& subset, BreedsSplit split,
                                      std::vector<std::string> level_names = {});

// The readable class name of a WordNet name: its first synonym, trimmed.
std::string breeds_class_name(const std::string& wordnet_name);

}  // namespace hc
