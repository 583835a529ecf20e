#include "hc/data/class_hierarchy_builder.h"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "hc/core/error.h"

namespace hc {

namespace {

std::string trimmed(const std::string& text) {
  const char* space = " \t\r\n\f\v";
  const std::size_t first = text.find_first_not_of(space);
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

}  // namespace

ClassHierarchyBuilder::ClassHierarchyBuilder(std::string source, ClassHierarchyOptions options)
    : source_(std::move(source)),
      options_(std::move(options)),
      repeated_(parse_repeated_names(options_.repeated_names)) {
  parse_class_order(options_.class_order);  // a bad value fails before any chain
}

void ClassHierarchyBuilder::start(std::size_t depth, const std::string& where) {
  if (depth < 2) {
    throw usage_error("{}: one label, expected 'finest, parent[, grandparent ...]'", where);
  }
  depth_ = depth;
  level_names_ = options_.level_names.empty() ? default_level_names(static_cast<int64_t>(depth))
                                              : options_.level_names;
  if (level_names_.size() != depth_) {
    throw usage_error("{}: {} level names given for {} levels", source_, level_names_.size(),
                      depth_);
  }
  levels_.resize(depth_);
  for (std::size_t l = 0; l < depth_; ++l) levels_[l].name = level_names_[l];
  index_.resize(depth_);
  parent_of_.resize(depth_);
}

void ClassHierarchyBuilder::add_chain(const std::vector<std::string>& names, std::size_t line) {
  const std::size_t number = line > 0 ? line : chains_.size() + 1;
  const std::string ref = fmt::format("{} {}", line > 0 ? "line" : "chain", number);
  const std::string where =
      line > 0 ? fmt::format("{}:{}", source_, line) : fmt::format("{}: {}", source_, ref);
  if (depth_ == 0) {
    start(names.size(), where);
    first_ref_ = ref;
  }
  if (names.size() != depth_) {
    throw usage_error("{}: {} labels, expected {} like {} (a label is missing or the line has an "
                      "extra comma)",
                      where, names.size(), depth_, first_ref_);
  }
  std::vector<int64_t> chain(depth_);
  std::vector<std::string> clean(depth_);
  for (std::size_t level = 0; level < depth_; ++level) {
    clean[level] =
        options_.normalize_names ? normalize_class_name(names[level]) : trimmed(names[level]);
    if (clean[level].empty()) {
      // Numbered as the file writes them, finest first.
      throw usage_error("{}: label {} is empty", where, depth_ - level);
    }
  }
  for (std::size_t level = 0; level < depth_; ++level) {
    chain[level] = intern(level, clean[level], where, ref);
  }
  const std::size_t finest = depth_ - 1;
  auto [seen, fresh] = finest_ref_.emplace(chain[finest], ref);
  if (!fresh) {
    throw usage_error("{}: class '{}' is already listed on {}", where, clean[finest],
                      seen->second);
  }
  check_parents(chain, where, ref);
  for (std::size_t level = 1; level < depth_; ++level) {
    if (clean[level] != clean[level - 1]) check_cycle(clean[level], clean[level - 1], where);
  }
  chains_.push_back(std::move(chain));
}

int64_t ClassHierarchyBuilder::intern(std::size_t level, const std::string& name,
                                      const std::string& where, const std::string& ref) {
  auto [it, inserted] =
      index_[level].emplace(name, static_cast<int64_t>(levels_[level].classes.size()));
  if (!inserted) return it->second;
  levels_[level].classes.push_back(name);
  auto [used, first_use] = name_level_.emplace(name, Place{static_cast<int64_t>(level), ref});
  if (!first_use && repeated_ == RepeatedNames::Error) {
    throw usage_error("{}: label '{}' is at level '{}' here and at level '{}' on {} (a label at "
                      "two levels; repeated_names: per_level makes them two classes)",
                      where, name, level_names_[level], level_names_[used->second.index],
                      used->second.ref);
  }
  return it->second;
}

void ClassHierarchyBuilder::check_parents(const std::vector<int64_t>& chain,
                                          const std::string& where, const std::string& ref) {
  for (std::size_t l = 1; l < depth_; ++l) {
    auto [known, added] = parent_of_[l].emplace(chain[l], Place{chain[l - 1], ref});
    if (!added && known->second.index != chain[l - 1]) {
      throw usage_error("{}: class '{}' has parent '{}' here but '{}' on {}", where,
                        levels_[l].classes[chain[l]], levels_[l - 1].classes[chain[l - 1]],
                        levels_[l - 1].classes[known->second.index], known->second.ref);
    }
  }
}

// The new link child -> parent closes a cycle when child is already reachable upwards from
// parent (x under y on one line, y under x on another: two columns swapped somewhere). A name
// directly under itself is a class repeated at the next level, never a link.
void ClassHierarchyBuilder::check_cycle(const std::string& child, const std::string& parent,
                                        const std::string& where) {
  auto& parents = up_[child];
  if (std::find(parents.begin(), parents.end(), parent) != parents.end()) return;
  std::unordered_map<std::string, std::string> came_from;  // name -> the name below it
  std::vector<std::string> stack{parent};
  came_from[parent] = child;
  while (!stack.empty()) {
    const std::string name = stack.back();
    stack.pop_back();
    if (name == child) {
      // Walk back down from child to parent, then print the loop upwards.
      std::vector<std::string> below;
      for (std::string at = came_from.at(child);; at = came_from.at(at)) {
        below.push_back(at);
        if (at == parent) break;
      }
      std::string path = "'" + child + "'";
      for (auto it = below.rbegin(); it != below.rend(); ++it) path += " -> '" + *it + "'";
      throw usage_error("{}: '{}' under '{}' closes a cycle of class names: {} -> '{}' (each "
                        "listed under the next)",
                        where, child, parent, path, child);
    }
    auto found = up_.find(name);
    if (found == up_.end()) continue;
    for (const std::string& next : found->second) {
      if (came_from.emplace(next, name).second) stack.push_back(next);
    }
  }
  parents.push_back(parent);
}

ClassHierarchy ClassHierarchyBuilder::build() && {
  if (depth_ == 0) throw usage_error("{}: no hierarchy lines", source_);
  ClassHierarchy hierarchy(std::move(levels_), std::move(chains_), source_);
  if (parse_class_order(options_.class_order) == ClassOrder::Sorted) return hierarchy.sorted();
  return hierarchy;
}

}  // namespace hc
