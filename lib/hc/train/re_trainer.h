#pragma once
// One optimiser step of Radial Embedding fine-tuning, as the official HierarCaps train.py
// takes it (docs/hc-finetune.md):
//   1. zero the gradients;
//   2. root = the model's embedding of "" (ids [BOS, EOS]), normalised, recomputed from the
//      current weights, its gradient flowing into the text tower;
//   3. the batch's texts (re_text_batch.h) tokenised and padded to their longest (padded_tokens.h),
//      embedded and normalised by the model being trained, and by the frozen original model
//      (no gradient) for the pullback term;
//   4. re_loss (re_loss.h), backward;
//   5. torch::optim::AdamW over the trained tensors: every `text_model.*` parameter and
//      `text_projection.weight`; the vision tower, visual_projection and logit_scale stay frozen.
// Master weights are the model's own, float32 (float64 accepted for checks).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "hc/model/clip_model.h"
#include "hc/train/optimizer_options.h"
#include "hc/train/clip_objective_loss.h"
#include "hc/train/re_loss.h"

namespace hc {

class ClipTokenizer;
class ConfigSchema;
struct ReTextBatch;

// Where the root of the loss comes from.
enum class TrainedRoot {
  Model,    // the model's embedding of "" every step (official); its gradient reaches the model
  Fixed,    // a given vector (origin, training-set mean, the original "" embedding), normalised
  Learned,  // a free vector trained alone, initialised at a given value; the model is frozen
};

struct ReTrainerOptions {
  // torch.optim.AdamW, PyTorch's defaults; lr is train.py's default.
  OptimizerOptions optimizer{1e-7};
  int max_length = 77;  // texts are cut to this many ids, start and end included
  // false detaches the root (still recomputed every step): no gradient reaches the text tower
  // through it. The official code lets it flow.
  bool root_gradient = true;
  TrainedRoot root = TrainedRoot::Model;
  at::Tensor root_value;  // Fixed: the root; Learned: its initial value ([D], any dtype)
  ReLossOptions loss;

  // Keys optimizer.* (OptimizerOptions), train.max_length, train.root_gradient and the loss.*
  // keys of ReLossOptions.
  void declare(ConfigSchema& schema);
  void validate() const;  // the same checks for options built in code (usage hc::Error)
};

// What a step computed; tensors detached, on the model's device.
struct ReStep {
  int64_t step = 0;           // optimiser steps taken once this one is applied (1-based)
  ReLoss loss;                // every term, P, N and the hard-mining indices
  at::Tensor input_ids;       // [texts, L] int64 on the CPU
  at::Tensor attention_mask;  // [texts, L] int64 on the CPU
  at::Tensor root;            // [P] unit root
  at::Tensor text;            // [texts, P] unit embeddings of the model being trained
  at::Tensor original;        // [texts, P] unit embeddings of the original model (undefined
                              // when lambda_p is 0)
};

// What a step of loss.objective clip computed; tensors detached, on the model's device.
struct ClipObjectiveStep {
  ClipObjectiveLoss loss;
  at::Tensor text;      // [n, P] unit caption embeddings of the model being trained
  at::Tensor original;  // [n, P] of the original model (undefined when lambda_p is 0)
};

class ReTrainer {
 public:
  // model: the model to train, float32 or float64 (an hc::Error otherwise); switched to train
  // mode, its trained tensors set to require gradients and the rest not (none with
  // TrainedRoot::Learned). original: the frozen
  // copy for the pullback term (eval mode, no gradients), on model's device; may be null when
  // loss.lambda_p is 0. pad_id: the checkpoint's pad token (checkpoint_pad_id).
  ReTrainer(ClipModel model, ClipModel original, ClipTokenizer tokenizer, int32_t pad_id,
            ReTrainerOptions options);
  ~ReTrainer();
  ReTrainer(ReTrainer&&) noexcept;
  ReTrainer& operator=(ReTrainer&&) noexcept;

  // Steps 1-4: zero_grad, forward, loss, backward. The gradients stay on the parameters.
  ReStep compute_gradients(const ReTextBatch& batch);
  // Gradient accumulation: zero_grad once, then accumulate(batch, scale) for each micro-batch
  // adds the gradients of scale * loss (the returned losses are unscaled).
  void zero_grad();
  ReStep accumulate(const ReTextBatch& batch, double scale);
  // loss.objective clip: captions[i] is paired with images[i] ([n, P] unit embeddings of the
  // frozen vision tower, any device); adds the gradients of scale * clip_objective_loss, with
  // the model's logit_scale (frozen) as the temperature.
  ClipObjectiveStep accumulate_clip(const std::vector<std::string>& captions,
                                    const at::Tensor& images, double scale);
  // Step 5: the AdamW update from the current gradients.
  void apply_update();
  // compute_gradients then apply_update.
  ReStep step(const ReTextBatch& batch);

  // HF names of the trained tensors, in the model's parameter order ("root" alone with
  // TrainedRoot::Learned).
  const std::vector<std::string>& trained_parameter_names() const;
  // name -> tensor of what the optimiser updates (the learned root as "root").
  NamedParameters trained_parameters() const;
  // The root the loss uses now, unit length, detached.
  at::Tensor current_root();
  ClipModel& model();
  const ReTrainerOptions& options() const;
  // For saving and restoring its state (moments and step counts).
  torch::optim::Optimizer& optimizer();
  int64_t steps_taken() const;
  void set_steps_taken(int64_t steps);  // after restoring a saved optimiser state

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Whether train.py trains the parameter of this HF name: text_model.* and text_projection.weight.
bool is_re_trained_parameter(const std::string& name);

}  // namespace hc
