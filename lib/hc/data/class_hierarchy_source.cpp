#include "hc/data/class_hierarchy_source.h"

#include <cctype>
#include <filesystem>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/data/breeds_hierarchy.h"
#include "hc/data/cifar100_hierarchy.h"
#include "hc/data/class_tree_file.h"

namespace hc {

namespace {
namespace fs = std::filesystem;

std::string resolve_format(const ClassHierarchySource& source) {
  if (source.format != "auto") return source.format;
  if (!source.breeds_subset.empty()) return "breeds";
  if (source.file.empty()) {
    throw usage_error("hierarchy: no file given (set the hierarchy file, or format cifar100)");
  }
  if (fs::is_directory(source.file)) return "cifar100";
  std::string extension = fs::path(source.file).extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (extension == ".yaml" || extension == ".yml" || extension == ".json") return "tree";
  return "lines";
}

// Sorting applies to every form, as for hierarchy files.
ClassHierarchy in_order(ClassHierarchy hierarchy, const ClassHierarchyOptions& options) {
  if (parse_class_order(options.class_order) == ClassOrder::Sorted) return hierarchy.sorted();
  return hierarchy;
}

}  // namespace

void ClassHierarchySource::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".file", file,
             "class hierarchy: a hierarchy file (finest, parent, ... per line), a YAML/JSON "
             "tree, BREEDS subsets.json, or a CIFAR-100 folder")
      .relative_to_config();
  schema.add(section + ".format", format, "auto, lines, tree, cifar100 or breeds")
      .one_of({"auto", "lines", "tree", "cifar100", "breeds"});
  schema.add(section + ".breeds_subset", breeds_subset,
             "BREEDS subset: living17, nonliving26, entity13 or entity30");
  schema.add(section + ".breeds_split", breeds_split,
             "BREEDS classes: none (the subset), source or target (the halves of split='rand')")
      .one_of({"none", "source", "target"});
}

LoadedClassHierarchy load_class_hierarchy(const ClassHierarchySource& source,
                                          const ClassHierarchyOptions& options) {
  const std::string format = resolve_format(source);
  if (!source.breeds_subset.empty() && format != "breeds") {
    throw usage_error("hierarchy: breeds_subset '{}' is set but the format is {}",
                      source.breeds_subset, format);
  }
  if (format == "cifar100") {
    ClassHierarchy h = source.file.empty()
                           ? cifar100_class_hierarchy(options.level_names)
                           : read_cifar100_class_hierarchy(source.file, options.level_names);
    return {in_order(std::move(h), options), format, {}};
  }
  if (source.file.empty()) throw usage_error("hierarchy: format {} needs a file", format);
  if (format == "lines") return {read_class_hierarchy(source.file, options), format, {}};
  if (format == "tree") return {read_class_tree(source.file, options), format, {}};
  if (format == "breeds") {
    if (source.breeds_subset.empty()) {
      throw usage_error("hierarchy: format breeds needs breeds_subset (living17, nonliving26, "
                        "entity13 or entity30)");
    }
    BreedsHierarchy breeds = read_breeds_hierarchy(source.file, source.breeds_subset,
                                                   source.breeds_split, options.level_names);
    std::unordered_map<std::string, std::string> folders;
    const auto& fine = breeds.hierarchy.levels().back().classes;
    for (std::size_t i = 0; i < fine.size(); ++i) folders.emplace(breeds.fine_wnids[i], fine[i]);
    LoadedClassHierarchy loaded{in_order(std::move(breeds.hierarchy), options), format,
                                std::move(folders)};
    return loaded;
  }
  throw usage_error("hierarchy: unknown format '{}'", format);
}

}  // namespace hc
