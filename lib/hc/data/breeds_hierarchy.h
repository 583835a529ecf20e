#pragma once
// The two-level class hierarchy of a BREEDS subset (living17, nonliving26, entity13, entity30)
// for hgclip-train, read with the subsets-file reader hc-eval-breeds uses
// (breeds_subset.h: read_breeds_subsets_file, the same split names none, source and target).
//
// Class names: the first synonym of the file's WordNet name ("dog, domestic dog, Canis
// familiaris" -> "dog"). Where two classes of one level would share a name, both take
// "name (wnid)" instead: a classifier needs distinct classes, while hc-eval-breeds, which embeds
// the names as prompts, refuses such a subset instead (none of the published subsets has one).
// Levels: "coarse" (superclasses, in the file's order) and "fine" (subclasses, grouped by
// superclass in the file's order); the wnids come with them, for ImageNet-style folders
// (<wnid>/*.JPEG). Torch-free.
#include <filesystem>
#include <string>
#include <vector>

#include "hc/data/class_hierarchy.h"

namespace hc {

struct BreedsHierarchy {
  ClassHierarchy hierarchy;
  std::vector<std::string> coarse_wnids;  // per class of level 0
  std::vector<std::string> fine_wnids;    // per class of level 1
  std::vector<int64_t> fine_imagenet_indices;  // per class of level 1 (0..999)
};

// The errors of read_breeds_subsets_file.
BreedsHierarchy read_breeds_hierarchy(const std::filesystem::path& subsets_json,
                                      const std::string& subset, const std::string& split,
                                      std::vector<std::string> level_names = {});

}  // namespace hc
