#pragma once
// The loop every training tool shares, knowing nothing of the model or the loss: epochs over a
// seeded order of the examples, batches (gradient accumulation, a share per data-parallel rank),
// the optimiser step with optional gradient clipping, the per-step log (step_log.h) and loss
// curve (loss_curve.h), validation and checkpoints at a cadence, and stopping cleanly on
// SIGTERM / SIGINT: a checkpoint is saved, and running the same command with --resume on it
// continues to the same weights as a run that never stopped.
//
// A tool supplies a TrainingTask (the model, the loss and the files of its checkpoints) and
// calls run_training_loop. With W data-parallel ranks, one step takes a global batch of
// batch_size * accumulation * W examples of the epoch order; rank r takes entries r, r+W, ...
// (rank_share), in micro-batches of batch_size; gradients are averaged over ranks before the
// step; only the main rank writes files.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/train/training_state.h"

namespace hc {

class ConfigSchema;
class DataParallel;
class StepLog;

struct TrainLoopOptions {
  int64_t epochs = 1;
  int64_t batch_size = 8;       // examples per micro-batch and rank
  int64_t accumulation = 1;     // micro-batches per optimiser step
  int64_t max_steps = 0;        // stop after this many optimiser steps (0: all epochs)
  int64_t seed = 0;             // the epochs' data orders (data_order.h)
  bool shuffle = true;
  double clip_grad_norm = 0;    // clip the gradients' total L2 norm to this (0: no clipping)
  int64_t checkpoint_every = 0; // steps between checkpoints (0: only on a stop signal)
  int64_t validate_every = 0;   // steps between validations (0: before and after only)
  int64_t log_every = 10;       // steps between progress lines on stderr
  std::string autocast = "none";  // none, bf16, fp16: mixed precision on CUDA (autocast.h)
  // The loss is multiplied by the scale, the gradients divided back, and a step whose
  // gradients overflow is skipped (fp16): a positive number (fixed; "1": no scaling) or
  // "dynamic" (GradScaler's growth and backoff, loss_scaler.h; its state is checkpointed).
  std::string loss_scale = "1";
  std::filesystem::path checkpoint_dir;  // where checkpoints go ("": the run folder's checkpoint/)
  std::filesystem::path resume;          // a checkpoint folder to continue from

  // Keys train.epochs, .batch_size, .accumulation, .max_steps, .seed, .shuffle,
  // .clip_grad_norm, .checkpoint_every, .validate_every, .log_every, .autocast, .loss_scale,
  // .checkpoint_dir, .resume (flags --epochs, --max-steps, --seed, --checkpoint-dir, --resume).
  void declare(ConfigSchema& schema);
};

// Loss terms of a step by name, "total" first; what the log records of them.
using LossTerms = std::vector<std::pair<std::string, double>>;

struct MicroBatchResult {
  LossTerms terms;     // unscaled
  double data_s = 0;   // time spent preparing the inputs (tokenising, reading), within the call
};

// What a tool trains. Every call happens on every rank.
class TrainingTask {
 public:
  virtual ~TrainingTask();
  virtual std::size_t examples() const = 0;
  virtual void zero_grad() = 0;
  // Called before each step's micro-batches with the epoch in progress and the step about to
  // run (1-based): for tasks whose per-epoch random draws are a function of the epoch (stateless,
  // so a resumed run draws the same).
  virtual void begin_step(int64_t /*epoch*/, int64_t /*step*/) {}
  // Forward and backward over the examples at these indices, adding the gradients of
  // scale * loss to the trained tensors.
  virtual MicroBatchResult accumulate(const std::vector<std::size_t>& indices, double scale) = 0;
  // name -> tensor of everything the optimiser updates.
  virtual NamedParameters trained_parameters() = 0;
  virtual torch::optim::Optimizer& optimizer() = 0;
  // Writes the task's checkpoint folder `dir` (replacing one there), calling write_more with
  // the temporary folder so the loop adds its own files. final: the run's result, not a
  // checkpoint to resume from.
  virtual void save(const std::filesystem::path& dir, bool final,
                    const std::function<void(const std::filesystem::path&)>& write_more) = 0;
  // Validation metrics (a JSON object), or null when the task has no validation.
  virtual nlohmann::ordered_json validate() { return nullptr; }
  // Called after the optimiser step that completes epoch `epoch` (1-based) of `epochs`, before
  // that step's checkpoint.
  virtual void end_epoch(int64_t /*epoch*/, int64_t /*epochs*/) {}
};

struct TrainLoopPaths {
  std::filesystem::path checkpoint_dir;  // periodic and stop checkpoints
  std::filesystem::path final_dir;       // the trained model
  std::filesystem::path log;             // the JSONL step log
  std::filesystem::path curve;           // the loss-curve SVG ("" = none)
};

struct TrainLoopOutcome {
  int64_t steps = 0;            // optimiser steps taken in all (resumed runs included)
  int64_t steps_this_run = 0;
  int64_t skipped_steps = 0;    // steps whose gradients overflowed (loss_scale), not applied
  int64_t resumed_from = -1;    // the step the run resumed from, -1 when it started fresh
  nlohmann::ordered_json validation = nlohmann::ordered_json::array();  // {step, metrics...}
  double train_s = 0;
  double forward_backward_s = 0, optimizer_s = 0, data_s = 0, communication_s = 0;
};

// Runs the loop. options.resume: loads the training state (optimiser, counters, random states)
// and the step log of that folder onto the task, whose model the tool has already loaded from
// it. A stop signal saves a checkpoint and throws stopped_error (exit 143 / 130).
TrainLoopOutcome run_training_loop(TrainingTask& task, const TrainLoopOptions& options,
                                   DataParallel& parallel, const TrainLoopPaths& paths);

// The total L2 norm of the trained tensors' gradients (undefined gradients count as zeros).
double gradient_norm(const NamedParameters& parameters);

}  // namespace hc
