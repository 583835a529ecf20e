#include "hc/train/finetune_command.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <ATen/ATen.h>
#include <torch/ordered_dict.h>
#include <torch/utils.h>

#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/tool.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/model_session.h"
#include "hc/geometry/root.h"
#include "hc/model/checkpoint.h"
#include "hc/model/tokenizer_files.h"
#include "hc/tool/compute_context.h"
#include "hc/train/data_order.h"
#include "hc/train/distributed.h"
#include "hc/train/padded_tokens.h"
#include "hc/train/re_finetune_task.h"
#include "hc/train/step_log.h"
#include "hc/train/train_loop_paths.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

struct FinetuneData {
  std::vector<HierarCapsTrainRow> train;
  std::vector<HierarCapsTrainRow> held_out;
  std::size_t read = 0;
  std::size_t excluded = 0;
};

FinetuneData load_data(const FinetuneOptions& options) {
  HierarCapsTrainSet set = load_hierarcaps_train(options.train_csv);
  FinetuneData data;
  data.read = set.rows.size();
  for (const fs::path& other : options.exclude_images) {
    const std::size_t dropped = exclude_images(set, other);
    spdlog::info("dropped {} rows of {} whose images are in {}", dropped,
                 options.train_csv.string(), other.string());
    data.excluded += dropped;
  }
  if (options.limit > 0 && set.rows.size() > static_cast<std::size_t>(options.limit)) {
    set.rows.resize(static_cast<std::size_t>(options.limit));
  }
  const auto held = static_cast<std::size_t>(options.validation.rows);
  if (held >= set.rows.size()) {
    throw usage_error("validation.rows {}: {} has only {} rows left to split", held,
                      options.train_csv.string(), set.rows.size());
  }
  const SeededSplit split =
      seeded_split(set.rows.size(), held, static_cast<uint64_t>(options.loop.seed));
  for (std::size_t i : split.held_out) data.held_out.push_back(set.rows[i]);
  for (std::size_t i : split.rest) data.train.push_back(std::move(set.rows[i]));
  return data;
}

// The models of a run: the one trained, the frozen original (when something needs it), and
// where the saved checkpoints' tokenizer and preprocessing come from.
struct FinetuneModels {
  std::unique_ptr<ClipBundle> bundle;  // tokenizer, preprocessing, identity of the input
  ClipModel trained{nullptr};
  ClipModel original{nullptr};
  std::map<std::string, at::Tensor> resumed_extras;
  CheckpointSource source;
  int32_t pad_id = 0;
};

fs::path folder_of(const fs::path& path) {
  return fs::is_directory(path) ? path : path.parent_path();
}

bool needs_original(const FinetuneOptions& options) {
  const bool root_from_original = options.root == "mean" || options.root == "original" ||
                                  options.root == "learned";
  return options.trainer.loss.lambda_p != 0 || (root_from_original && options.loop.resume.empty());
}

FinetuneModels open_models(const FinetuneOptions& options, at::Device device) {
  FinetuneModels models;
  const ClipBundleOptions bundle_options = options.model.bundle_options();
  models.bundle = std::make_unique<ClipBundle>(
      open_clip_bundle(options.model.path, device, at::kFloat, bundle_options));
  const fs::path base = folder_of(models.bundle->identity.path);
  models.source.base_folder = has_tokenizer_files(base) ? base : fs::path();
  models.source.vocabulary = has_tokenizer_files(base)
                                 ? base
                                 : vocabulary_or_environment(options.model.vocab);
  if (models.source.vocabulary.empty()) {
    throw usage_error("{} has no tokenizer files to save with the fine-tuned model: give {}",
                      options.model.path, vocabulary_hint());
  }
  models.source.preprocess = models.bundle->preprocess;
  models.pad_id = checkpoint_pad_id(base, models.bundle->tokenizer);
  if (!options.loop.resume.empty()) {
    ClipCheckpoint checkpoint = load_clip_checkpoint(options.loop.resume, device, at::kFloat);
    models.trained = checkpoint.model;
    models.resumed_extras = std::move(checkpoint.extra_tensors);
  } else if (options.init == "random") {
    models.trained = random_clip(models.bundle->model->config(),
                                 static_cast<uint64_t>(options.init_seed), device, at::kFloat);
  } else {
    models.trained = models.bundle->model;
  }
  if (needs_original(options)) {
    models.original =
        models.trained.get() == models.bundle->model.get()
            ? open_clip_bundle(options.model.path, device, at::kFloat, bundle_options).model
            : models.bundle->model;
  }
  models.bundle->model = models.trained;
  return models;
}

at::Tensor original_empty_root(const FinetuneModels& models) {
  torch::NoGradGuard no_grad;
  const PaddedTokens empty = pad_to_longest(models.bundle->tokenizer, {""}, 77, models.pad_id);
  const at::Device device = models.original->device();
  return empty_text_root(models.original
                             ->encode_text(empty.input_ids.to(device),
                                           empty.attention_mask.to(device))
                             .text_embeds[0]);
}

// The normalised mean of the original model's embeddings of every training text.
at::Tensor training_mean_root(const FinetuneOptions& options, const FinetuneModels& models,
                              const std::vector<HierarCapsTrainRow>& rows,
                              const ComputeOptions& compute) {
  ClipBundle original = *models.bundle;
  original.model = models.original;
  EmbeddingEngine engine(original, options.model.embed_options(compute));
  std::vector<std::string> texts;
  for (const auto& row : rows) {
    texts.insert(texts.end(), row.positive.begin(), row.positive.end());
    texts.insert(texts.end(), row.negative.begin(), row.negative.end());
  }
  spdlog::info("train.root mean: embedding the {} training texts with the original model",
               texts.size());
  return mean_root(engine.embed_texts(texts));
}

// train.root as the trainer takes it: the kind and, for fixed and learned roots, the vector.
void set_root(const FinetuneOptions& options, const FinetuneModels& models,
              const std::vector<HierarCapsTrainRow>& rows, const ComputeOptions& compute,
              ReTrainerOptions& out) {
  if (options.root == "empty") return;
  out.root = options.root == "learned" ? TrainedRoot::Learned : TrainedRoot::Fixed;
  if (!options.loop.resume.empty()) {
    const auto found = models.resumed_extras.find(kRootTensorName);
    if (found == models.resumed_extras.end()) {
      throw usage_error("{} has no '{}' extra tensor: it was not saved by a train.root {} run",
                        options.loop.resume.string(), kRootTensorName, options.root);
    }
    out.root_value = found->second;
  } else if (options.root == "origin") {
    out.root_value = at::zeros({models.trained->config().projection_dim});
  } else if (options.root == "mean") {
    out.root_value = training_mean_root(options, models, rows, compute);
  } else {
    out.root_value = original_empty_root(models);  // original, learned
  }
}

// loss.objective clip: the unit embedding of every training row's image by the frozen vision
// tower, through the embedding engine and its cache (a pretrained input's images are keyed by
// the input model, as hc-retrieve keys them; a random init's are not cached).
at::Tensor training_image_embeddings(const FinetuneOptions& options, const FinetuneModels& models,
                                     const std::vector<HierarCapsTrainRow>& rows,
                                     const ComputeOptions& compute) {
  const std::vector<fs::path> files = train_image_files(rows, options.train_csv, options.images);
  ClipBundle vision = *models.bundle;
  vision.model = models.trained;
  if (options.init == "random") vision.identity.weights_sha256.clear();
  EmbeddingEngine engine(vision, options.model.embed_options(compute));
  spdlog::info("loss.objective clip: embedding the {} training images of {}", files.size(),
               options.images.string());
  torch::NoGradGuard no_grad;
  return engine.embed_images(files);
}

void report(const FinetuneOptions& options, const FinetuneData& data,
            const TrainLoopOutcome& outcome, const TrainLoopPaths& paths, const ReTrainer& trainer,
            RunResult& result) {
  nlohmann::json& metrics = result.metrics();
  metrics["rows_read"] = data.read;
  metrics["rows_excluded"] = data.excluded;
  metrics["train_rows"] = data.train.size();
  metrics["heldout_rows"] = data.held_out.size();
  metrics["steps"] = outcome.steps;
  metrics["steps_this_run"] = outcome.steps_this_run;
  metrics["resumed_from"] = outcome.resumed_from < 0 ? nlohmann::json(nullptr)
                                                     : nlohmann::json(outcome.resumed_from);
  metrics["trained_tensors"] = trainer.trained_parameter_names().size();
  if (!outcome.validation.empty()) {
    metrics["validation_before"] = outcome.validation.front();
    metrics["validation_after"] = outcome.validation.back();
  }
  const double steps = static_cast<double>(std::max<int64_t>(1, outcome.steps_this_run));
  const int64_t texts_per_row =
      trainer.options().loss.objective == "clip" ? 1 : trainer.options().loss.groups();
  const double texts_per_step = static_cast<double>(options.loop.batch_size *
                                                    options.loop.accumulation * texts_per_row);
  metrics["speed"] = {{"steps_per_s", steps / std::max(1e-9, outcome.train_s)},
                      {"texts_per_s", steps * texts_per_step / std::max(1e-9, outcome.train_s)},
                      {"forward_backward_s", outcome.forward_backward_s},
                      {"optimizer_s", outcome.optimizer_s},
                      {"data_s", outcome.data_s},
                      {"communication_s", outcome.communication_s}};
  result.set("validation", outcome.validation);
  result.add_artefact(paths.final_dir, "the fine-tuned checkpoint (Hugging Face layout)");
  result.add_artefact(paths.log, "per step: loss terms, lr, gradient norm, step time; validation");
  result.add_artefact(paths.curve, "the loss curve (SVG)");
  if (fs::exists(paths.checkpoint_dir)) {
    result.add_artefact(paths.checkpoint_dir, "the last checkpoint to resume from");
  }
}

}  // namespace

void run_finetune(const FinetuneOptions& options, RunContext& context, RunResult& result) {
  options.validate();
  if (compute_dtype(context.compute) != at::kFloat) {
    throw usage_error("compute.dtype {}: fine-tuning keeps float32 master weights (fp16 weights "
                      "under AdamW go NaN); use --dtype fp32",
                      context.compute.dtype);
  }
  const at::Device device = compute_device(context.compute);
  const DistributedEnv env = DistributedEnv::from_environment();
  std::unique_ptr<DataParallel> parallel = DataParallel::create(env, device);
  if (!parallel->is_main()) result.discard();
  const TrainLoopPaths paths =
      train_loop_paths(options.loop, options.out, options.log_dir, options.replace, result);

  FinetuneData data = load_data(options);
  result.timer().done("load_data");
  FinetuneModels models = open_models(options, device);
  result.set_model(model_identity_json(models.bundle->identity));
  ReTrainerOptions trainer_options = options.trainer;
  set_root(options, models, data.train, context.compute, trainer_options);
  if (trainer_options.loss.lambda_p == 0) models.original = ClipModel(nullptr);
  result.timer().done("load_model");

  std::unique_ptr<ReValidation> validation;
  if (options.validation.enabled()) {
    ReValidationOptions validation_options = options.validation;
    validation_options.batch_size = options.model.batch_size;
    validation = std::make_unique<ReValidation>(validation_options, data.held_out,
                                                *models.bundle, context.threads());
  }
  at::Tensor images;
  if (trainer_options.loss.objective == "clip") {
    images = training_image_embeddings(options, models, data.train, context.compute);
    result.timer().done("embed_images");
  }
  ReTrainer trainer(models.trained, models.original, models.bundle->tokenizer, models.pad_id,
                    std::move(trainer_options));
  ReFinetuneTask task(data.train, std::move(trainer), models.source, std::move(validation),
                      options.root != "empty");
  if (images.defined()) task.use_clip_objective(images, static_cast<uint64_t>(options.loop.seed));
  const TrainLoopOutcome outcome = run_training_loop(task, options.loop, *parallel, paths);
  result.timer().done("train");
  report(options, data, outcome, paths, task.trainer(), result);
}

}  // namespace hc
