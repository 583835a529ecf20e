#include "hc/train/re_finetune_task.h"

#include <chrono>

#include <torch/ordered_dict.h>

#include "hc/model/checkpoint.h"
#include "hc/train/re_text_batch.h"

namespace hc {
namespace fs = std::filesystem;

ReFinetuneTask::ReFinetuneTask(std::vector<HierarCapsTrainRow> rows, ReTrainer trainer,
                               CheckpointSource source, std::unique_ptr<ReValidation> validation,
                               bool save_root)
    : rows_(std::move(rows)), trainer_(std::move(trainer)), source_(std::move(source)),
      validation_(std::move(validation)), save_root_(save_root) {}

ReFinetuneTask::~ReFinetuneTask() = default;

MicroBatchResult ReFinetuneTask::accumulate(const std::vector<std::size_t>& indices,
                                            double scale) {
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
