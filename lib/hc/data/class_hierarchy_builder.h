#pragma once
// Builds a ClassHierarchy one chain at a time (a line of a hierarchy file, a leaf of a YAML
// tree, a BREEDS subclass, ...), so that every reader reports a bad chain at its own place
// ("file:line") and all readers share one set of checks: a chain of the wrong length, an empty
// label, a finest class listed twice, a class given two parents, names that form a cycle, and,
// under RepeatedNames::Error, a label used at two levels. Torch-free.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "hc/data/class_hierarchy.h"

namespace hc {

class ClassHierarchyBuilder {
 public:
  // source names the data in errors that have no better place (e.g. "no chains").
  ClassHierarchyBuilder(std::string source, ClassHierarchyOptions options);

  // One finest class with its ancestors, names most general first; line is where the source
  // gives it (errors say "source:line" and "line N"), or 0 when the source has no lines (errors
  // say "source: chain N"). Names are normalised per the options. Every chain must have as many
  // names as the first.
  void add_chain(const std::vector<std::string>& names_most_general_first, std::size_t line);

  std::size_t depth() const { return depth_; }
  bool empty() const { return chains_.empty(); }

  // The hierarchy (level names and class order per the options). Throws a usage hc::Error when
  // no chain was added.
  ClassHierarchy build() &&;

 private:
  struct Place {
    int64_t index = -1;
    std::string ref;  // "line 3" or "chain 3"
  };

  void start(std::size_t depth, const std::string& where);
  int64_t intern(std::size_t level, const std::string& name, const std::string& where,
                 const std::string& ref);
  void check_parents(const std::vector<int64_t>& chain, const std::string& where,
                     const std::string& ref);
  void check_cycle(const std::string& child, const std::string& parent, const std::string& where);

  std::string source_;
  ClassHierarchyOptions options_;
  RepeatedNames repeated_;
  std::size_t depth_ = 0;
  std::string first_ref_;
  std::vector<std::string> level_names_;
  std::vector<ClassLevel> levels_;
  std::vector<std::unordered_map<std::string, int64_t>> index_;  // per level: name -> index
  std::vector<std::vector<int64_t>> chains_;
  std::unordered_map<int64_t, std::string> finest_ref_;
  // Per level: class -> (parent index, where it was first given).
  std::vector<std::unordered_map<int64_t, Place>> parent_of_;
  // Name -> (level, where first used), for RepeatedNames::Error.
  std::unordered_map<std::string, Place> name_level_;
  // Name-level links child -> parent (distinct names), for the cycle check.
  std::unordered_map<std::string, std::vector<std::string>> up_;
};

}  // namespace hc
