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

struct NameSource {
  const std::map<std::string, std::string>& names;
  const ImageNetClasses& classes;
  const fs::path& hierarchy;
  bool full;
};

BreedsClass make_class(const std::string& wnid, int64_t index, const NameSource& source,
                       const fs::path& file, const std::string& where) {
  const auto it = source.names.find(wnid);
  if (it == source.names.end()) {
    throw runtime_error("{}: {} names wnid {}, which {} does not know", file.string(), where,
                        wnid, (source.hierarchy / "node_names.txt").string());
  }
  BreedsClass node;
  node.wnid = wnid;
  node.full = it->second;
  node.name = source.full ? std::string(trim(node.full)) : first_synonym(node.full);
  node.imagenet_index = index;
  return node;
}

BreedsClass read_subclass(const json& entry, const NameSource& source, const fs::path& file,
                          const std::string& where) {
  const std::string wnid = field(entry, "wnid", json::value_t::string, file, where).get<std::string>();
  const int64_t index = field(entry, "index", json::value_t::number_integer, file, where).get<int64_t>();
  if (index < 0 || index >= static_cast<int64_t>(source.classes.wnids.size()) ||
      source.classes.wnids[static_cast<std::size_t>(index)] != wnid) {
    throw runtime_error("{}: {} is ImageNet class {} {}, but dataset_class_info.json {}", file.string(),
                        where, index, wnid,
                        source.classes.find(wnid) < 0
                            ? std::string("has no such wnid")
                            : fmt::format("gives it index {}", source.classes.find(wnid)));
  }
  return make_class(wnid, index, source, file, where);
}

// The subclass lists of one key: source_subclasses, plus target_subclasses for split none when
// the file keeps them apart (it does not for split=None, whose target list is empty).
std::vector<std::vector<BreedsClass>> read_subclass_lists(const json& entry, const std::string& list,
                                                          std::size_t superclasses,
                                                          const NameSource& source,
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
      classes.push_back(read_subclass(lists[s][c], source, file, fmt::format("{}[{}]", where, c)));
    }
    result.push_back(std::move(classes));
  }
  return result;
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
    if (superclass.subclasses.empty()) {
      throw runtime_error("{}: {} superclass {} ({}) has no subclasses in split {}",
                          subset.source.string(), subset.name, superclass.node.wnid,
                          superclass.node.full, subset.split);
    }
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

BreedsSubset load_breeds_subset(const BreedsOptions& options) {
  if (options.subsets.empty()) {
    throw usage_error("breeds.subsets: no BREEDS subsets file given (--subsets, e.g. "
                      "../shared/data/breeds/subsets.json)");
  }
  const json file_json = read_json(options.subsets, "BREEDS subsets");
  const fs::path& file = options.subsets;
  const std::string key = options.split == "none" ? options.subset : options.subset + "_rand";
  if (!file_json.is_object() || !file_json.contains(key)) {
    std::vector<std::string> known;
    if (file_json.is_object()) {
      for (const auto& [name, value] : file_json.items()) {
        if (value.is_object() && value.contains("superclasses")) known.push_back(name);
      }
    }
    throw usage_error("{}: no subset '{}' (split {}); the file has {}", file.string(), key,
                      options.split, known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", ")));
  }
  const fs::path hierarchy = options.hierarchy_folder();
  const auto names = read_node_names(hierarchy / "node_names.txt");
  const ImageNetClasses classes = read_imagenet_classes(hierarchy / "dataset_class_info.json");
  const NameSource source{names, classes, hierarchy, options.names == "full"};

  const json& entry = file_json.at(key);
  const json& supers = field(entry, "superclasses", json::value_t::array, file, key);
  if (supers.empty()) throw runtime_error("{}: {}.superclasses is empty", file.string(), key);
  const std::string list = options.split == "target" ? "target_subclasses" : "source_subclasses";
  auto lists = read_subclass_lists(entry, list, supers.size(), source, file, key);

  BreedsSubset subset;
  subset.name = options.subset;
  subset.split = options.split;
  subset.source = file;
  for (std::size_t s = 0; s < supers.size(); ++s) {
    const std::string where = fmt::format("{}.superclasses[{}]", key, s);
    const std::string wnid =
        field(supers[s], "wnid", json::value_t::string, file, where).get<std::string>();
    subset.superclasses.push_back({make_class(wnid, -1, source, file, where), std::move(lists[s])});
  }
  check_distinct(subset);
  return subset;
}

}  // namespace hc
