#include "hc/data/breeds_subset.h"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/io/text_file.h"

namespace hc {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string_view trim(std::string_view text) {
  const char* space = " \t\r\n\f\v";
  const std::size_t first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

json read_json(const fs::path& file, const char* what) {
  if (!fs::is_regular_file(file)) throw runtime_error("{}: no such {} file", file.string(), what);
  try {
    return json::parse(read_text_file(file));
  } catch (const json::parse_error& e) {
    throw runtime_error("{}: invalid JSON ({})", file.string(), e.what());
  }
}

// A field of a JSON object that must be there with the given type.
const json& field(const json& object, const char* key, json::value_t type, const fs::path& file,
                  const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw runtime_error("{}: {} has no field '{}'", file.string(), where, key);
  }
  const json& value = object.at(key);
  const bool ok = type == json::value_t::number_integer ? value.is_number_integer()
                                                        : value.type() == type;
  if (!ok) {
    throw runtime_error("{}: {}.{} is a {}, expected a {}", file.string(), where, key,
                        value.type_name(), json(type).type_name());
  }
  return value;
}

// A node as the subsets file gives it; the subclasses' ImageNet index is required.
BreedsClass read_node(const json& entry, bool subclass, const fs::path& file,
                      const std::string& where) {
  BreedsClass node;
  node.wnid = field(entry, "wnid", json::value_t::string, file, where).get<std::string>();
  node.full = field(entry, "name", json::value_t::string, file, where).get<std::string>();
  node.name = first_synonym(node.full);
  if (node.wnid.empty() || node.name.empty()) {
    throw runtime_error("{}: {} has an empty wnid or name", file.string(), where);
  }
  if (subclass) {
    node.imagenet_index =
        field(entry, "index", json::value_t::number_integer, file, where).get<int64_t>();
  }
  return node;
}

std::vector<std::vector<BreedsClass>> read_subclass_lists(const json& entry, const std::string& list,
                                                          std::size_t superclasses,
                                                          const fs::path& file,
                                                          const std::string& key) {
  const json& lists = field(entry, list.c_str(), json::value_t::array, file, key);
  if (lists.size() != superclasses) {
    throw runtime_error("{}: {}.{} has {} entries for {} superclasses", file.string(), key, list,
                        lists.size(), superclasses);
  }
  std::vector<std::vector<BreedsClass>> result;
  for (std::size_t s = 0; s < lists.size(); ++s) {
    const std::string where = fmt::format("{}.{}[{}]", key, list, s);
    if (!lists[s].is_array()) throw runtime_error("{}: {} is not a list", file.string(), where);
    std::vector<BreedsClass> classes;
    for (std::size_t c = 0; c < lists[s].size(); ++c) {
      classes.push_back(read_node(lists[s][c], true, file, fmt::format("{}[{}]", where, c)));
    }
    result.push_back(std::move(classes));
  }
  return result;
}

std::string subset_key(const std::string& subset, const std::string& split) {
  return split == "none" ? subset : subset + "_rand";
}

std::string subclass_list(const std::string& split) {
  return split == "target" ? "target_subclasses" : "source_subclasses";
}

// The hierarchy folder's word on a node: it must know the wnid (and, for an ImageNet class, give
// it the same index); its name is the one used.
struct HierarchyNames {
  std::map<std::string, std::string> names;
  ImageNetClasses classes;
  fs::path folder;
  bool full = false;
};

void rename_from_hierarchy(BreedsClass& node, const HierarchyNames& hierarchy,
                           const fs::path& file, const std::string& where) {
  const auto it = hierarchy.names.find(node.wnid);
  if (it == hierarchy.names.end()) {
    throw runtime_error("{}: {} names wnid {}, which {} does not know", file.string(), where,
                        node.wnid, (hierarchy.folder / "node_names.txt").string());
  }
  const int64_t index = node.imagenet_index;
  if (index >= 0 && (index >= static_cast<int64_t>(hierarchy.classes.wnids.size()) ||
                     hierarchy.classes.wnids[static_cast<std::size_t>(index)] != node.wnid)) {
    const int64_t known = hierarchy.classes.find(node.wnid);
    throw runtime_error("{}: {} is ImageNet class {} {}, but dataset_class_info.json {}",
                        file.string(), where, index, node.wnid,
                        known < 0 ? std::string("has no such wnid")
                                  : fmt::format("gives it index {}", known));
  }
  node.full = it->second;
  node.name = hierarchy.full ? std::string(trim(node.full)) : first_synonym(node.full);
}

void rename_all(BreedsSubset& subset, const HierarchyNames& hierarchy) {
  const std::string key = subset_key(subset.name, subset.split);
  const std::string list = subclass_list(subset.split);
  for (std::size_t s = 0; s < subset.superclasses.size(); ++s) {
    BreedsSuperclass& superclass = subset.superclasses[s];
    rename_from_hierarchy(superclass.node, hierarchy, subset.source,
                          fmt::format("{}.superclasses[{}]", key, s));
    for (std::size_t c = 0; c < superclass.subclasses.size(); ++c) {
      rename_from_hierarchy(superclass.subclasses[c], hierarchy, subset.source,
                            fmt::format("{}.{}[{}][{}]", key, list, s, c));
    }
  }
}

void check_distinct(const BreedsSubset& subset) {
  std::map<std::string, std::string> text_owner;  // label text -> wnid
  std::set<std::string> wnids;
  auto visit = [&](const BreedsClass& node) {
    if (!wnids.insert(node.wnid).second) {
      throw runtime_error("{}: {} lists wnid {} ({}) twice", subset.source.string(), subset.name,
                          node.wnid, node.full);
    }
    const auto [it, inserted] = text_owner.emplace(node.name, node.wnid);
    if (!inserted) {
      throw runtime_error(
          "{}: {} has two labels with the text '{}' ({} and {}): they would embed the same; use "
          "breeds.names=full",
          subset.source.string(), subset.name, node.name, it->second, node.wnid);
    }
  };
  for (const auto& superclass : subset.superclasses) visit(superclass.node);
  for (const auto& superclass : subset.superclasses) {
    for (const auto& subclass : superclass.subclasses) visit(subclass);
  }
}

}  // namespace

std::size_t BreedsSubset::num_subclasses() const {
  std::size_t n = 0;
  for (const auto& superclass : superclasses) n += superclass.subclasses.size();
  return n;
}

std::vector<std::string> BreedsSubset::labels() const {
  std::vector<std::string> labels;
  for (const auto& superclass : superclasses) labels.push_back(superclass.node.name);
  for (const auto& superclass : superclasses) {
    for (const auto& subclass : superclass.subclasses) labels.push_back(subclass.name);
  }
  return labels;
}

std::vector<std::pair<const BreedsClass*, std::size_t>> BreedsSubset::subclasses() const {
  std::vector<std::pair<const BreedsClass*, std::size_t>> all;
  for (std::size_t s = 0; s < superclasses.size(); ++s) {
    for (const auto& subclass : superclasses[s].subclasses) all.emplace_back(&subclass, s);
  }
  return all;
}

int64_t ImageNetClasses::find(const std::string& wnid) const {
  const auto it = index_of.find(wnid);
  return it == index_of.end() ? -1 : it->second;
}

void BreedsOptions::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".subsets", subsets,
             "BREEDS subsets file (../shared/data/breeds/subsets.json layout)")
      .flag("--subsets");
  schema.add(section + ".hierarchy", hierarchy,
             "folder of node_names.txt and dataset_class_info.json; empty = 'modified' beside "
             "the subsets file");
  schema.add(section + ".subset", subset,
             "subset to evaluate: living17, nonliving26, entity13, entity30 (any the file has)")
      .check_non_empty()
      .flag("--subset");
  schema.add(section + ".split", split,
             "classes of the subset: none (split=None, all subclasses), or the source or target "
             "half of split='rand'")
      .one_of({"none", "source", "target"})
      .flag("--split");
  schema.add(section + ".names", names,
             "label text: first (the first synonym of the hierarchy's name) or full")
      .one_of({"first", "full"});
}

fs::path BreedsOptions::hierarchy_folder() const {
  return hierarchy.empty() ? subsets.parent_path() / "modified" : hierarchy;
}

std::string first_synonym(std::string_view name) {
  const std::size_t comma = name.find(',');
  return std::string(trim(comma == std::string_view::npos ? name : name.substr(0, comma)));
}

std::map<std::string, std::string> read_node_names(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw runtime_error("{}: no such node names file", file.string());
  std::map<std::string, std::string> names;
  LineReader reader(file);
  std::string line;
  while (reader.next(line)) {
    if (trim(line).empty()) continue;
    const std::size_t tab = line.find('\t');
    const std::string_view wnid = tab == std::string::npos ? "" : trim(std::string_view(line).substr(0, tab));
    const std::string_view name = tab == std::string::npos ? "" : trim(std::string_view(line).substr(tab + 1));
    if (tab == std::string::npos || line.find('\t', tab + 1) != std::string::npos ||
        wnid.empty() || name.empty()) {
      throw runtime_error("{}:{}: expected '<wnid><TAB><name>'", file.string(), reader.line_number());
    }
    if (!names.emplace(std::string(wnid), std::string(name)).second) {
      throw runtime_error("{}:{}: wnid {} is listed twice", file.string(), reader.line_number(), wnid);
    }
  }
  if (names.empty()) throw runtime_error("{}: no node names", file.string());
  return names;
}

ImageNetClasses read_imagenet_classes(const fs::path& file) {
  const json info = read_json(file, "ImageNet class info");
  if (!info.is_array() || info.empty()) {
    throw runtime_error("{}: expected a list of [index, wnid, name]", file.string());
  }
  ImageNetClasses classes;
  for (std::size_t i = 0; i < info.size(); ++i) {
    const json& entry = info[i];
    if (!entry.is_array() || entry.size() != 3 || !entry[0].is_number_integer() ||
        !entry[1].is_string() || !entry[2].is_string() ||
        entry[0].get<int64_t>() != static_cast<int64_t>(i)) {
      throw runtime_error("{}: entry [{}] is not [{}, wnid, name]", file.string(), i, i);
    }
    const std::string wnid = entry[1].get<std::string>();
    if (!classes.index_of.emplace(wnid, static_cast<int64_t>(i)).second) {
      throw runtime_error("{}: entry [{}]: wnid {} is listed twice", file.string(), i, wnid);
    }
    classes.wnids.push_back(wnid);
    classes.names.push_back(entry[2].get<std::string>());
  }
  return classes;
}

BreedsSubset read_breeds_subsets_file(const fs::path& file, const std::string& subset,
                                     const std::string& split) {
  if (split != "none" && split != "source" && split != "target") {
    throw usage_error("BREEDS split '{}': expected none, source or target", split);
  }
  const json file_json = read_json(file, "BREEDS subsets");
  const std::string key = subset_key(subset, split);
  if (!file_json.is_object() || !file_json.contains(key)) {
    std::vector<std::string> known;
    if (file_json.is_object()) {
      for (const auto& [name, value] : file_json.items()) {
        if (value.is_object() && value.contains("superclasses")) known.push_back(name);
      }
    }
    throw usage_error("{}: no subset '{}' (split {}); the file has {}", file.string(), key, split,
                      known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", ")));
  }
  const json& entry = file_json.at(key);
  const json& supers = field(entry, "superclasses", json::value_t::array, file, key);
  if (supers.empty()) throw runtime_error("{}: {}.superclasses is empty", file.string(), key);
  auto lists = read_subclass_lists(entry, subclass_list(split), supers.size(), file, key);

  BreedsSubset result;
  result.name = subset;
  result.split = split;
  result.source = file;
  for (std::size_t s = 0; s < supers.size(); ++s) {
    const std::string where = fmt::format("{}.superclasses[{}]", key, s);
    BreedsSuperclass superclass{read_node(supers[s], false, file, where), std::move(lists[s])};
    if (superclass.subclasses.empty()) {
      throw runtime_error("{}: {} {} ('{}') has no subclasses in split {} (an empty class)",
                          file.string(), where, superclass.node.wnid, superclass.node.full, split);
    }
    result.superclasses.push_back(std::move(superclass));
  }
  return result;
}

BreedsSubset load_breeds_subset(const BreedsOptions& options) {
  if (options.subsets.empty()) {
    throw usage_error("breeds.subsets: no BREEDS subsets file given (--subsets, e.g. "
                      "../shared/data/breeds/subsets.json)");
  }
  BreedsSubset subset = read_breeds_subsets_file(options.subsets, options.subset, options.split);
  HierarchyNames hierarchy;
  hierarchy.folder = options.hierarchy_folder();
  hierarchy.names = read_node_names(hierarchy.folder / "node_names.txt");
  hierarchy.classes = read_imagenet_classes(hierarchy.folder / "dataset_class_info.json");
  hierarchy.full = options.names == "full";
  rename_all(subset, hierarchy);
  check_distinct(subset);
  return subset;
}

}  // namespace hc
