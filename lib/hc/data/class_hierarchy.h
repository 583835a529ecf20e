#pragma once
// The label hierarchy of a hierarchical classification dataset (CIFAR-100 coarse/fine, the
// Caltech-101, Fruits-360, Food-101 and Pets hierarchy files of HGCLIP, ...): L levels, most
// general first, every class below the first level with exactly one parent in the level above.
//
// A class is a (level, name) pair: the same name may be a class of two levels, and then it is
// two classes (HGCLIP's files rely on this: "pizza, pizza" in Food-101, "marine_life" as both a
// middle and a top class in Caltech-101). Class order within a level is fixed by the source (the
// order of first appearance, or sorted on request) and never depends on hashing, unlike the
// official code's list(set(...)) orders; record levels() with a result to make it reproducible.
//
// The hierarchy also keeps its chains: for each class of the finest level, in the order the
// source lists them, its class index at every level. Graphs built from it (hc/hgclip/label_graph.h)
// take their edge order from the chains. Torch-free.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace hc {

class ConfigSchema;

struct ClassLevel {
  std::string name;                  // "coarse", "fine", "level1", ...
  std::vector<std::string> classes;  // in class index order
};

class ClassHierarchy {
 public:
  // levels: most general first. chains: one per class of the finest level, each with L class
  // indices (most general first; the last is the finest class itself). source names the data in
  // errors. Throws a usage hc::Error naming the source when: there are no levels, a level or
  // class name is empty or repeated within its level, a chain has the wrong length or an index
  // out of range, a finest class has no chain or two, a class has two different parents, a
  // class above the finest level has no class below it (an empty class), or the names form a
  // cycle (x below y on one path, y below x on another; a name directly below itself, as
  // "pizza, pizza", is a class repeated at the next level and allowed).
  ClassHierarchy(std::vector<ClassLevel> levels, std::vector<std::vector<int64_t>> chains,
                 std::string source);

  const std::vector<ClassLevel>& levels() const { return levels_; }
  const std::string& source() const { return source_; }
  int64_t num_levels() const { return static_cast<int64_t>(levels_.size()); }
  int64_t level_size(int64_t level) const;
  // Node index of a level's first class when all levels are concatenated, most general first.
  int64_t offset(int64_t level) const;
  int64_t num_classes() const;  // over all levels
  std::vector<int64_t> level_sizes() const;
  // All class names, levels concatenated most general first (HGCLIP's labels_name, the node and
  // logit-column order).
  std::vector<std::string> all_classes() const;

  // Chains in source order, and the chain of one finest class.
  const std::vector<std::vector<int64_t>>& chains() const { return chains_; }
  const std::vector<int64_t>& chain_of(int64_t finest_class) const;
  // The parent's index in level - 1 of class `index` of `level` (level >= 1).
  int64_t parent(int64_t level, int64_t index) const;

  // The index of a class by name within a level; a missing label is a usage hc::Error naming
  // the label, the level and the source.
  int64_t find(int64_t level, const std::string& name) const;
  int64_t find_level(const std::string& level_name) const;

  // The same hierarchy with one level's classes in the given order (e.g. the class order of a
  // dataset's folders). names must be a permutation of the level's classes (a usage hc::Error
  // names the first missing, unknown or repeated one). Chains keep their order.
  ClassHierarchy with_class_order(int64_t level, const std::vector<std::string>& names) const;
  // Every level sorted by name (byte order).
  ClassHierarchy sorted() const;

  // {"source": ..., "levels": [{"name": ..., "classes": [...]}, ...]}: what a result records.
  nlohmann::ordered_json to_json() const;

 private:
  void validate();  // also fills parents_ and chain_of_finest_
  void check_name_cycles() const;

  std::vector<ClassLevel> levels_;
  std::vector<std::vector<int64_t>> chains_;
  std::vector<int64_t> chain_of_finest_;           // finest class -> position in chains_
  std::vector<std::vector<int64_t>> parents_;      // parents_[level][index], level 0 empty
  std::string source_;
};

enum class ClassOrder {
  FirstAppearance,  // the order in which the source first names each class
  Sorted,           // byte order of the names (torchvision ImageFolder's order for folder names)
};
ClassOrder parse_class_order(const std::string& text);  // "file" or "sorted"

// What a name used at two levels means (HGCLIP's files do this: Food-101's "pizza, pizza",
// Fruits-360's "apricot, apricot, fruit", Caltech-101's "marine_life" and "plants", each a middle
// class under one top class and a top class itself).
enum class RepeatedNames {
  PerLevel,  // one class per level, as the official code (the default: the official files
             // need it); a name directly under itself is the usual case
  Error,     // a label at two levels is an error naming both places (strict checking)
};
RepeatedNames parse_repeated_names(const std::string& text);  // "per_level" or "error"

struct ClassHierarchyOptions {
  // HGCLIP's normalisation of names read from hierarchy files: lower-case (ASCII), trimmed,
  // '_' and '-' become spaces. Off: names are only trimmed.
  bool normalize_names = true;
  std::string class_order = "file";  // "file" (first appearance) or "sorted"
  // Level names, most general first; empty = "coarse", "fine" for two levels, else "level1"
  // (most general) .. "levelL".
  std::vector<std::string> level_names;
  std::string repeated_names = "per_level";  // "per_level" or "error" (see RepeatedNames)

  // Keys <section>.normalize_names, <section>.class_order, <section>.level_names,
  // <section>.repeated_names.
  void declare(ConfigSchema& schema, const std::string& section);
};

// HGCLIP's name normalisation (see ClassHierarchyOptions::normalize_names).
std::string normalize_class_name(std::string_view name);

// A hierarchy file: one line per finest class, "finest, parent, grandparent, ..." (comma
// separated, most specific first, as HGCLIP's caltech101-hierarchy.txt or pets-hierarchy.txt);
// blank lines are skipped. Every line must have as many labels as the first. Plain or gzip.
// Errors name file:line: a line with a missing or empty label, a finest class listed twice, a
// class given two different parents, names that close a cycle, a label at two levels under
// RepeatedNames::Error, and everything the ClassHierarchy constructor checks.
ClassHierarchy read_class_hierarchy(const std::filesystem::path& file,
                                    const ClassHierarchyOptions& options = {});
// The same from text; source names it in errors.
ClassHierarchy parse_class_hierarchy(std::string_view text, const std::string& source,
                                     const ClassHierarchyOptions& options = {});

// Two levels from a parent index per fine class (CIFAR-100's fine -> coarse map): chains in fine
// class order. A parent index out of range, or a coarse class without fine classes, is a usage
// hc::Error naming the source.
ClassHierarchy class_hierarchy_from_parents(std::vector<std::string> coarse,
                                            std::vector<std::string> fine,
                                            const std::vector<int64_t>& fine_to_coarse,
                                            const std::string& source,
                                            std::vector<std::string> level_names = {});

// The default level names for a hierarchy of `levels` levels (see level_names above).
std::vector<std::string> default_level_names(int64_t levels);

}  // namespace hc
