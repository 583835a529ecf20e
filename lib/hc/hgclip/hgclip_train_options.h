#pragma once
// hgclip-train's options (docs/hgclip-train.md): the frozen CLIP (model.*), the label hierarchy
// (hierarchy.*), the image splits (data.*), the method and the model's switches (method,
// hgclip.*), the loop (train.*, training_loop.h), the optimiser (optimizer.*, official SGD with
// momentum 0.9 and weight decay 1e-4), the learning-rate plateau schedule and the prototypes
// cache. Each is a config key (configs/hgclip/).
#include <cstdint>
#include <filesystem>
#include <string>

#include "hc/data/class_hierarchy_source.h"
#include "hc/data/dataset_splits.h"
#include "hc/embed/model_options.h"
#include "hc/hgclip/hgclip_options.h"
#include "hc/hgclip/lr_plateau.h"
#include "hc/train/optimizer_options.h"
#include "hc/train/training_loop.h"

namespace hc {

class ConfigSchema;

struct HgclipTrainOptions {
  ModelOptions model;                // model.path (--model); model.preprocess: hgclip_legacy
  ClassHierarchySource hierarchy;    // hierarchy.file, .format, .breeds_subset, .breeds_split
  ImageDatasetOptions data;          // data.train, .val, .test, fractions, seed, exclude
  std::string data_format = "folders";  // data.format: folders, or cifar100 (binary files)
  std::string method = "hgclip";     // method (--method): see hgclip_method.h
  HgclipOptions hgclip;              // hgclip.*
  TrainLoopOptions loop;             // train.*
  OptimizerOptions optimizer;        // optimizer.*
  std::string plateau_on = "val";    // train.plateau_on: val, test (the official leak) or none
  PlateauOptions plateau;            // train.plateau_patience, _factor, _min_lr
  bool flips = true;                 // data.flip: random horizontal flips in training
  bool prototype_cache = true;       // prototypes.cache
  std::filesystem::path prototype_cache_dir;  // prototypes.cache_dir ("": $HC_CACHE_DIR/hgclip-prototypes)
  std::filesystem::path out;         // train.out (--out): the trained prompts folder
  bool replace = false;              // train.replace (--force)
  std::filesystem::path log_dir;     // train.log_dir: loss.jsonl, loss.svg ("": the run folder)
  // evaluate.prompts (--evaluate): no training; the trained prompts of this folder (train.out or
  // a checkpoint) on the base CLIP, evaluated on the validation and test splits.
  std::filesystem::path evaluate;
  // synthetic.write_shapes (--write-shapes): write the generated shape/colour set
  // (hc/data/synthetic_shapes.h) to DIR/images and DIR/hierarchy.txt, print DIR and exit.
  std::filesystem::path write_shapes;
  int64_t shapes_per_class = 12;     // synthetic.images_per_class
  int64_t shapes_size = 64;          // synthetic.image_size

  HgclipTrainOptions();
  void declare(ConfigSchema& schema);
  void validate() const;  // checks across keys (usage hc::Errors naming them)
};

}  // namespace hc
