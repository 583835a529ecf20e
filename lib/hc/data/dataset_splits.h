#pragma once
// Train / validation / test splits of an image classification set: folders given for each
// split, or a split drawn from one folder, deterministic for a seed.
//
// The drawn split is stratified: within each label, the images (in the set's order, which the
// folder scan makes byte order) are put in a seeded random order (SplitMix64 driving an unbiased
// Fisher-Yates shuffle, the same on every platform and compiler), the first
// round(n * test_fraction) go to test, the next round(n * val_fraction) to validation and the
// rest to training; at least one image of each label stays in training. Each split keeps the
// set's order. The same set, fractions and seed give the same split everywhere. Torch-free.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hc/data/image_folder.h"
#include "hc/data/labelled_images.h"

namespace hc {

class ConfigSchema;

struct DatasetSplits {
  LabelledImageSet train;
  LabelledImageSet val;   // may be empty
  LabelledImageSet test;  // may be empty
};

// Draws validation and test images from `all` as described above. Fractions in [0, 1) with a
// sum below 1 (usage hc::Error otherwise).
DatasetSplits split_images(const LabelledImageSet& all, double val_fraction, double test_fraction,
                           uint64_t seed);

// The data.* keys of a tool that trains on image folders.
struct ImageDatasetOptions {
  std::string train;            // folder of class folders (required)
  std::string val;              // folder, or empty: val_fraction of train
  std::string test;             // folder, or empty: test_fraction of train
  double val_fraction = 0.0;    // drawn from train when val is empty
  double test_fraction = 0.0;   // drawn from train when test is empty
  int64_t split_seed = 0;       // the drawn split's seed
  std::vector<std::string> exclude;  // class folders to leave out (in every split)

  // Keys <section>.train, .val, .test, .val_fraction, .test_fraction, .split_seed, .exclude.
  void declare(ConfigSchema& schema, const std::string& section = "data");
};

// The three splits per the options: folders scanned (hc/data/image_folder.h) and the drawn
// parts taken from train. A fraction given beside a folder for the same split is a usage
// hc::Error (which one is meant?). All splits get the training folder's label names, so one
// label index means one class everywhere; a validation or test class folder the training folder
// lacks is an error naming it.
DatasetSplits load_image_splits(const ImageDatasetOptions& options,
                                const ImageFolderOptions& folder_options = {});

}  // namespace hc
