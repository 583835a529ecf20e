#include "hc/data/breeds_hierarchy.h"

#include <map>

#include "hc/data/breeds_subset.h"

namespace hc {

namespace {

// First synonyms, with "name (wnid)" where two classes of the level would share one.
std::vector<std::string> unique_names(const std::vector<const BreedsClass*>& nodes) {
  std::map<std::string, int> count;
  for (const BreedsClass* node : nodes) ++count[node->name];
  std::vector<std::string> names;
  for (const BreedsClass* node : nodes) {
    names.push_back(count[node->name] > 1 ? node->name + " (" + node->wnid + ")" : node->name);
  }
  return names;
}

}  // namespace

BreedsHierarchy read_breeds_hierarchy(const std::filesystem::path& subsets_json,
                                      const std::string& subset, const std::string& split,
                                      std::vector<std::string> level_names) {
  const BreedsSubset breeds = read_breeds_subsets_file(subsets_json, subset, split);
  std::vector<std::string> coarse_wnids, fine_wnids;
  std::vector<int64_t> fine_indices, parents;
  std::vector<const BreedsClass*> coarse, fine;
  for (std::size_t s = 0; s < breeds.superclasses.size(); ++s) {
    coarse.push_back(&breeds.superclasses[s].node);
    coarse_wnids.push_back(breeds.superclasses[s].node.wnid);
    for (const BreedsClass& sub : breeds.superclasses[s].subclasses) {
      fine.push_back(&sub);
      fine_wnids.push_back(sub.wnid);
      fine_indices.push_back(sub.imagenet_index);
      parents.push_back(static_cast<int64_t>(s));
    }
  }
  ClassHierarchy hierarchy =
      class_hierarchy_from_parents(unique_names(coarse), unique_names(fine), parents,
                                   subsets_json.string() + ": " + subset, std::move(level_names));
  return BreedsHierarchy{std::move(hierarchy), std::move(coarse_wnids), std::move(fine_wnids),
                         std::move(fine_indices)};
}

}  // namespace hc
