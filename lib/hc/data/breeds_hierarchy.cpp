#include "hc/data/breeds_hierarchy.h"

#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"

namespace hc {

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw usage_error("{}: cannot open the BREEDS subsets file", file.string());
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw usage_error("{}: not valid JSON: {}", file.string(), e.what());
  }
}

std::string field(const json& entry, const char* key, const std::string& where) {
  if (!entry.is_object() || !entry.contains(key) || !entry.at(key).is_string() ||
      entry.at(key).get<std::string>().empty()) {
    throw usage_error("{}: expected a non-empty \"{}\", got {}", where, key, entry.dump());
  }
  return entry.at(key).get<std::string>();
}

// First synonyms, with "name (wnid)" where two classes of the level would share one.
std::vector<std::string> unique_names(const std::vector<std::string>& full_names,
                                      const std::vector<std::string>& wnids) {
  std::map<std::string, int> count;
  std::vector<std::string> names;
  for (const std::string& full : full_names) names.push_back(breeds_class_name(full));
  for (const std::string& name : names) ++count[name];
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (count[names[i]] > 1) names[i] += " (" + wnids[i] + ")";
  }
  return names;
}

const json& subset_entry(const json& document, const std::string& key, const std::string& subset,
                         const fs::path& file) {
  if (!document.is_object()) throw usage_error("{}: expected a JSON object", file.string());
  if (!document.contains(subset)) {
    std::string known;
    for (const auto& item : document.items()) {
      if (item.key().empty() || item.key()[0] == '_' || item.key() == "params") continue;
      if (item.key().find("_rand") != std::string::npos) continue;
      known += (known.empty() ? "" : ", ") + item.key();
    }
    throw usage_error("{}: no BREEDS subset '{}' (the file has {})", file.string(), subset, known);
  }
  if (!document.contains(key)) {
    throw usage_error("{}: no '{}' entry for the split asked for", file.string(), key);
  }
  return document.at(key);
}

}  // namespace

BreedsSplit parse_breeds_split(const std::string& text) {
  if (text == "none") return BreedsSplit::None;
  if (text == "rand_source") return BreedsSplit::RandSource;
  if (text == "rand_target") return BreedsSplit::RandTarget;
  throw usage_error("BREEDS split '{}': expected none, rand_source or rand_target", text);
}

std::string breeds_class_name(const std::string& wordnet_name) {
  std::string first = wordnet_name.substr(0, wordnet_name.find(','));
  const char* space = " \t";
  const std::size_t begin = first.find_first_not_of(space);
  if (begin == std::string::npos) return {};
  return first.substr(begin, first.find_last_not_of(space) - begin + 1);
}

BreedsHierarchy read_breeds_hierarchy(const fs::path& subsets_json, const std::string& subset,
                                      BreedsSplit split, std::vector<std::string> level_names) {
  const json document = read_json(subsets_json);
  const std::string key = split == BreedsSplit::None ? subset : subset + "_rand";
  const json& entry = subset_entry(document, key, subset, subsets_json);
  const std::string where = subsets_json.string() + ": " + key;
  const char* list_key = split == BreedsSplit::RandTarget ? "target_subclasses" : "source_subclasses";
  if (!entry.contains("superclasses") || !entry.contains(list_key) ||
      !entry.at("superclasses").is_array() || !entry.at(list_key).is_array() ||
      entry.at("superclasses").size() != entry.at(list_key).size()) {
    throw usage_error("{}: expected 'superclasses' and '{}' lists of the same length", where,
                      list_key);
  }
  std::vector<std::string> coarse_full, coarse_wnids, fine_full, fine_wnids;
  std::vector<int64_t> fine_indices, parents;
  for (std::size_t s = 0; s < entry.at("superclasses").size(); ++s) {
    const std::string at = fmt::format("{} superclass {}", where, s);
    coarse_wnids.push_back(field(entry.at("superclasses")[s], "wnid", at));
    coarse_full.push_back(field(entry.at("superclasses")[s], "name", at));
    const json& subclasses = entry.at(list_key)[s];
    if (!subclasses.is_array() || subclasses.empty()) {
      throw usage_error("{} ('{}'): no subclasses (an empty class)", at, coarse_full.back());
    }
    for (const json& sub : subclasses) {
      fine_wnids.push_back(field(sub, "wnid", at));
      fine_full.push_back(field(sub, "name", at));
      fine_indices.push_back(sub.contains("index") && sub.at("index").is_number_integer()
                                 ? sub.at("index").get<int64_t>()
                                 : -1);
      parents.push_back(static_cast<int64_t>(s));
    }
  }
  std::vector<std::string> coarse = unique_names(coarse_full, coarse_wnids);
  std::vector<std::string> fine = unique_names(fine_full, fine_wnids);
  ClassHierarchy hierarchy = class_hierarchy_from_parents(std::move(coarse), std::move(fine),
                                                          parents, where, std::move(level_names));
  return BreedsHierarchy{std::move(hierarchy), std::move(coarse_wnids), std::move(fine_wnids),
                         std::move(fine_indices)};
}

}  // namespace hc
