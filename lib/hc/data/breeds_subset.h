#pragma once
// The BREEDS subsets (Santurkar et al.): living17, nonliving26, entity13, entity30, each a set of
// superclasses of the modified ImageNet hierarchy with the ImageNet classes below them.
//
// Read from ../shared/data/breeds/subsets.json (computed by the BREEDS library's own
// construction code; see that folder's README) and the hierarchy files of the folder
// `modified/` beside it:
//   node_names.txt           "<wnid>\t<name>" for every node (the labels' readable names);
//   dataset_class_info.json  [[index, wnid, name], ...] for the 1000 ImageNet classes (how
//                            integer class indices in ground-truth files map to wnids).
// A subset's `split` chooses its classes as the BREEDS library does: "none" (split=None: every
// subclass, the layout the paper evaluates), or one half of split='rand' ("source" or "target",
// the subset's `<name>_rand` entry).
//
// Label names are the readable names of the hierarchy's nodes reduced to their first synonym
// ("dog, domestic dog, Canis familiaris" -> "dog"), or kept whole with names = "full". Two
// labels of one subset with the same text would embed identically, so that is an error (none of
// the published subsets has one). Torch-free.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hc {

class ConfigSchema;

struct BreedsClass {
  std::string wnid;
  std::string name;   // the label text: first synonym (or the full name)
  std::string full;   // the hierarchy's full name
  int64_t imagenet_index = -1;  // 0..999 for ImageNet classes; -1 for superclasses
};

struct BreedsSuperclass {
  BreedsClass node;
  std::vector<BreedsClass> subclasses;  // the file's order
};

struct BreedsSubset {
  std::string name;   // "entity30"
  std::string split;  // "none", "source" or "target"
  std::filesystem::path source;  // the subsets file
  std::vector<BreedsSuperclass> superclasses;

  std::size_t num_subclasses() const;
  // The labels scored for an image, general level first: the superclasses' names in file order,
  // then every subclass's name (superclass by superclass).
  std::vector<std::string> labels() const;
  // Every subclass in labels() order, with the index of its superclass.
  std::vector<std::pair<const BreedsClass*, std::size_t>> subclasses() const;
};

// ImageNet's 1000 classes as dataset_class_info.json lists them (index order).
struct ImageNetClasses {
  std::vector<std::string> wnids;  // index -> wnid
  std::vector<std::string> names;  // index -> full name
  std::map<std::string, int64_t> index_of;

  // The class index of a wnid, or -1.
  int64_t find(const std::string& wnid) const;
};

struct BreedsOptions {
  std::filesystem::path subsets;    // subsets.json
  std::filesystem::path hierarchy;  // folder of node_names.txt etc.; empty = <subsets dir>/modified
  std::string subset = "living17";  // living17, nonliving26, entity13, entity30 (or any in file)
  std::string split = "none";       // none, source, target
  std::string names = "first";      // first (first synonym) or full

  // Keys <section>.subsets (--subsets), .hierarchy, .subset (--subset), .split (--split),
  // .names.
  void declare(ConfigSchema& schema, const std::string& section = "breeds");
  std::filesystem::path hierarchy_folder() const;
};

// "dog, domestic dog, Canis familiaris" -> "dog" (text before the first ", "; trimmed).
std::string first_synonym(std::string_view name);

// node_names.txt: wnid -> name. A line without exactly one tab, an empty field or a wnid listed
// twice is an hc::Error naming file:line.
std::map<std::string, std::string> read_node_names(const std::filesystem::path& file);

// dataset_class_info.json. Anything but a list of [index, wnid, name] with indices 0..n-1 in
// order is an hc::Error naming the file and entry.
ImageNetClasses read_imagenet_classes(const std::filesystem::path& file);

// The subset `subset` of a subsets file with `split` (none, source or target) as the file alone
// describes it: each node's wnid and name (.full, .name its first synonym), the subclasses'
// ImageNet indices. Errors (hc::Error naming the file and the JSON path): a missing file, invalid
// JSON, an unknown subset (usage, listing those the file has), a missing or malformed field, a
// superclass without subclasses.
BreedsSubset read_breeds_subsets_file(const std::filesystem::path& file, const std::string& subset,
                                      const std::string& split);

// The subset options.subset of options.subsets with options.split (read_breeds_subsets_file),
// checked against and named by the hierarchy folder. Further errors: a wnid the hierarchy does not
// know, a subclass whose index and wnid disagree with dataset_class_info.json, a wnid listed twice,
// two labels with the same text.
BreedsSubset load_breeds_subset(const BreedsOptions& options);

}  // namespace hc
