#pragma once
// HGCLIP training (and its prompt-learning baselines) as a TrainingTask (training_loop.h): each
// micro-batch of training images goes through the classifier (hgclip_method.h) on the frozen
// CLIP, and the hierarchical loss (hierarchical_loss.h) adds its gradients to the learnable
// tensors only. Images are decoded, resized, flipped and normalised on the thread pool; the flips
// are drawn from torch's default generator, whose state the loop's checkpoints carry, so a
// resumed run flips as an uninterrupted one.
//
// Validation (at the loop's cadence) is the hierarchical evaluation block
// (hierarchical_evaluation.h, without per-class rows) on the validation split, and it steps the
// ReduceLROnPlateau schedule (lr_plateau.h) with the mean top-1 accuracy over levels of the
// split train.plateau_on names (val; test reproduces the official leak). The evaluation before
// training does not step it.
//
// Checkpoints hold only what the base CLIP does not (at the official sizes about 135 MB, nearly
// all of it the two graph networks, against 600 MB for a ViT-B/16 CLIP):
//   hgclip_prompts.safetensors     the learnable tensors under the official names (float32)
//   hgclip_prototypes.safetensors  the class prototypes (method hgclip)
//   hgclip.json                    method, base model identity, hierarchy (class order), the
//                                  run's config, the plateau schedule's state
// plus, in a checkpoint to resume from, the method's own training state
// (hgclip_method_state.safetensors, promptsrc's prompt aggregation) and the loop's training state
// and step log.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "hc/data/class_hierarchy.h"
#include "hc/data/labelled_images.h"
#include "hc/hgclip/hgclip_method.h"
#include "hc/hgclip/lr_plateau.h"
#include "hc/train/optimizer_options.h"
#include "hc/train/training_loop.h"
#include "hc/vision/preprocess_config.h"

namespace hc {

class ThreadPool;

inline constexpr const char* kHgclipPromptsFile = "hgclip_prompts.safetensors";
inline constexpr const char* kHgclipPrototypesFile = "hgclip_prototypes.safetensors";
inline constexpr const char* kHgclipInfoFile = "hgclip.json";
// Checkpoints only: the method's training state besides its learnable tensors (promptsrc: the
// Gaussian prompt aggregation's running sums).
inline constexpr const char* kHgclipMethodStateFile = "hgclip_method_state.safetensors";

struct HgclipTaskData {
  std::shared_ptr<const HierarchicalImageSet> train;
  std::shared_ptr<const HierarchicalImageSet> val;   // may be null
  std::shared_ptr<const HierarchicalImageSet> test;  // may be null
  ClassHierarchy hierarchy;
  PreprocessConfig preprocess;   // resize and normalise (training and evaluation)
  bool flips = true;             // random horizontal flips of training images
  int64_t eval_batch_size = 64;
};

struct HgclipTaskSchedule {
  std::string plateau_on = "val";  // val, test or none
  PlateauOptions plateau;
};

// What a trained folder holds besides the base CLIP (read_hgclip_checkpoint).
struct HgclipCheckpoint {
  std::map<std::string, at::Tensor> prompts;  // CPU, float32
  at::Tensor prototypes;                      // undefined unless method hgclip
  nlohmann::json info;                        // hgclip.json
};
HgclipCheckpoint read_hgclip_checkpoint(const std::filesystem::path& dir);

// Split-level accuracies of an evaluation block: the mean top-1 over levels.
double mean_top1(const nlohmann::ordered_json& evaluation);

class HgclipTrainTask final : public TrainingTask {
 public:
  // info: what hgclip.json records (method, model, hierarchy, config); prototypes are saved with
  // the checkpoints when defined.
  HgclipTrainTask(std::unique_ptr<HierarchicalClassifier> classifier, HgclipTaskData data,
                  const OptimizerOptions& optimizer, HgclipTaskSchedule schedule,
                  nlohmann::json info, at::Tensor prototypes, std::vector<double> level_weights,
                  ThreadPool& pool);
  ~HgclipTrainTask() override;

  std::size_t examples() const override { return data_.train->images.size(); }
  void zero_grad() override;
  void end_epoch(int64_t epoch, int64_t epochs) override;  // the classifier's (GPA)
  MicroBatchResult accumulate(const std::vector<std::size_t>& indices, double scale) override;
  NamedParameters trained_parameters() override;
  torch::optim::Optimizer& optimizer() override { return *optimizer_; }
  void save(const std::filesystem::path& dir, bool final,
            const std::function<void(const std::filesystem::path&)>& write_more) override;
  nlohmann::ordered_json validate() override;

  // Continues a run saved in dir: the plateau schedule's state and the method's training state
  // (kHgclipMethodStateFile) (the learnable tensors are
  // loaded into the classifier by the caller, the optimiser by the loop).
  void resume_schedule(const std::filesystem::path& dir);

  // The evaluation block over every image of `set` (no flips, no dropped batch); per_class:
  // keep the per-class rows.
  nlohmann::ordered_json evaluate(const HierarchicalImageSet& set, bool per_class) const;

 private:
  std::unique_ptr<HierarchicalClassifier> classifier_;
  HgclipTaskData data_;
  HgclipTaskSchedule schedule_;
  nlohmann::json info_;
  at::Tensor prototypes_;
  std::vector<double> level_weights_;
  ThreadPool& pool_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  LrPlateau plateau_;
  int64_t validations_ = 0;  // validate() calls in this process
  bool resumed_ = false;
};

// Evaluates `set` with any classifier (the zero-shot method, a loaded folder): see
// HgclipTrainTask::evaluate.
nlohmann::ordered_json evaluate_hierarchical(HierarchicalClassifier& classifier,
                                             const HierarchicalImageSet& set,
                                             const ClassHierarchy& hierarchy,
                                             const PreprocessConfig& preprocess,
                                             int64_t batch_size, bool per_class,
                                             ThreadPool& pool);

}  // namespace hc
