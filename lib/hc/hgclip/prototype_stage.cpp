#include "hc/hgclip/prototype_stage.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "hc/core/error.h"
#include "hc/core/sha256.h"
#include "hc/dataset/image_batches.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/device.h"
#include "hc/tensor/safetensors_tensor.h"

namespace hc {

namespace {
namespace fs = std::filesystem;

void check_inputs(const PrototypeInputs& inputs) {
  if (!inputs.train || !inputs.hierarchy) {
    throw usage_error("prototypes: a training set and its hierarchy are needed");
  }
  if (inputs.train->num_levels != inputs.hierarchy->num_levels()) {
    throw usage_error("prototypes: the training set is bound to {} levels, the hierarchy has {}",
                      inputs.train->num_levels, inputs.hierarchy->num_levels());
  }
}

std::map<std::string, std::string> key_metadata(const PrototypeKey& key) {
  return {{"hc.prototypes.model", key.model},         {"hc.prototypes.data", key.data},
          {"hc.prototypes.preprocess", key.preprocess}, {"hc.prototypes.flips", key.flips},
          {"hc.prototypes.empty_class", key.empty_class}, {"hc.prototypes.dtype", key.dtype}};
}

}  // namespace

at::Tensor compute_class_prototypes(const ClipModel& model, const PrototypeInputs& inputs,
                                    ThreadPool& pool) {
  check_inputs(inputs);
  ClipModel clip = model;  // a handle on the same module
  const HierarchicalImageSet& train = *inputs.train;
  // The loader holds its set by shared pointer; this one outlives it, so it is only borrowed.
  std::shared_ptr<const HierarchicalImageSet> borrowed(&train, [](const HierarchicalImageSet*) {});
  ImageBatchOptions options;
  options.batch_size = inputs.batch_size;
  options.pin_memory = clip->device().is_cuda();
  ImageBatchLoader loader(borrowed, inputs.preprocess, inputs.flips, options, pool);
  torch::NoGradGuard no_grad;
  const int64_t images = static_cast<int64_t>(train.images.size());
  at::Tensor features = at::empty({images, clip->config().projection_dim}, at::kFloat);
  at::Tensor nodes = at::empty({images, train.num_levels}, at::kLong);
  at::Tensor offsets = at::empty({train.num_levels}, at::kLong);
  for (int64_t l = 0; l < train.num_levels; ++l) {
    offsets[l] = inputs.hierarchy->offset(l);
  }
  int64_t done = 0;
  ImageBatch batch;
  loader.start_epoch(0);
  while (loader.next(batch)) {
    const int64_t n = batch.pixels.size(0);
    at::Tensor pixels = batch.pixels.to(clip->device(), clip->dtype(), /*non_blocking=*/true);
    features.slice(0, done, done + n).copy_(clip->encode_image(pixels).image_embeds.to(at::kFloat));
    nodes.slice(0, done, done + n).copy_(batch.classes + offsets.unsqueeze(0));
    done += n;
  }
  return class_prototypes(features, nodes, inputs.hierarchy->num_classes(), inputs.empty_class);
}

std::string data_digest(const HierarchicalImageSet& train, const ClassHierarchy& hierarchy) {
  Sha256 hash;
  for (const LabelledImage& image : train.images.images) {
    hash.update(image.id);
    hash.update("\t");
    hash.update(train.images.label_names.at(static_cast<std::size_t>(image.label)));
    hash.update("\n");
  }
  hash.update(hierarchy.to_json().at("levels").dump());
  return hash.hex_digest();
}

std::string PrototypeKey::digest() const {
  Sha256 hash;
  for (const std::string* part : {&model, &data, &preprocess, &flips, &empty_class, &dtype}) {
    hash.update(*part);
    hash.update(std::string_view("\0", 1));
  }
  return hash.hex_digest();
}

PrototypeKey PrototypeKey::of(const std::string& model_sha256, const PrototypeInputs& inputs,
                              at::ScalarType dtype) {
  check_inputs(inputs);
  return {model_sha256,
          data_digest(*inputs.train, *inputs.hierarchy),
          inputs.preprocess.to_json(),
          inputs.flips.describe(),
          inputs.empty_class == EmptyClassRule::CopyPrevious ? "copy_previous" : "error",
          scalar_type_label(dtype)};
}

PrototypeStageResult run_prototype_stage(const ClipModel& clip, const std::string& model_sha256,
                                         const PrototypeInputs& inputs, const fs::path& cache_dir,
                                         ThreadPool& pool) {
  const PrototypeKey key = PrototypeKey::of(model_sha256, inputs, clip->dtype());
  PrototypeStageResult result;
  result.key = key.digest();
  if (!cache_dir.empty()) {
    result.file = cache_dir / ("prototypes-" + result.key.substr(0, 32) + ".safetensors");
    if (fs::exists(result.file)) {
      auto file = SafetensorsFile::open(result.file);
      const auto& stored = file->metadata();
      const auto wanted = key_metadata(key);
      const bool same = std::all_of(wanted.begin(), wanted.end(), [&](const auto& entry) {
        auto found = stored.find(entry.first);
        return found != stored.end() && found->second == entry.second;
      });
      if (!same) {
        throw runtime_error("{}: the cached prototypes were made for other inputs than its name "
                            "says: remove the file",
                            result.file.string());
      }
      result.prototypes = to_tensor(file->get("prototypes"), at::kCPU, at::kFloat);
      result.from_cache = true;
      spdlog::info("prototypes from the cache {}", result.file.string());
      return result;
    }
  }
  result.prototypes = compute_class_prototypes(clip, inputs, pool);
  if (!cache_dir.empty()) {
    fs::create_directories(cache_dir);
    save_tensors(result.file, {{"prototypes", result.prototypes}}, key_metadata(key));
  }
  return result;
}

}  // namespace hc
