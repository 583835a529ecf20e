#pragma once
// The YAML (or JSON) form of a class hierarchy: nested maps from each class to the classes
// below it, the finest classes as lists, optionally with the level names.
//
//     levels: [kingdom, group, species]   # optional, most general first
//     classes:
//       animals:
//         birds: [rooster, emu]
//         marine_life: [trilobite, nautilus]
//       objects:
//         household_items: [ceiling_fan]
//
// JSON is the same document: {"levels": [...], "classes": {"animals": {"birds": [...]}}}.
// Every finest class must sit at the same depth; classes keep the order of the document (first
// appearance per level). The checks are those of the hierarchy files (hc/data/class_hierarchy.h)
// plus: a class with nothing below it ("birds:" or "birds: []") is an empty class; a list item
// that is not a plain name, or a key other than levels and classes, is an error. Every error
// names file:line. Level names given in the options win over the file's. Torch-free.
#include <filesystem>
#include <string>
#include <string_view>

#include "hc/data/class_hierarchy.h"

namespace hc {

ClassHierarchy read_class_tree(const std::filesystem::path& file,
                               const ClassHierarchyOptions& options = {});
// The same from text; source names it in errors.
ClassHierarchy parse_class_tree(std::string_view text, const std::string& source,
                                const ClassHierarchyOptions& options = {});

}  // namespace hc
