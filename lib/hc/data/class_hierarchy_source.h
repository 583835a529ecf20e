#pragma once
// Where a tool's class hierarchy comes from, as config keys, and the one call that reads it in
// any of the supported forms:
//   lines     HGCLIP's hierarchy files, "finest, parent[, grandparent ...]" per line
//             (hc/data/class_hierarchy.h)
//   tree      the YAML or JSON form: nested maps, finest classes as lists (hc/data/class_tree_file.h)
//   cifar100  CIFAR-100's coarse/fine labels, built in; file may name a CIFAR-100 folder whose
//             label-name files are checked against them (hc/data/cifar100_hierarchy.h)
//   breeds    a BREEDS subset from the subsets file (hc/data/breeds_hierarchy.h)
//   auto      breeds when breeds_subset is set, else tree for .yaml/.yml/.json files, cifar100
//             when file is a folder, else lines
// Torch-free.
#include <string>
#include <unordered_map>

#include "hc/data/class_hierarchy.h"

namespace hc {

class ConfigSchema;

struct ClassHierarchySource {
  std::string file;                  // the hierarchy file, BREEDS subsets.json, or CIFAR folder
  std::string format = "auto";       // auto, lines, tree, cifar100 or breeds
  std::string breeds_subset;         // living17, nonliving26, entity13, entity30
  std::string breeds_split = "none";  // none, source or target

  // Keys <section>.file, <section>.format, <section>.breeds_subset, <section>.breeds_split.
  void declare(ConfigSchema& schema, const std::string& section);
};

struct LoadedClassHierarchy {
  ClassHierarchy hierarchy;
  std::string format;  // the form it was read in (auto resolved)
  // Image-folder names that are not class names, mapped to the finest class they hold (BREEDS:
  // wnid -> class name); for bind_to_hierarchy and ImageFolderOptions::only.
  std::unordered_map<std::string, std::string> folder_names;
};

// Usage hc::Errors name the key or file at fault (a format that needs a file without one,
// breeds_subset with a format other than breeds, and the readers' own errors).
LoadedClassHierarchy load_class_hierarchy(const ClassHierarchySource& source,
                                          const ClassHierarchyOptions& options = {});

}  // namespace hc
