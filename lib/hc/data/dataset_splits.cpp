#include "hc/data/dataset_splits.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/split_mix.h"

namespace hc {

namespace {

std::size_t share(std::size_t n, double fraction) {
  return static_cast<std::size_t>(std::llround(static_cast<double>(n) * fraction));
}

}  // namespace

DatasetSplits split_images(const LabelledImageSet& all, double val_fraction, double test_fraction,
                           uint64_t seed) {
  if (!(val_fraction >= 0 && test_fraction >= 0 && val_fraction + test_fraction < 1)) {
    throw usage_error("{}: split fractions val {} and test {} must be >= 0 with a sum below 1",
                      all.source, val_fraction, test_fraction);
  }
  std::vector<std::vector<std::size_t>> by_label(all.label_names.size());
  for (std::size_t i = 0; i < all.images.size(); ++i) {
    by_label.at(static_cast<std::size_t>(all.images[i].label)).push_back(i);
  }
  std::vector<std::size_t> train, val, test;
  for (std::size_t label = 0; label < by_label.size(); ++label) {
    std::vector<std::size_t>& members = by_label[label];
    SplitMix64 random(mix_seed(seed, label, members.size()));
    for (std::size_t i = members.size(); i > 1; --i) {
      std::swap(members[i - 1], members[random.below(i)]);
    }
    const std::size_t n = members.size();
    const std::size_t keep = n > 0 ? 1 : 0;  // one training image per label at least
    const std::size_t n_test = std::min(share(n, test_fraction), n - keep);
    const std::size_t n_val = std::min(share(n, val_fraction), n - keep - n_test);
    test.insert(test.end(), members.begin(), members.begin() + n_test);
    val.insert(val.end(), members.begin() + n_test, members.begin() + n_test + n_val);
    train.insert(train.end(), members.begin() + n_test + n_val, members.end());
  }
  for (auto* part : {&train, &val, &test}) std::sort(part->begin(), part->end());
  return {all.subset(train), all.subset(val), all.subset(test)};
}

void ImageDatasetOptions::declare(ConfigSchema& schema, const std::string& section) {
  // Not a schema requirement: a tool may have modes that read no images (hgclip-train
  // --write-shapes); the tool checks it before reading.
  schema.add(section + ".train", train, "training images: one folder per class (required)")
      .relative_to_config();
  schema.add(section + ".val", val,
             "validation images: one folder per class (empty: val_fraction of train)")
      .relative_to_config();
  schema.add(section + ".test", test,
             "test images: one folder per class (empty: test_fraction of train)")
      .relative_to_config();
  schema.add(section + ".val_fraction", val_fraction,
             "share of each training class drawn for validation when val is empty")
      .check_range(0.0, 0.99);
  schema.add(section + ".test_fraction", test_fraction,
             "share of each training class drawn for test when test is empty")
      .check_range(0.0, 0.99);
  schema.add(section + ".split_seed", split_seed, "seed of the drawn validation/test split");
  schema.add(section + ".exclude", exclude,
             "class folders to leave out of every split (e.g. BACKGROUND_Google)");
}

namespace {

// A split folder's images relabelled with the training set's label indices.
LabelledImageSet with_train_labels(LabelledImageSet set, const LabelledImageSet& train) {
  std::unordered_map<std::string, int64_t> index;
  for (std::size_t i = 0; i < train.label_names.size(); ++i) {
    index.emplace(train.label_names[i], static_cast<int64_t>(i));
  }
  for (LabelledImage& image : set.images) {
    const std::string& name = set.label_names.at(static_cast<std::size_t>(image.label));
    auto found = index.find(name);
    if (found == index.end()) {
      throw usage_error("{}: class folder '{}' has no counterpart in the training folder {}",
                        set.source, name, train.source);
    }
    image.label = found->second;
  }
  set.label_names = train.label_names;
  return set;
}

}  // namespace

DatasetSplits load_image_splits(const ImageDatasetOptions& options,
                                const ImageFolderOptions& folder_options) {
  if (options.train.empty()) throw usage_error("data.train: no training folder given");
  if (!options.val.empty() && options.val_fraction > 0) {
    throw usage_error("data.val_fraction {} is given beside the folder data.val {}: use one",
                      options.val_fraction, options.val);
  }
  if (!options.test.empty() && options.test_fraction > 0) {
    throw usage_error("data.test_fraction {} is given beside the folder data.test {}: use one",
                      options.test_fraction, options.test);
  }
  ImageFolderOptions folders = folder_options;
  folders.exclude.insert(folders.exclude.end(), options.exclude.begin(), options.exclude.end());
  DatasetSplits splits =
      split_images(scan_image_folder(options.train, folders), options.val_fraction,
                   options.test_fraction, static_cast<uint64_t>(options.split_seed));
  // An excluded class must be in the training folder; the others need not repeat it.
  auto scan_other = [&](const std::string& folder) {
    ImageFolderOptions other = folders;
    other.exclude.clear();
    for (const std::string& name : folders.exclude) {
      if (std::filesystem::is_directory(std::filesystem::path(folder) / name)) {
        other.exclude.push_back(name);
      }
    }
    return with_train_labels(scan_image_folder(folder, other), splits.train);
  };
  if (!options.val.empty()) splits.val = scan_other(options.val);
  if (!options.test.empty()) splits.test = scan_other(options.test);
  return splits;
}

}  // namespace hc
