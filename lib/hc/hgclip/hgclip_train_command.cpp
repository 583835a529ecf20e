#include "hc/hgclip/hgclip_train_command.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

#include <ATen/ATen.h>
#include <torch/ordered_dict.h>

#include "hc/core/cache_dir.h"
#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/thread_pool.h"
#include "hc/core/tool.h"
#include "hc/data/cifar_labelled_images.h"
#include "hc/data/image_folder.h"
#include "hc/data/synthetic_shapes.h"
#include "hc/embed/model_session.h"
#include "hc/hgclip/hgclip_method.h"
#include "hc/hgclip/hgclip_train_task.h"
#include "hc/hgclip/prototype_stage.h"
#include "hc/hgclip/saved_prompts_setting.h"
#include "hc/model/clip_bundle.h"
#include "hc/tool/compute_context.h"
#include "hc/train/distributed.h"
#include "hc/train/step_log.h"
#include "hc/train/train_loop_paths.h"
#include "hc/vision/random_flip.h"

namespace hc {
namespace fs = std::filesystem;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

namespace {

struct HgclipData {
  LoadedClassHierarchy hierarchy;
  std::shared_ptr<const HierarchicalImageSet> train, val, test;
};

std::shared_ptr<const HierarchicalImageSet> bound(LabelledImageSet images,
                                                  const LoadedClassHierarchy& hierarchy) {
  if (images.images.empty()) return nullptr;
  return std::make_shared<const HierarchicalImageSet>(
      bind_to_hierarchy(std::move(images), hierarchy.hierarchy, hierarchy.folder_names));
}

// CIFAR-100 binaries: validation drawn from train.bin, test from test.bin (or drawn too).
DatasetSplits cifar_splits(const HgclipTrainOptions& options, const ClassHierarchy& hierarchy) {
  const std::vector<std::string>& fine = hierarchy.levels().back().classes;
  const LabelledImageSet all =
      cifar_labelled_images(options.data.train, CifarKind::Cifar100, fine);
  const bool test_file = !options.data.test.empty();
  DatasetSplits splits = split_images(all, options.data.val_fraction,
                                      test_file ? 0.0 : options.data.test_fraction,
                                      static_cast<uint64_t>(options.data.split_seed));
  if (test_file) {
    splits.test = cifar_labelled_images(options.data.test, CifarKind::Cifar100, fine);
  }
  return splits;
}

// hgclip-train --evaluate without data.train: the test images alone.
DatasetSplits test_only(const HgclipTrainOptions& options, const ClassHierarchy& hierarchy,
                        const ImageFolderOptions& folders) {
  DatasetSplits splits;
  if (options.data_format == "cifar100") {
    splits.test = cifar_labelled_images(options.data.test, CifarKind::Cifar100,
                                        hierarchy.levels().back().classes);
  } else {
    ImageFolderOptions test = folders;
    test.exclude.insert(test.exclude.end(), options.data.exclude.begin(), options.data.exclude.end());
    splits.test = scan_image_folder(options.data.test, test);
  }
  return splits;
}

HgclipData load_data(const HgclipTrainOptions& options) {
  HgclipData data{load_class_hierarchy(options.hierarchy, options.hgclip.hierarchy), {}, {}, {}};
  ImageFolderOptions folders;
  if (!data.hierarchy.folder_names.empty()) {
    // BREEDS: read only the subset's wnid folders out of a full ImageNet-style folder.
    for (const auto& [folder, name] : data.hierarchy.folder_names) folders.only.push_back(folder);
    std::sort(folders.only.begin(), folders.only.end());
  }
  const bool evaluate_only = !options.evaluate.empty() && options.data.train.empty();
  DatasetSplits splits = evaluate_only ? test_only(options, data.hierarchy.hierarchy, folders)
                         : options.data_format == "cifar100"
                             ? cifar_splits(options, data.hierarchy.hierarchy)
                             : load_image_splits(options.data, folders);
  data.train = bound(std::move(splits.train), data.hierarchy);
  data.val = bound(std::move(splits.val), data.hierarchy);
  data.test = bound(std::move(splits.test), data.hierarchy);
  if (!data.train && options.evaluate.empty()) {
    throw usage_error("data.train {}: no training images", options.data.train);
  }
  if (!data.test && !options.evaluate.empty()) {
    throw usage_error("evaluate.prompts {}: no test images (data.test {})",
                      options.evaluate.string(), options.data.test);
  }
  spdlog::info("{} levels ({}), {} training, {} validation, {} test images",
               data.hierarchy.hierarchy.num_levels(), data.hierarchy.hierarchy.num_classes(),
               data.train ? data.train->images.size() : 0, data.val ? data.val->images.size() : 0,
               data.test ? data.test->images.size() : 0);
  return data;
}

// The model's preprocessing: a preset sized to the model (hgclip_legacy by default), or a file.
PreprocessConfig model_preprocess(const HgclipTrainOptions& options, const ClipBundle& bundle) {
  const auto presets = PreprocessConfig::preset_names();
  if (std::find(presets.begin(), presets.end(), options.model.preprocess) != presets.end()) {
    return PreprocessConfig::preset(options.model.preprocess,
                                    static_cast<int>(bundle.model->config().vision.image_size));
  }
  return bundle.preprocess;
}

ClipBundle open_model(const HgclipTrainOptions& options, at::Device device, at::ScalarType dtype) {
  ClipBundleOptions bundle_options = options.model.bundle_options();
  const auto presets = PreprocessConfig::preset_names();
  if (std::find(presets.begin(), presets.end(), bundle_options.preprocess) != presets.end()) {
    bundle_options.preprocess.clear();  // sized to the model in model_preprocess
  }
  return open_clip_bundle(options.model.path, device, dtype, bundle_options);
}

fs::path prototype_cache_dir(const HgclipTrainOptions& options) {
  if (!options.prototype_cache) return {};
  return options.prototype_cache_dir.empty() ? hc_cache_dir() / "hgclip-prototypes"
                                             : options.prototype_cache_dir;
}

at::Tensor class_prototypes(const HgclipTrainOptions& options, const ClipBundle& bundle,
                            const HgclipData& data, const PreprocessConfig& preprocess,
                            ThreadPool& pool, RunResult& result) {
  if (!options.loop.resume.empty()) {
    HgclipCheckpoint checkpoint = read_hgclip_checkpoint(options.loop.resume);
    if (!checkpoint.prototypes.defined()) {
      throw usage_error("{} holds no {}: it was not saved by a method hgclip run",
                        options.loop.resume.string(), kHgclipPrototypesFile);
    }
    return checkpoint.prototypes;
  }
  PrototypeInputs inputs;
  inputs.train = data.train.get();
  inputs.hierarchy = &data.hierarchy.hierarchy;
  inputs.preprocess = preprocess;
  inputs.flips = options.flips ? FlipPolicy::seeded(static_cast<uint64_t>(options.loop.seed))
                               : FlipPolicy::none();
  inputs.empty_class = options.hgclip.empty_class_rule();
  inputs.batch_size = options.model.batch_size;
  const PrototypeStageResult stage = run_prototype_stage(
      bundle.model, bundle.identity.weights_sha256, inputs, prototype_cache_dir(options), pool);
  result.set_metric("prototypes", {{"from_cache", stage.from_cache},
                                   {"file", stage.file.string()},
                                   {"key", stage.key}});
  spdlog::info("class prototypes {} ({})", stage.from_cache ? "read from the cache" : "computed",
               stage.file.empty() ? "no cache" : stage.file.string());
  return stage.prototypes;
}

int64_t steps_per_epoch(const HgclipTrainOptions& options, std::size_t examples, int world) {
  const int64_t global = options.loop.batch_size * options.loop.accumulation * world;
  return (static_cast<int64_t>(examples) + global - 1) / global;
}

json split_sizes(const HgclipData& data) {
  return {{"train", data.train ? data.train->images.size() : 0},
          {"val", data.val ? data.val->images.size() : 0},
          {"test", data.test ? data.test->images.size() : 0}};
}

// Per-level top-1 of an evaluation block, for the metrics summary.
json top1_summary(const ordered_json& block) {
  json summary = json::object();
  for (const auto& [name, level] : block.at("levels").items()) summary[name] = level.at("top1");
  summary["mean"] = mean_top1(block);
  return summary;
}

void report_test(const std::shared_ptr<const HierarchicalImageSet>& test,
                 const std::function<ordered_json(const HierarchicalImageSet&)>& evaluate,
                 RunResult& result) {
  if (!test) {
    spdlog::warn("no test split (data.test or data.test_fraction): no final evaluation");
    return;
  }
  const ordered_json block = evaluate(*test);
  result.set_metric("test_top1", top1_summary(block));
  result.set("test", block);
}

// A classifier that does not train (zeroshot, or loaded prompts) on the validation and test
// splits.
void evaluate_splits(HierarchicalClassifier& classifier, const HgclipTrainOptions& options,
                     const HgclipData& data, const PreprocessConfig& preprocess, ThreadPool& pool,
                     RunResult& result) {
  auto evaluate = [&](const HierarchicalImageSet& set) {
    return evaluate_hierarchical(classifier, set, data.hierarchy.hierarchy, preprocess,
                                 options.model.batch_size, true, pool);
  };
  if (data.val) {
    const ordered_json block = evaluate(*data.val);
    result.set_metric("val_top1", top1_summary(block));
    result.set("val", block);
  }
  report_test(data.test, evaluate, result);
  result.timer().done("evaluate");
}

// hgclip-train --evaluate: the saved prompts on the base CLIP, in the setting they were trained.
void evaluate_saved(const HgclipTrainOptions& options, const HgclipData& data, ClipBundle& bundle,
                    const PreprocessConfig& preprocess, ThreadPool& pool, RunContext& context,
                    RunResult& result) {
  const HgclipCheckpoint saved = read_hgclip_checkpoint(options.evaluate);
  const PromptsRun run{bundle.identity.weights_sha256, data.hierarchy.hierarchy.to_json(),
                       &context.config};
  const SavedPromptsSetting setting = saved_prompts_setting(saved.info, run, options.evaluate);
  const HgclipMethod method = parse_hgclip_method(setting.method);
  if (method_needs_prototypes(method) && !saved.prototypes.defined()) {
    throw usage_error("{} holds no {}: method hgclip needs the class prototypes of its run",
                      options.evaluate.string(), kHgclipPrototypesFile);
  }
  result.set_metric("method", setting.method);
  result.set_metric("evaluated_prompts", options.evaluate.string());
  auto classifier = make_hierarchical_classifier(method, bundle.model, bundle.tokenizer,
                                                 data.hierarchy.hierarchy, setting.hgclip,
                                                 saved.prototypes);
  classifier->load_learnable_parameters(saved.prompts, options.evaluate.string());
  spdlog::info("evaluating the {} prompts of {}", setting.method, options.evaluate.string());
  evaluate_splits(*classifier, options, data, preprocess, pool, result);
}

json checkpoint_info(const HgclipTrainOptions& options, const ClipBundle& bundle,
                     const HgclipData& data, RunContext& context) {
  return {{"method", options.method},
          {"model", model_identity_json(bundle.identity)},
          {"hierarchy", data.hierarchy.hierarchy.to_json()},
          {"config", context.config.to_json()}};
}

void report_training(const HgclipTrainOptions& options, const TrainLoopOutcome& outcome,
                     const TrainLoopPaths& paths, std::size_t trained_tensors,
                     std::size_t train_images, RunResult& result) {
  json& metrics = result.metrics();
  metrics["steps"] = outcome.steps;
  metrics["steps_this_run"] = outcome.steps_this_run;
  metrics["resumed_from"] = outcome.resumed_from < 0 ? json(nullptr) : json(outcome.resumed_from);
  metrics["trained_tensors"] = trained_tensors;
  if (!outcome.validation.empty()) {
    metrics["validation_before"] = outcome.validation.front();
    metrics["validation_after"] = outcome.validation.back();
  }
  const double steps = static_cast<double>(std::max<int64_t>(1, outcome.steps_this_run));
  const double images_per_step = static_cast<double>(
      std::min<int64_t>(options.loop.batch_size * options.loop.accumulation,
                        static_cast<int64_t>(train_images)));
  metrics["speed"] = {{"steps_per_s", steps / std::max(1e-9, outcome.train_s)},
                      {"images_per_s", steps * images_per_step / std::max(1e-9, outcome.train_s)},
                      {"forward_backward_s", outcome.forward_backward_s},
                      {"optimizer_s", outcome.optimizer_s},
                      {"data_s", outcome.data_s},
                      {"communication_s", outcome.communication_s}};
  result.set("validation", outcome.validation);
  result.add_artefact(paths.final_dir, "the trained prompts: learnable tensors, prototypes, "
                                       "hgclip.json (loaded onto the base CLIP)");
  result.add_artefact(paths.log, "per step: loss terms, lr, gradient norm, step time; validation");
  result.add_artefact(paths.curve, "the loss curve (SVG)");
  if (fs::exists(paths.checkpoint_dir)) {
    result.add_artefact(paths.checkpoint_dir, "the last checkpoint to resume from");
  }
}

void write_shapes(const HgclipTrainOptions& options, RunResult& result) {
  ShapeSetOptions shapes;
  shapes.images_per_class = static_cast<int>(options.shapes_per_class);
  shapes.size = static_cast<int>(options.shapes_size);
  write_shape_images(options.write_shapes / "images", shapes);
  write_shape_hierarchy(options.write_shapes / "hierarchy.txt");
  std::cout << options.write_shapes.string() << std::endl;
  result.discard();
}

// Prototypes (hgclip), the classifier, the task and the loop, then the final test evaluation.
void train_method(const HgclipTrainOptions& options, HgclipMethod method, const HgclipData& data,
                  const ClipBundle& bundle, const PreprocessConfig& preprocess, ThreadPool& pool,
                  RunContext& context, RunResult& result) {
  const DistributedEnv env = DistributedEnv::from_environment();
  std::unique_ptr<DataParallel> parallel = DataParallel::create(env, bundle.model->device());
  if (!parallel->is_main()) result.discard();
  const TrainLoopPaths paths =
      train_loop_paths(options.loop, options.out, options.log_dir, options.replace, result);
  at::Tensor prototypes;
  if (method_needs_prototypes(method)) {
    prototypes = class_prototypes(options, bundle, data, preprocess, pool, result);
    result.timer().done("prototypes");
  }
  auto classifier = make_hierarchical_classifier(method, bundle.model, bundle.tokenizer,
                                                 data.hierarchy.hierarchy, options.hgclip,
                                                 prototypes);
  if (!options.loop.resume.empty()) {
    classifier->load_learnable_parameters(read_hgclip_checkpoint(options.loop.resume).prompts,
                                          options.loop.resume.string());
  }
  const std::size_t trained_tensors = classifier->learnable_parameters().size();
  HgclipTaskData task_data{data.train, data.val, data.test, data.hierarchy.hierarchy,
                           preprocess, options.flips, options.model.batch_size};
  HgclipTaskSchedule schedule{options.plateau_on, options.plateau};
  HgclipTrainTask task(std::move(classifier), task_data, options.optimizer, schedule,
                       checkpoint_info(options, bundle, data, context), prototypes,
                       options.hgclip.level_weights, pool);
  if (!options.loop.resume.empty()) task.resume_schedule(options.loop.resume);

  // The training flips come from torch's default generator (its state is in every
  // checkpoint); seeded here so that a fresh run is reproducible, as the official
  // torch.manual_seed(args.seed). A resumed run restores the saved state instead.
  at::manual_seed(static_cast<uint64_t>(options.loop.seed));
  TrainLoopOptions loop = options.loop;
  if (loop.validate_every == 0) {
    // Once per epoch, as the official code evaluates (and steps its schedule).
    loop.validate_every = steps_per_epoch(options, data.train->images.size(),
                                          parallel->world_size());
  }
  const TrainLoopOutcome outcome = run_training_loop(task, loop, *parallel, paths);
  result.timer().done("train");
  report_training(options, outcome, paths, trained_tensors, data.train->images.size(), result);
  if (parallel->is_main()) {
    report_test(data.test, [&](const HierarchicalImageSet& set) { return task.evaluate(set, true); },
                result);
    result.timer().done("test");
  }
}

}  // namespace

void run_hgclip_train(const HgclipTrainOptions& options, RunContext& context, RunResult& result) {
  if (!options.write_shapes.empty()) {
    write_shapes(options, result);
    return;
  }
  options.validate();
  const HgclipMethod method = parse_hgclip_method(options.method);
  const at::ScalarType dtype = compute_dtype(context.compute);
  if (method_trains(method) && options.evaluate.empty() && dtype != at::kFloat) {
    throw usage_error("compute.dtype {}: training keeps float32 weights (use --dtype fp32, and "
                      "train.autocast bf16 on CUDA for speed)",
                      context.compute.dtype);
  }
  result.set_metric("method", options.method);
  HgclipData data = load_data(options);
  result.set_metric("images", split_sizes(data));
  result.set("hierarchy", data.hierarchy.hierarchy.to_json());
  result.timer().done("load_data");
  ClipBundle bundle = open_model(options, compute_device(context.compute), dtype);
  result.set_model(model_identity_json(bundle.identity));
  const PreprocessConfig preprocess = model_preprocess(options, bundle);
  for (at::Tensor& param : bundle.model->parameters()) param.requires_grad_(false);
  result.timer().done("load_model");
  ThreadPool pool(static_cast<std::size_t>(context.threads()));
  if (!options.evaluate.empty()) {
    evaluate_saved(options, data, bundle, preprocess, pool, context, result);
  } else if (method_trains(method)) {
    train_method(options, method, data, bundle, preprocess, pool, context, result);
  } else {
    auto classifier = make_hierarchical_classifier(HgclipMethod::Zeroshot, bundle.model,
                                                   bundle.tokenizer, data.hierarchy.hierarchy,
                                                   options.hgclip, {});
    evaluate_splits(*classifier, options, data, preprocess, pool, result);
  }
}

}  // namespace hc
