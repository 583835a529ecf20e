#include "hc/train/training_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/types.h>  // clip_grad.h uses torch::Tensor without including it (libtorch 1.13)
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/optimizer.h>
#include <torch/ordered_dict.h>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/stop_signal.h"
#include "hc/train/autocast.h"
#include "hc/train/data_order.h"
#include "hc/train/distributed.h"
#include "hc/train/loss_curve.h"
#include "hc/train/loss_scaler.h"
#include "hc/train/step_log.h"

namespace hc {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

TrainingTask::~TrainingTask() = default;

void TrainLoopOptions::declare(ConfigSchema& schema) {
  schema.add("train.epochs", epochs, "passes over the training data").check_positive()
      .flag("--epochs");
  schema.add("train.batch_size", batch_size, "examples per micro-batch and process (official 8)")
      .check_positive();
  schema.add("train.accumulation", accumulation,
             "micro-batches whose gradients are summed into one optimiser step")
      .check_positive();
  schema.add("train.max_steps", max_steps, "stop after this many optimiser steps (0: all epochs)")
      .check_non_negative()
      .flag("--max-steps");
  schema.add("train.seed", seed, "seed of the epochs' data orders").check_non_negative()
      .flag("--seed");
  schema.add("train.shuffle", shuffle, "shuffle the data every epoch (false: file order)");
  schema.add("train.clip_grad_norm", clip_grad_norm,
             "clip the gradients' total L2 norm to this (0: no clipping, official)")
      .check_non_negative();
  schema.add("train.checkpoint_every", checkpoint_every,
             "optimiser steps between checkpoints (0: only when stopped by a signal)")
      .check_non_negative();
  schema.add("train.validate_every", validate_every,
             "optimiser steps between validations (0: before and after training only)")
      .check_non_negative();
  schema.add("train.log_every", log_every, "steps between progress lines on stderr")
      .check_positive();
  schema.add("train.autocast", autocast,
             "mixed precision on CUDA: none, bf16 or fp16 (weights and optimiser stay float32)")
      .one_of({"none", "bf16", "fp16"});
  schema.add("train.loss_scale", loss_scale,
             "multiply the loss by this and divide the gradients back, skipping steps whose "
             "gradients overflow: a positive number (fixed) or dynamic (GradScaler: 65536, "
             "halved on overflow, doubled after 2000 finite steps); for fp16")
      .check(
          [](const std::string& v) {
            try {
              LossScaler::parse(v);
              return true;
            } catch (const Error&) {
              return false;
            }
          },
          "dynamic or a positive number");
  schema.add("train.checkpoint_dir", checkpoint_dir,
             "checkpoint folder (model, training state, log) to resume from; default "
             "checkpoint/ beside the result")
      .flag("--checkpoint-dir");
  schema.add("train.resume", resume, "continue the run saved in this checkpoint folder")
      .flag("--resume");
}

double gradient_norm(const NamedParameters& parameters) {
  double squares = 0;
  for (const auto& item : parameters) {
    const at::Tensor& grad = item.value().grad();
    if (grad.defined()) squares += grad.detach().to(at::kDouble).pow(2).sum().item<double>();
  }
  return std::sqrt(squares);
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The loop's state between steps, and what it has measured.
struct LoopRun {
  TrainingTask& task;
  const TrainLoopOptions& options;
  DataParallel& parallel;
  const TrainLoopPaths& paths;
  TrainingState state;
  StepLog log;
  TrainLoopOutcome outcome;
  std::vector<std::size_t> order;  // the current epoch's
  int64_t order_epoch = -1;
  AutocastMode autocast = AutocastMode::None;
  LossScaler scaler = LossScaler::fixed(1);
};

const std::vector<std::size_t>& epoch_rows(LoopRun& run) {
  if (run.order_epoch != run.state.epoch) {
    run.order = epoch_order(run.task.examples(), run.state.order_seed, run.state.epoch,
                            run.options.shuffle);
    run.order_epoch = run.state.epoch;
  }
  return run.order;
}

// The series the loss curve draws: every loss term the task reports (each task names its
// own), in the order of the log, then the gradient norm; the loop's bookkeeping is left out.
std::vector<std::string> curve_series(const StepLog& log) {
  static const std::set<std::string> bookkeeping = {"step", "epoch", "rows", "lr", "step_s",
                                                    "skipped", "grad_norm", "loss_scale"};
  std::vector<std::string> series;
  for (const auto& record : log.records()) {
    for (const auto& [key, value] : record.items()) {
      if (value.is_number() && bookkeeping.count(key) == 0 &&
          std::find(series.begin(), series.end(), key) == series.end()) {
        series.push_back(key);
      }
    }
  }
  series.push_back("grad_norm");
  return series;
}

void write_log_files(const LoopRun& run) {
  run.log.write(run.paths.log);
  if (!run.paths.curve.empty()) {
    write_loss_curve_svg(run.paths.curve, run.log, curve_series(run.log),
                         "training loss per step");
  }
}

// A checkpoint to resume from: the task's folder plus the training state and the log so far.
void save_checkpoint(LoopRun& run) {
  if (run.parallel.is_main()) {
    run.state.rng = capture_rng_states();
    if (run.scaler.is_dynamic()) {
      run.state.loss_scale = run.scaler.scale();
      run.state.loss_scale_growth_tracker = run.scaler.growth_tracker();
    }
    run.task.save(run.paths.checkpoint_dir, false, [&](const fs::path& folder) {
      save_training_state(folder, run.state, run.task.optimizer(),
                          run.task.trained_parameters());
      run.log.write(folder / kStepLogFile);
    });
    write_log_files(run);
    spdlog::info("saved step {} to {}", run.state.global_step, run.paths.checkpoint_dir.string());
  }
  run.parallel.barrier();
}

// Validation metrics go into the step log as {"step": s, "validation": {...}}, so a resumed
// run's log still holds the ones before the interruption.
void validate(LoopRun& run) {
  json metrics = run.task.validate();
  if (metrics.is_null()) return;
  if (run.parallel.is_main()) {
    spdlog::info("validation at step {}: {}", run.state.global_step, metrics.dump());
  }
  run.log.add({{"step", run.state.global_step}, {"validation", std::move(metrics)}});
}

json validation_records(const StepLog& log) {
  json records = json::array();
  for (const auto& record : log.records()) {
    if (!record.contains("validation")) continue;
    json entry = {{"step", record["step"]}};
    for (const auto& [key, value] : record["validation"].items()) entry[key] = value;
    records.push_back(std::move(entry));
  }
  return records;
}

// The examples of this rank for the next step, split into micro-batches.
std::vector<std::vector<std::size_t>> next_micro_batches(LoopRun& run, std::size_t& rows) {
  const auto& order = epoch_rows(run);
  const auto world = static_cast<std::size_t>(run.parallel.world_size());
  const auto micro = static_cast<std::size_t>(run.options.batch_size);
  const std::size_t global = micro * static_cast<std::size_t>(run.options.accumulation) * world;
  const auto begin = static_cast<std::size_t>(run.state.epoch_position);
  const std::size_t end = std::min(order.size(), begin + global);
  rows = end - begin;
  const std::vector<std::size_t> step_rows(order.begin() + static_cast<std::ptrdiff_t>(begin),
                                           order.begin() + static_cast<std::ptrdiff_t>(end));
  const std::vector<std::size_t> share = rank_share(step_rows, run.parallel.rank(),
                                                    static_cast<int>(world));
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t i = 0; i < share.size(); i += micro) {
    batches.emplace_back(share.begin() + static_cast<std::ptrdiff_t>(i),
                         share.begin() + static_cast<std::ptrdiff_t>(std::min(share.size(), i + micro)));
  }
  return batches;
}

// Forward and backward over this rank's micro-batches; the loss terms weighted by their sizes.
LossTerms accumulate_step(LoopRun& run, const std::vector<std::vector<std::size_t>>& batches,
                          double& data_s) {
  std::size_t share = 0;
  for (const auto& batch : batches) share += batch.size();
  LossTerms terms;
  run.task.begin_step(run.state.epoch, run.state.global_step + 1);
  run.task.zero_grad();
  for (const auto& batch : batches) {
    const double weight = static_cast<double>(batch.size()) / static_cast<double>(share);
    MicroBatchResult result;
    {
      AutocastScope autocast(run.autocast);
      result = run.task.accumulate(batch, weight * run.scaler.scale());
    }
    data_s += result.data_s;
    if (terms.empty()) {
      for (auto& [name, value] : result.terms) terms.emplace_back(name, 0.0);
    }
    for (std::size_t i = 0; i < terms.size() && i < result.terms.size(); ++i) {
      terms[i].second += weight * result.terms[i].second;
    }
  }
  return terms;
}

json step_record(const LoopRun& run, const LossTerms& terms, std::size_t rows, double grad_norm,
                 double step_s) {
  json record = {{"step", run.state.global_step}, {"epoch", run.state.epoch}, {"rows", rows}};
  for (const auto& [name, value] : terms) record[name] = value;
  const auto& groups = run.task.optimizer().param_groups();
  record["lr"] = groups.empty() ? 0.0 : groups.front().options().get_lr();
  record["grad_norm"] = grad_norm;
  record["step_s"] = step_s;
  return record;
}

// Divides the gradients by the loss scale; false when one is not finite (the step is then
// skipped: an fp16 overflow). Without loss scaling every step is applied. The scaler records
// the outcome (a dynamic scale backs off or grows).
bool unscale_gradients(LoopRun& run, const NamedParameters& parameters) {
  if (!run.scaler.checks_overflow()) return true;
  bool finite = true;
  for (const auto& item : parameters) {
    at::Tensor grad = item.value().grad();
    if (!grad.defined()) continue;
    grad.div_(run.scaler.scale());
    finite = finite && grad.isfinite().all().item<bool>();
  }
  return run.scaler.update(finite);
}

// One optimiser step over the next global batch.
void train_step(LoopRun& run) {
  const Clock::time_point start = Clock::now();
  std::size_t rows = 0;
  const auto batches = next_micro_batches(run, rows);
  double data_s = 0;
  LossTerms terms = accumulate_step(run, batches, data_s);
  const double forward_backward_s = seconds_since(start);

  const Clock::time_point exchange = Clock::now();
  NamedParameters parameters = run.task.trained_parameters();
  run.parallel.average_gradients(parameters.values());
  for (auto& term : terms) term.second = run.parallel.all_reduce_mean(term.second);
  run.outcome.communication_s += seconds_since(exchange);

  const Clock::time_point update = Clock::now();
  const double scale = run.scaler.scale();
  const bool applied = unscale_gradients(run, parameters);
  const double norm =
      applied && run.options.clip_grad_norm > 0
          ? torch::nn::utils::clip_grad_norm_(parameters.values(), run.options.clip_grad_norm)
          : gradient_norm(parameters);
  if (applied) run.task.optimizer().step();
  run.outcome.optimizer_s += seconds_since(update);
  run.outcome.forward_backward_s += forward_backward_s - data_s;
  run.outcome.data_s += data_s;

  ++run.state.global_step;
  ++run.outcome.steps_this_run;
  run.state.epoch_position += static_cast<int64_t>(rows);
  if (run.state.epoch_position >= static_cast<int64_t>(run.task.examples())) {
    ++run.state.epoch;
    run.state.epoch_position = 0;
    run.task.end_epoch(run.state.epoch, run.options.epochs);
  }
  json record = step_record(run, terms, rows, norm, seconds_since(start));
  if (run.scaler.is_dynamic()) record["loss_scale"] = scale;  // the scale this step ran with
  if (!applied) {
    record["skipped"] = true;
    ++run.outcome.skipped_steps;
    spdlog::warn("step {}: the gradients overflowed at loss scale {}; the step was skipped{}",
                 run.state.global_step, scale,
                 run.scaler.is_dynamic() ? fmt::format(" (scale now {})", run.scaler.scale())
                                         : std::string());
  }
  if (run.parallel.is_main() && run.state.global_step % run.options.log_every == 0) {
    spdlog::info("step {} (epoch {}): loss {:.6f}, grad norm {:.4g}, {:.2f} s", record["step"].get<int64_t>(),
                 record["epoch"].get<int64_t>(), terms.empty() ? NAN : terms.front().second, norm,
                 record["step_s"].get<double>());
  }
  run.log.add(std::move(record));
}

bool finished(const LoopRun& run) {
  if (run.options.max_steps > 0 && run.state.global_step >= run.options.max_steps) return true;
  return run.state.epoch >= run.options.epochs;
}

bool every(int64_t step, int64_t period) { return period > 0 && step % period == 0; }

// Whether any rank was asked to stop (all ranks must agree, so they all save and leave).
bool stop_agreed(DataParallel& parallel) {
  return parallel.all_reduce_mean(stop_requested() ? 1.0 : 0.0) > 0;
}

void resume(LoopRun& run) {
  run.state = load_training_state(run.options.resume, run.task.optimizer(),
                                  run.task.trained_parameters());
  restore_rng_states(run.state.rng);
  if (run.scaler.is_dynamic() && run.state.loss_scale > 0) {
    run.scaler.restore(run.state.loss_scale, run.state.loss_scale_growth_tracker);
  }
  if (run.state.order_seed != static_cast<uint64_t>(run.options.seed)) {
    throw usage_error("{} was trained with train.seed {}, not {}: resume with the same seed",
                      run.options.resume.string(), run.state.order_seed, run.options.seed);
  }
  run.log = StepLog::read(run.options.resume / kStepLogFile, run.state.global_step);
  run.outcome.resumed_from = run.state.global_step;
  spdlog::info("resuming {} at step {} (epoch {}, {} rows into it)", run.options.resume.string(),
               run.state.global_step, run.state.epoch, run.state.epoch_position);
}

}  // namespace

TrainLoopOutcome run_training_loop(TrainingTask& task, const TrainLoopOptions& options,
                                   DataParallel& parallel, const TrainLoopPaths& paths) {
  if (task.examples() == 0) throw runtime_error("training: no examples");
  LoopRun run{task, options, parallel, paths, {}, {}, {}, {}, -1};
  run.state.order_seed = static_cast<uint64_t>(options.seed);
  run.scaler = LossScaler::parse(options.loss_scale);
  const NamedParameters trained = task.trained_parameters();
  run.autocast = parse_autocast(options.autocast, trained.is_empty()
                                                      ? c10::Device(c10::kCPU)
                                                      : trained.front().value().device());
  if (!options.resume.empty()) resume(run);
  parallel.broadcast(task.trained_parameters().values());
  install_stop_signals();

  const Clock::time_point start = Clock::now();
  if (run.outcome.resumed_from < 0) validate(run);
  while (!finished(run)) {
    train_step(run);
    const int64_t step = run.state.global_step;
    if (every(step, options.validate_every) && !finished(run)) validate(run);
    if (stop_agreed(parallel)) {
      save_checkpoint(run);
      throw stopped_error(fmt::format("saved step {} to {}; run the same command again with "
                                      "--resume {} to go on",
                                      step, paths.checkpoint_dir.string(),
                                      paths.checkpoint_dir.string()));
    }
    if (every(step, options.checkpoint_every) && !finished(run)) save_checkpoint(run);
  }
  run.outcome.train_s = seconds_since(start);
  validate(run);
  if (parallel.is_main()) {
    task.save(paths.final_dir, true, [](const fs::path&) {});
    write_log_files(run);
  }
  parallel.barrier();
  run.outcome.steps = run.state.global_step;
  run.outcome.validation = validation_records(run.log);
  return run.outcome;
}

}  // namespace hc
