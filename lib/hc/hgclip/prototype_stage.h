#pragma once
// HGCLIP's prototypes stage (generate_prototypes.py): the mean unprompted CLIP image feature of
// each class of every level over the training set (hc/hgclip/class_prototypes.h holds the
// maths and the empty-class rule), computed with the prefetching batch loader and kept in a
// cache file so that a second run, or a resumed one, does not pass the training set through
// CLIP again.
//
// The cache file is keyed by everything the prototypes depend on: the model (its weights
// SHA-256), the data (a digest of the training images' ids and labels in order and of the
// hierarchy's class lists, which fix the rows), the preprocessing (its JSON), the flips, the
// empty-class rule and the compute dtype. The key's parts are stored in the file's metadata and
// checked on reading, so a file can never serve another key. A changed image under an unchanged
// path is not noticed: clear the cache folder after editing images in place.
#include <cstdint>
#include <filesystem>
#include <string>

#include <ATen/core/Tensor.h>

#include "hc/data/class_hierarchy.h"
#include "hc/data/labelled_images.h"
#include "hc/hgclip/class_prototypes.h"
#include "hc/model/clip_model.h"
#include "hc/vision/preprocess_config.h"
#include "hc/vision/random_flip.h"

namespace hc {

class ThreadPool;

struct PrototypeInputs {
  const HierarchicalImageSet* train = nullptr;  // bound to `hierarchy`
  const ClassHierarchy* hierarchy = nullptr;
  PreprocessConfig preprocess;                  // the training transform's resize and normalise
  FlipPolicy flips;                             // the official run flips at random (seeded here)
  EmptyClassRule empty_class = EmptyClassRule::CopyPrevious;
  int64_t batch_size = 64;
};

// [num_classes, D] float32 on the CPU, rows in node order (levels concatenated, most general
// first). The model runs without gradients in its own device and dtype.
at::Tensor compute_class_prototypes(const ClipModel& clip, const PrototypeInputs& inputs,
                                    ThreadPool& pool);

// The cache key's parts, in the order they are hashed.
struct PrototypeKey {
  std::string model;       // weights SHA-256 (ModelIdentity::weights_sha256)
  std::string data;        // data_digest()
  std::string preprocess;  // PreprocessConfig::to_json()
  std::string flips;       // FlipPolicy::describe()
  std::string empty_class;
  std::string dtype;

  std::string digest() const;  // SHA-256 hex of the parts
  static PrototypeKey of(const std::string& model_sha256, const PrototypeInputs& inputs,
                         at::ScalarType dtype);
};

// SHA-256 over each image's id and label name in order, and the hierarchy's levels.
std::string data_digest(const HierarchicalImageSet& train, const ClassHierarchy& hierarchy);

struct PrototypeStageResult {
  at::Tensor prototypes;  // [num_classes, D] float32, CPU
  bool from_cache = false;
  std::filesystem::path file;  // the cache file (empty without a cache folder)
  std::string key;             // PrototypeKey::digest()
};

// Reads <cache_dir>/prototypes-<key>.safetensors when present (its metadata must carry the same
// key parts: a mismatch is an hc::Error naming the file), else computes the prototypes and
// writes that file atomically. An empty cache_dir computes without caching.
PrototypeStageResult run_prototype_stage(const ClipModel& clip, const std::string& model_sha256,
                                         const PrototypeInputs& inputs,
                                         const std::filesystem::path& cache_dir,
                                         ThreadPool& pool);

}  // namespace hc
