#pragma once
// RE fine-tuning as a TrainingTask (training_loop.h): the HierarCaps train rows, the RE step
// (re_trainer.h), validation (re_validation.h), and checkpoints in the input's Hugging Face
// layout: config, every weight (the vision tower unchanged), the tokenizer files of the input
// checkpoint (its tokenizer_config.json and special_tokens_map.json copied, so its pad token
// stays), preprocessor_config.json, and the root as the extra tensor "root" when the loss's
// root is not the model's own (fixed and learned roots).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "hc/data/hierarcaps_train.h"
#include "hc/train/re_trainer.h"
#include "hc/train/re_validation.h"
#include "hc/train/training_loop.h"
#include "hc/vision/preprocess_config.h"

namespace hc {

inline constexpr const char* kRootTensorName = "root";

// Where a saved checkpoint's non-weight files come from.
struct CheckpointSource {
  std::filesystem::path vocabulary;   // vocab.json + merges.txt folder, or OpenAI's .gz
  std::filesystem::path base_folder;  // the input checkpoint's folder ("" = none)
  PreprocessConfig preprocess;
};

class ReFinetuneTask final : public TrainingTask {
 public:
  // save_root: write the loss's root into the checkpoints as the extra tensor "root".
  ReFinetuneTask(std::vector<HierarCapsTrainRow> rows, ReTrainer trainer, CheckpointSource source,
                 std::unique_ptr<ReValidation> validation, bool save_root);
  ~ReFinetuneTask() override;

  // loss.objective clip: images [rows, P] are the unit embeddings of each training row's image
  // (same order as rows), from the frozen vision tower; each epoch every row shows one caption
  // drawn from its positive texts at loss.levels, by epoch_choices(seed, epoch) (data_order.h),
  // so the draws need no saved state to resume.
  void use_clip_objective(at::Tensor images, uint64_t seed);
  void begin_step(int64_t epoch, int64_t step) override;
  // The captions of the rows at `indices` in `epoch` (what a clip step trains on).
  std::vector<std::string> sampled_captions(const std::vector<std::size_t>& indices,
                                            int64_t epoch);

  std::size_t examples() const override { return rows_.size(); }
  void zero_grad() override { trainer_.zero_grad(); }
  MicroBatchResult accumulate(const std::vector<std::size_t>& indices, double scale) override;
  NamedParameters trained_parameters() override;
  torch::optim::Optimizer& optimizer() override { return trainer_.optimizer(); }
  void save(const std::filesystem::path& dir, bool final,
            const std::function<void(const std::filesystem::path&)>& write_more) override;
  nlohmann::ordered_json validate() override;

  ReTrainer& trainer() { return trainer_; }

 private:
  MicroBatchResult accumulate_clip(const std::vector<std::size_t>& indices, double scale);

  std::vector<HierarCapsTrainRow> rows_;
  ReTrainer trainer_;
  CheckpointSource source_;
  std::unique_ptr<ReValidation> validation_;
  bool save_root_;
  at::Tensor clip_images_;  // defined for loss.objective clip
  uint64_t clip_seed_ = 0;
  int64_t epoch_ = 0;
  int64_t choices_epoch_ = -1;
  std::vector<std::size_t> choices_;  // per row, index into loss.levels, for choices_epoch_
};

}  // namespace hc
