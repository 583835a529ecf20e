#include "hc/data/class_hierarchy.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/data/class_hierarchy_builder.h"
#include "hc/io/text_file.h"

namespace hc {

namespace {

std::string_view trim(std::string_view text) {
  const char* space = " \t\r\n\f\v";
  const std::size_t first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(space);
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> split_commas(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

}  // namespace

std::vector<std::string> default_level_names(int64_t levels) {
  if (levels == 2) return {"coarse", "fine"};
  std::vector<std::string> names;
  for (int64_t i = 1; i <= levels; ++i) names.push_back("level" + std::to_string(i));
  return names;
}

ClassHierarchy::ClassHierarchy(std::vector<ClassLevel> levels,
                               std::vector<std::vector<int64_t>> chains, std::string source)
    : levels_(std::move(levels)), chains_(std::move(chains)), source_(std::move(source)) {
  validate();
}

void ClassHierarchy::validate() {
  if (levels_.empty()) throw usage_error("{}: a class hierarchy needs at least one level", source_);
  std::set<std::string> level_names;
  for (const ClassLevel& level : levels_) {
    if (level.name.empty()) throw usage_error("{}: a level has an empty name", source_);
    if (!level_names.insert(level.name).second) {
      throw usage_error("{}: level name '{}' is used twice", source_, level.name);
    }
    if (level.classes.empty()) throw usage_error("{}: level '{}' has no classes", source_, level.name);
    std::set<std::string> names;
    for (const std::string& name : level.classes) {
      if (name.empty()) throw usage_error("{}: level '{}' has an empty class name", source_, level.name);
      if (!names.insert(name).second) {
        throw usage_error("{}: class '{}' appears twice in level '{}'", source_, name, level.name);
      }
    }
  }
  const int64_t depth = num_levels();
  const int64_t finest = depth - 1;
  parents_.assign(levels_.size(), {});
  for (int64_t l = 1; l < depth; ++l) parents_[l].assign(levels_[l].classes.size(), -1);
  chain_of_finest_.assign(levels_[finest].classes.size(), -1);
  std::vector<std::vector<bool>> used(levels_.size());
  for (int64_t l = 0; l < depth; ++l) used[l].assign(levels_[l].classes.size(), false);

  for (std::size_t c = 0; c < chains_.size(); ++c) {
    const auto& chain = chains_[c];
    if (static_cast<int64_t>(chain.size()) != depth) {
      throw usage_error("{}: chain {} has {} class indices, expected one per level ({})", source_,
                        c, chain.size(), depth);
    }
    for (int64_t l = 0; l < depth; ++l) {
      if (chain[l] < 0 || chain[l] >= level_size(l)) {
        throw usage_error("{}: chain {} has class index {} for level '{}' of {} classes", source_,
                          c, chain[l], levels_[l].name, level_size(l));
      }
      used[l][chain[l]] = true;
      if (l == 0) continue;
      int64_t& parent = parents_[l][chain[l]];
      if (parent >= 0 && parent != chain[l - 1]) {
        throw usage_error("{}: class '{}' of level '{}' has two parents, '{}' and '{}'", source_,
                          levels_[l].classes[chain[l]], levels_[l].name,
                          levels_[l - 1].classes[parent], levels_[l - 1].classes[chain[l - 1]]);
      }
      parent = chain[l - 1];
    }
    int64_t& slot = chain_of_finest_[chain[finest]];
    if (slot >= 0) {
      throw usage_error("{}: finest class '{}' has two chains", source_,
                        levels_[finest].classes[chain[finest]]);
    }
    slot = static_cast<int64_t>(c);
  }
  for (int64_t l = 0; l < depth; ++l) {
    for (int64_t i = 0; i < level_size(l); ++i) {
      if (used[l][i]) continue;
      if (l == finest) {
        throw usage_error("{}: finest class '{}' has no chain (no parents given)", source_,
                          levels_[l].classes[i]);
      }
      throw usage_error("{}: class '{}' of level '{}' has no class below it (an empty class)",
                        source_, levels_[l].classes[i], levels_[l].name);
    }
  }
  check_name_cycles();
}

// Names linked child -> parent across all levels must not loop back: a cycle means two
// columns were swapped somewhere (x under y on one line, y under x on another). A name directly
// under itself is a class repeated at the next level, not a cycle.
void ClassHierarchy::check_name_cycles() const {
  std::map<std::string, std::set<std::string>> up;
  for (int64_t l = 1; l < num_levels(); ++l) {
    for (int64_t i = 0; i < level_size(l); ++i) {
      const std::string& child = levels_[l].classes[i];
      const std::string& parent_name = levels_[l - 1].classes[parents_[l][i]];
      if (child != parent_name) up[child].insert(parent_name);
    }
  }
  std::map<std::string, int> state;  // 1 = on the current path, 2 = done
  std::vector<std::string> path;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    state[name] = 1;
    path.push_back(name);
    auto found = up.find(name);
    if (found != up.end()) {
      for (const std::string& next : found->second) {
        if (state[next] == 1) {
          std::string text;
          auto start = std::find(path.begin(), path.end(), next);
          for (auto it = start; it != path.end(); ++it) text += "'" + *it + "' -> ";
          throw usage_error("{}: the class names form a cycle: {}'{}' (each is listed under the "
                            "next)",
                            source_, text, next);
        }
        if (state[next] == 0) visit(next);
      }
    }
    path.pop_back();
    state[name] = 2;
  };
  for (const auto& entry : up) {
    if (state[entry.first] == 0) visit(entry.first);
  }
}

int64_t ClassHierarchy::level_size(int64_t level) const {
  return static_cast<int64_t>(levels_.at(static_cast<std::size_t>(level)).classes.size());
}

int64_t ClassHierarchy::offset(int64_t level) const {
  int64_t total = 0;
  for (int64_t l = 0; l < level; ++l) total += level_size(l);
  return total;
}

int64_t ClassHierarchy::num_classes() const { return offset(num_levels()); }

std::vector<int64_t> ClassHierarchy::level_sizes() const {
  std::vector<int64_t> sizes;
  for (int64_t l = 0; l < num_levels(); ++l) sizes.push_back(level_size(l));
  return sizes;
}

std::vector<std::string> ClassHierarchy::all_classes() const {
  std::vector<std::string> names;
  for (const ClassLevel& level : levels_) {
    names.insert(names.end(), level.classes.begin(), level.classes.end());
  }
  return names;
}

const std::vector<int64_t>& ClassHierarchy::chain_of(int64_t finest_class) const {
  const int64_t finest = num_levels() - 1;
  if (finest_class < 0 || finest_class >= level_size(finest)) {
    throw usage_error("{}: finest class index {} out of range [0, {})", source_, finest_class,
                      level_size(finest));
  }
  return chains_[static_cast<std::size_t>(chain_of_finest_[finest_class])];
}

int64_t ClassHierarchy::parent(int64_t level, int64_t index) const {
  if (level < 1 || level >= num_levels() || index < 0 || index >= level_size(level)) {
    throw usage_error("{}: no parent for class {} of level {}", source_, index, level);
  }
  return parents_[level][index];
}

int64_t ClassHierarchy::find(int64_t level, const std::string& name) const {
  const auto& classes = levels_.at(static_cast<std::size_t>(level)).classes;
  auto found = std::find(classes.begin(), classes.end(), name);
  if (found == classes.end()) {
    throw usage_error("{}: label '{}' is missing from level '{}'", source_, name,
                      levels_[level].name);
  }
  return found - classes.begin();
}

int64_t ClassHierarchy::find_level(const std::string& level_name) const {
  for (int64_t l = 0; l < num_levels(); ++l) {
    if (levels_[l].name == level_name) return l;
  }
  throw usage_error("{}: no level named '{}'", source_, level_name);
}

ClassHierarchy ClassHierarchy::with_class_order(int64_t level,
                                                const std::vector<std::string>& names) const {
  const auto& current = levels_.at(static_cast<std::size_t>(level));
  std::vector<int64_t> new_index(current.classes.size(), -1);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const int64_t old = find(level, names[i]);
    if (new_index[old] >= 0) {
      throw usage_error("{}: class '{}' is given twice in the new order of level '{}'", source_,
                        names[i], current.name);
    }
    new_index[old] = static_cast<int64_t>(i);
  }
  for (std::size_t old = 0; old < new_index.size(); ++old) {
    if (new_index[old] < 0) {
      throw usage_error("{}: the new order of level '{}' lacks class '{}'", source_, current.name,
                        current.classes[old]);
    }
  }
  std::vector<ClassLevel> levels = levels_;
  levels[level].classes = names;
  std::vector<std::vector<int64_t>> chains = chains_;
  for (auto& chain : chains) chain[level] = new_index[chain[level]];
  return ClassHierarchy(std::move(levels), std::move(chains), source_);
}

ClassHierarchy ClassHierarchy::sorted() const {
  ClassHierarchy result = *this;
  for (int64_t l = 0; l < num_levels(); ++l) {
    std::vector<std::string> names = levels_[l].classes;
    std::sort(names.begin(), names.end());
    result = result.with_class_order(l, names);
  }
  return result;
}

nlohmann::ordered_json ClassHierarchy::to_json() const {
  nlohmann::ordered_json levels = nlohmann::ordered_json::array();
  for (const ClassLevel& level : levels_) {
    levels.push_back({{"name", level.name}, {"classes", level.classes}});
  }
  return {{"source", source_}, {"levels", std::move(levels)}};
}

RepeatedNames parse_repeated_names(const std::string& text) {
  if (text == "per_level") return RepeatedNames::PerLevel;
  if (text == "error") return RepeatedNames::Error;
  throw usage_error("repeated names '{}': expected 'per_level' or 'error'", text);
}

ClassOrder parse_class_order(const std::string& text) {
  if (text == "file") return ClassOrder::FirstAppearance;
  if (text == "sorted") return ClassOrder::Sorted;
  throw usage_error("class order '{}': expected 'file' or 'sorted'", text);
}

void ClassHierarchyOptions::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".normalize_names", normalize_names,
             "hierarchy file names: lower-case, trim, '_' and '-' to spaces (HGCLIP's rule)");
  schema.add(section + ".class_order", class_order,
             "order of the classes within each level: file (first appearance) or sorted")
      .one_of({"file", "sorted"});
  schema.add(section + ".level_names", level_names,
             "names of the levels, most general first (default coarse/fine or level1..levelL)");
  schema.add(section + ".repeated_names", repeated_names,
             "a name at two levels: per_level (one class per level, as HGCLIP's own files need) "
             "or error")
      .one_of({"per_level", "error"});
}

std::string normalize_class_name(std::string_view name) {
  std::string text(trim(name));
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '_' || c == '-') c = ' ';
  }
  return text;
}

namespace {

// One line of a hierarchy file, finest label first, as a chain most general first.
std::vector<std::string> line_chain(std::string_view line) {
  std::vector<std::string_view> fields = split_commas(line);
  return std::vector<std::string>(fields.rbegin(), fields.rend());
}

}  // namespace

ClassHierarchy parse_class_hierarchy(std::string_view text, const std::string& source,
                                     const ClassHierarchyOptions& options) {
  ClassHierarchyBuilder builder(source, options);
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    ++number;
    if (!trim(line).empty()) builder.add_chain(line_chain(line), number);
    start = end + 1;
  }
  return std::move(builder).build();
}

ClassHierarchy read_class_hierarchy(const std::filesystem::path& file,
                                    const ClassHierarchyOptions& options) {
  ClassHierarchyBuilder builder(file.string(), options);
  LineReader reader(file);
  std::string line;
  while (reader.next(line)) {
    if (!trim(line).empty()) builder.add_chain(line_chain(line), reader.line_number());
  }
  return std::move(builder).build();
}

ClassHierarchy class_hierarchy_from_parents(std::vector<std::string> coarse,
                                            std::vector<std::string> fine,
                                            const std::vector<int64_t>& fine_to_coarse,
                                            const std::string& source,
                                            std::vector<std::string> level_names) {
  if (fine_to_coarse.size() != fine.size()) {
    throw usage_error("{}: {} parent indices for {} fine classes", source, fine_to_coarse.size(),
                      fine.size());
  }
  if (level_names.empty()) level_names = default_level_names(2);
  if (level_names.size() != 2) {
    throw usage_error("{}: {} level names given for 2 levels", source, level_names.size());
  }
  std::vector<std::vector<int64_t>> chains;
  for (std::size_t f = 0; f < fine.size(); ++f) {
    const int64_t parent = fine_to_coarse[f];
    if (parent < 0 || parent >= static_cast<int64_t>(coarse.size())) {
      throw usage_error("{}: fine class '{}' has parent index {}, expected 0..{}", source, fine[f],
                        parent, static_cast<int64_t>(coarse.size()) - 1);
    }
    chains.push_back({parent, static_cast<int64_t>(f)});
  }
  std::vector<ClassLevel> levels{{level_names[0], std::move(coarse)},
                                 {level_names[1], std::move(fine)}};
  return ClassHierarchy(std::move(levels), std::move(chains), source);
}

}  // namespace hc
