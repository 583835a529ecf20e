#include "hc/train/re_finetune_task.h"

#include <chrono>

#include <ATen/ATen.h>
#include <torch/ordered_dict.h>

#include "hc/core/error.h"
#include "hc/model/checkpoint.h"
#include "hc/train/data_order.h"
#include "hc/train/re_text_batch.h"

namespace hc {
namespace fs = std::filesystem;

ReFinetuneTask::ReFinetuneTask(std::vector<HierarCapsTrainRow> rows, ReTrainer trainer,
                               CheckpointSource source, std::unique_ptr<ReValidation> validation,
                               bool save_root)
    : rows_(std::move(rows)), trainer_(std::move(trainer)), source_(std::move(source)),
      validation_(std::move(validation)), save_root_(save_root) {}

ReFinetuneTask::~ReFinetuneTask() = default;

void ReFinetuneTask::use_clip_objective(at::Tensor images, uint64_t seed) {
  if (!images.defined() || images.dim() != 2 ||
      images.size(0) != static_cast<int64_t>(rows_.size())) {
    throw runtime_error("loss.objective clip: expected one image embedding per training row ({})",
                        rows_.size());
  }
  clip_images_ = images.to(trainer_.model()->device());
  clip_seed_ = seed;
}

void ReFinetuneTask::begin_step(int64_t epoch, int64_t) { epoch_ = epoch; }

std::vector<std::string> ReFinetuneTask::sampled_captions(const std::vector<std::size_t>& indices,
                                                          int64_t epoch) {
  const std::vector<int>& levels = trainer_.options().loss.levels;
  if (choices_epoch_ != epoch) {
    choices_ = epoch_choices(rows_.size(), levels.size(), clip_seed_, epoch);
    choices_epoch_ = epoch;
  }
  std::vector<std::string> captions;
  captions.reserve(indices.size());
  for (std::size_t i : indices) {
    if (i >= rows_.size()) throw runtime_error("training row {} of {}", i, rows_.size());
    captions.push_back(rows_[i].positive[static_cast<std::size_t>(levels[choices_[i]] - 1)]);
  }
  return captions;
}

MicroBatchResult ReFinetuneTask::accumulate_clip(const std::vector<std::size_t>& indices,
                                                 double scale) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> captions = sampled_captions(indices, epoch_);
  std::vector<int64_t> rows(indices.begin(), indices.end());
  const at::Tensor images = clip_images_.index_select(
      0, at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(clip_images_.device()));
  MicroBatchResult result;
  result.data_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const ClipObjectiveStep step = trainer_.accumulate_clip(captions, images, scale);
  result.terms = {{"total", step.loss.total.item<double>()},
                  {"pullback", step.loss.pullback.item<double>()},
                  {"clip", step.loss.contrastive.item<double>()}};
  return result;
}

MicroBatchResult ReFinetuneTask::accumulate(const std::vector<std::size_t>& indices,
                                            double scale) {
  if (clip_images_.defined()) return accumulate_clip(indices, scale);
  const auto start = std::chrono::steady_clock::now();
  const ReTextBatch batch = re_text_batch(rows_, indices, trainer_.options().loss);
  MicroBatchResult result;
  result.data_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const ReStep step = trainer_.accumulate(batch, scale);
  result.terms = {{"total", step.loss.total.item<double>()},
                  {"pullback", step.loss.pullback.item<double>()},
                  {"entailment", step.loss.entailment.item<double>()},
                  {"mining", step.loss.mining.item<double>()}};
  return result;
}

NamedParameters ReFinetuneTask::trained_parameters() { return trainer_.trained_parameters(); }

void ReFinetuneTask::save(const fs::path& dir, bool,
                          const std::function<void(const fs::path&)>& write_more) {
  ClipCheckpointOptions options;
  options.vocabulary = source_.vocabulary;
  options.preprocess = source_.preprocess;
  options.replace = true;
  if (save_root_) options.extra_tensors[kRootTensorName] = trainer_.current_root().cpu();
  options.write_more = [&](const fs::path& folder) {
    // The input's own tokenizer settings (its pad token) rather than CLIP's defaults.
    for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
      const fs::path from = source_.base_folder / name;
      if (!source_.base_folder.empty() && fs::is_regular_file(from)) {
        fs::copy_file(from, folder / name, fs::copy_options::overwrite_existing);
      }
    }
    write_more(folder);
  };
  save_clip_checkpoint(*trainer_.model(), dir, options);
}

nlohmann::ordered_json ReFinetuneTask::validate() {
  if (!validation_) return nullptr;
  return validation_->evaluate(trainer_.current_root());
}

}  // namespace hc
