#include "hc/hgclip/hgclip_train_task.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <future>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/optim/optimizer.h>
#include <torch/ordered_dict.h>

#include "hc/core/atomic_directory.h"
#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/dataset/image_batches.h"
#include "hc/hgclip/hierarchical_evaluation.h"
#include "hc/hgclip/hierarchical_loss.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/vision/normalize.h"
#include "hc/vision/preprocess.h"
#include "hc/vision/random_flip.h"

namespace hc {
namespace fs = std::filesystem;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

namespace {

using Clock = std::chrono::steady_clock;

// Pixels [B, 3, H, W] of the images at `positions`, prepared on the pool; flip[i] mirrors image
// i after the resize, as the official transform does.
at::Tensor training_pixels(const HierarchicalImageSet& set, const std::vector<std::size_t>& positions,
                           const std::vector<bool>& flip, const PreprocessConfig& preprocess,
                           ThreadPool& pool) {
  const int64_t height = preprocess.output_height();
  const int64_t width = preprocess.output_width();
  at::Tensor pixels =
      at::empty({static_cast<int64_t>(positions.size()), 3, height, width}, at::kFloat);
  std::vector<std::future<void>> jobs;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    float* destination = pixels.data_ptr<float>() + static_cast<int64_t>(i) * 3 * height * width;
    const LabelledImage& image = set.images.images[positions[i]];
    const bool mirror = flip[i];
    jobs.push_back(pool.submit([&image, &preprocess, destination, mirror] {
      try {
        RgbImage resized = resize_and_crop(load_pixels(image), preprocess);
        if (mirror) flip_horizontal(resized);
        PixelNormalizer(preprocess).to_chw(resized, destination);
      } catch (const Error& e) {
        const std::string what = e.what();
        if (what.find(image.id) != std::string::npos) throw;
        throw runtime_error("image {}: {}", image.id, what);
      }
    }));
  }
  for (auto& job : jobs) job.get();  // rethrows the error naming the image
  return pixels;
}

// The evaluation block without its per-class rows (validation records in the step log).
ordered_json without_per_class(ordered_json block) {
  for (auto& [name, level] : block["levels"].items()) level.erase("per_class");
  return block;
}

void write_json_file(const fs::path& path, const json& value) {
  AtomicFile file(path);
  file.stream() << value.dump(2) << "\n";
  file.commit();
}

std::map<std::string, at::Tensor> read_all_tensors(const fs::path& path) {
  auto file = SafetensorsFile::open(path);
  std::map<std::string, at::Tensor> tensors;
  for (const std::string& name : file->names()) {
    tensors[name] = to_tensor(file->get(name), at::kCPU, at::kFloat);
  }
  return tensors;
}

}  // namespace

double mean_top1(const ordered_json& evaluation) {
  double sum = 0;
  int64_t levels = 0;
  for (const auto& [name, level] : evaluation.at("levels").items()) {
    sum += level.at("top1").get<double>();
    ++levels;
  }
  return levels == 0 ? 0.0 : sum / static_cast<double>(levels);
}

ordered_json evaluate_hierarchical(HierarchicalClassifier& classifier,
                                   const HierarchicalImageSet& set,
                                   const ClassHierarchy& hierarchy,
                                   const PreprocessConfig& preprocess, int64_t batch_size,
                                   bool per_class, ThreadPool& pool) {
  torch::NoGradGuard no_grad;
  HierarchicalEvaluator evaluator(hierarchy);
  ImageBatchOptions options;
  options.batch_size = batch_size;
  // The loader shares the set; the caller keeps it alive for the call.
  std::shared_ptr<const HierarchicalImageSet> shared(&set, [](const HierarchicalImageSet*) {});
  ImageBatchLoader loader(shared, preprocess, FlipPolicy::none(), options, pool);
  const std::vector<int64_t> sizes = hierarchy.level_sizes();
  ImageBatch batch;
  while (loader.next(batch)) {
    const at::Tensor logits = classifier.logits(batch.pixels);
    evaluator.add(split_level_logits(logits, sizes), batch.classes);
  }
  ordered_json block = evaluator.to_json();
  return per_class ? block : without_per_class(std::move(block));
}

HgclipCheckpoint read_hgclip_checkpoint(const fs::path& dir) {
  HgclipCheckpoint checkpoint;
  for (const char* name : {kHgclipPromptsFile, kHgclipInfoFile}) {
    if (!fs::is_regular_file(dir / name)) {
      throw usage_error("{} is not an hgclip-train folder: {} is missing", dir.string(), name);
    }
  }
  checkpoint.prompts = read_all_tensors(dir / kHgclipPromptsFile);
  if (fs::is_regular_file(dir / kHgclipPrototypesFile)) {
    auto tensors = read_all_tensors(dir / kHgclipPrototypesFile);
    const auto found = tensors.find("prototypes");
    if (found == tensors.end()) {
      throw runtime_error("{}: no tensor 'prototypes'", (dir / kHgclipPrototypesFile).string());
    }
    checkpoint.prototypes = found->second;
  }
  std::ifstream in(dir / kHgclipInfoFile);
  try {
    checkpoint.info = json::parse(in);
  } catch (const json::exception& e) {
    throw runtime_error("{}: {}", (dir / kHgclipInfoFile).string(), e.what());
  }
  return checkpoint;
}

HgclipTrainTask::HgclipTrainTask(std::unique_ptr<HierarchicalClassifier> classifier,
                                 HgclipTaskData data, const OptimizerOptions& optimizer,
                                 HgclipTaskSchedule schedule, json info, at::Tensor prototypes,
                                 std::vector<double> level_weights, ThreadPool& pool)
    : classifier_(std::move(classifier)), data_(std::move(data)), schedule_(std::move(schedule)),
      info_(std::move(info)), prototypes_(std::move(prototypes)),
      level_weights_(std::move(level_weights)), pool_(pool), plateau_(schedule_.plateau) {
  if (!data_.train || data_.train->images.size() == 0) {
    throw usage_error("data.train: no training images");
  }
  optimizer_ = make_optimizer(optimizer, trained_parameters());
  if (schedule_.plateau_on == "val" && !data_.val) {
    spdlog::warn("train.plateau_on val without a validation split (data.val or "
                 "data.val_fraction): the learning rate stays constant");
  }
  if (schedule_.plateau_on == "test") {
    spdlog::warn("train.plateau_on test: the learning-rate schedule watches the test split, as "
                 "the official code does; its test accuracy is then not a held-out figure");
  }
}

HgclipTrainTask::~HgclipTrainTask() = default;

void HgclipTrainTask::zero_grad() { optimizer_->zero_grad(); }

void HgclipTrainTask::end_epoch(int64_t epoch, int64_t epochs) {
  classifier_->end_epoch(epoch, epochs);
}

NamedParameters HgclipTrainTask::trained_parameters() {
  NamedParameters parameters;
  for (const auto& [name, tensor] : classifier_->learnable_parameters()) {
    parameters.insert(name, tensor);
  }
  return parameters;
}

MicroBatchResult HgclipTrainTask::accumulate(const std::vector<std::size_t>& indices,
                                             double scale) {
  const Clock::time_point start = Clock::now();
  const auto count = static_cast<int64_t>(indices.size());
  std::vector<bool> flip(indices.size(), false);
  if (data_.flips) {
    // torch's default generator: its state is in every checkpoint, so resuming replays it.
    const at::Tensor coins = at::rand({count}, at::kDouble);
    const double* coin = coins.data_ptr<double>();
    for (int64_t i = 0; i < count; ++i) flip[static_cast<std::size_t>(i)] = coin[i] < 0.5;
  }
  const at::Tensor pixels = training_pixels(*data_.train, indices, flip, data_.preprocess, pool_);
  const int64_t levels = data_.train->num_levels;
  at::Tensor classes = at::empty({count, levels}, at::kLong);
  int64_t* row = classes.data_ptr<int64_t>();
  for (std::size_t position : indices) {
    for (int64_t l = 0; l < levels; ++l) *row++ = data_.train->classes[position][static_cast<std::size_t>(l)];
  }
  MicroBatchResult result;
  result.data_s = std::chrono::duration<double>(Clock::now() - start).count();

  const at::Tensor logits = classifier_->logits(pixels);
  const at::Tensor targets = classes.to(logits.device());
  std::vector<at::Tensor> labels;
  for (int64_t l = 0; l < levels; ++l) labels.push_back(targets.select(1, l));
  const HierarchicalLoss loss = hierarchical_loss(
      split_level_logits(logits, data_.hierarchy.level_sizes()), labels, level_weights_);
  const auto extras = classifier_->extra_losses();
  at::Tensor total = loss.loss;
  for (const auto& [name, term] : extras) total = total + term;
  (total * scale).backward();
  result.terms.emplace_back("total", total.item<double>());
  for (const auto& [name, term] : extras) result.terms.emplace_back(name, term.item<double>());
  for (int64_t l = 0; l < levels; ++l) {
    result.terms.emplace_back("ce." + data_.hierarchy.levels()[static_cast<std::size_t>(l)].name,
                              loss.per_level[static_cast<std::size_t>(l)].item<double>());
  }
  return result;
}

ordered_json HgclipTrainTask::evaluate(const HierarchicalImageSet& set, bool per_class) const {
  return evaluate_hierarchical(*classifier_, set, data_.hierarchy, data_.preprocess,
                               data_.eval_batch_size, per_class, pool_);
}

ordered_json HgclipTrainTask::validate() {
  const bool first = validations_++ == 0 && !resumed_;
  ordered_json metrics = ordered_json::object();
  if (data_.val) metrics["val"] = evaluate(*data_.val, false);
  if (schedule_.plateau_on == "test" && data_.test) metrics["test"] = evaluate(*data_.test, false);
  if (metrics.empty()) return nullptr;
  const std::string watched = schedule_.plateau_on;
  if (watched != "none" && metrics.contains(watched)) {
    const double metric = mean_top1(metrics[watched]);
    metrics["plateau_metric"] = metric;
    if (!first) {
      const std::vector<double> rates = group_learning_rates(*optimizer_);
      const std::vector<double> next = plateau_.step(metric, rates);
      if (next != rates) {
        spdlog::info("{} mean top-1 {:.4f} has not improved for {} evaluations: learning rate "
                     "{:.3g} -> {:.3g}",
                     watched, metric, schedule_.plateau.patience + 1, rates.front(), next.front());
        set_group_learning_rates(*optimizer_, next, 1.0);
      }
    }
  }
  metrics["lr"] = group_learning_rates(*optimizer_).front();
  return metrics;
}

void HgclipTrainTask::save(const fs::path& dir, bool final,
                           const std::function<void(const fs::path&)>& write_more) {
  AtomicDirectory folder(dir, AtomicDirectory::IfExists::Replace);
  std::vector<NamedTensor> prompts;
  for (const auto& [name, tensor] : classifier_->learnable_parameters()) {
    prompts.push_back({name, tensor.detach()});
  }
  const std::string method = info_.value("method", "");
  save_tensors(folder.path() / kHgclipPromptsFile, prompts, {{"method", method}}, at::kFloat);
  if (prototypes_.defined()) {
    save_tensors(folder.path() / kHgclipPrototypesFile, {{"prototypes", prototypes_}},
                 {{"method", method}}, at::kFloat);
  }
  const auto state = classifier_->training_state();
  if (!final && !state.empty()) {
    std::vector<NamedTensor> tensors;
    for (const auto& [name, tensor] : state) tensors.push_back({name, tensor.detach()});
    save_tensors(folder.path() / kHgclipMethodStateFile, tensors, {{"method", method}}, at::kFloat);
  }
  json info = info_;
  info["final"] = final;
  info["plateau"] = plateau_.to_json();
  write_json_file(folder.path() / kHgclipInfoFile, info);
  write_more(folder.path());
  folder.commit();
}

void HgclipTrainTask::resume_schedule(const fs::path& dir) {
  const HgclipCheckpoint checkpoint = read_hgclip_checkpoint(dir);
  if (checkpoint.info.contains("plateau")) {
    plateau_.restore(checkpoint.info["plateau"], (dir / kHgclipInfoFile).string());
  }
  if (!classifier_->training_state().empty()) {
    const fs::path file = dir / kHgclipMethodStateFile;
    if (!fs::exists(file)) {
      throw usage_error("{}: missing; method {} resumes from its training state there",
                        file.string(), info_.value("method", ""));
    }
    classifier_->load_training_state(read_all_tensors(file), file.string());
  }
  resumed_ = true;
}

}  // namespace hc
