#include "hc/train/re_trainer.h"

#include <utility>

#include <torch/optim/optimizer.h>
#include <torch/ordered_dict.h>
#include <torch/utils.h>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/train/padded_tokens.h"
#include "hc/train/re_text_batch.h"

namespace hc {

inline constexpr const char* kLearnedRootName = "root";

bool is_re_trained_parameter(const std::string& name) {
  return name.rfind("text_model.", 0) == 0 || name == "text_projection.weight";
}

void ReTrainerOptions::declare(ConfigSchema& schema) {
  optimizer.declare(schema, "optimizer");
  schema.add("train.max_length", max_length, "texts are cut to this many token ids (with ends)")
      .check_range(2, 1 << 20);
  schema.add("train.root_gradient", root_gradient,
             "let the loss's gradient reach the text tower through the root (official)");
  loss.declare(schema, "loss");
}

void ReTrainerOptions::validate() const {
  optimizer.validate();
  if (max_length < 2) {
    throw usage_error("train.max_length {}: expected at least 2", max_length);
  }
  if (root != TrainedRoot::Model && (!root_value.defined() || root_value.dim() != 1)) {
    throw runtime_error("ReTrainer: a fixed or learned root needs its vector [D]");
  }
  loss.validate();
}

struct ReTrainer::State {
  ClipModel model;
  ClipModel original;
  ClipTokenizer tokenizer;
  int32_t pad_id;
  ReTrainerOptions options;
  std::vector<std::string> trained_names;
  NamedParameters trained;
  at::Tensor root;  // Fixed / Learned: the vector (Learned: the trained leaf)
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  int64_t steps = 0;

  State(ClipModel m, ClipModel o, ClipTokenizer t, int32_t pad, ReTrainerOptions opts)
      : model(std::move(m)), original(std::move(o)), tokenizer(std::move(t)), pad_id(pad),
        options(std::move(opts)) {}

  // The model's normalised text embeddings of texts; the original model's under no_grad.
  at::Tensor embed(const ClipModel& which, const PaddedTokens& tokens) const {
    const at::Device device = which->device();
    return official_unit_rows(
        which->encode_text(tokens.input_ids.to(device), tokens.attention_mask.to(device))
            .text_embeds);
  }

  at::Tensor loss_root() const {
    if (options.root == TrainedRoot::Model) {
      const PaddedTokens empty = pad_to_longest(tokenizer, {""}, options.max_length, pad_id);
      at::Tensor r = embed(model, empty)[0];
      return options.root_gradient ? r : r.detach();
    }
    // A fixed or learned vector, unit length as every other root (hc::load_root normalises a
    // saved one the same way); the origin stays the origin.
    const at::Tensor norm = root.norm();
    return at::where(norm > 0, root / norm.clamp_min(1e-30), root);
  }
};

namespace {

void freeze(ClipModel& model) {
  model->eval();
  for (auto& parameter : model->parameters()) parameter.set_requires_grad(false);
}

}  // namespace

ReTrainer::ReTrainer(ClipModel model, ClipModel original, ClipTokenizer tokenizer,
                     int32_t pad_id, ReTrainerOptions options) {
  options.validate();
  if (!model) throw runtime_error("ReTrainer: no model to train");
  if (model->dtype() != at::kFloat && model->dtype() != at::kDouble) {
    throw usage_error("RE fine-tuning keeps float32 master weights: load the model in fp32 "
                      "(got {})",
                      c10::toString(model->dtype()));
  }
  if (options.loss.lambda_p != 0) {
    if (!original) {
      throw runtime_error("ReTrainer: the pullback term (loss.lambda_p {}) needs the original "
                          "model",
                          options.loss.lambda_p);
    }
    if (original->device() != model->device()) {
      throw runtime_error("ReTrainer: the original model is on {} but the trained one on {}",
                          original->device().str(), model->device().str());
    }
  }
  if (original) freeze(original);
  state_ = std::make_unique<State>(std::move(model), std::move(original), std::move(tokenizer),
                                   pad_id, std::move(options));
  State& s = *state_;
  s.model->train();
  const bool learn_root = s.options.root == TrainedRoot::Learned;
  for (auto& item : s.model->named_parameters()) {
    const bool train = !learn_root && is_re_trained_parameter(item.key());
    item.value().set_requires_grad(train);
    if (!train) continue;
    s.trained_names.push_back(item.key());
    s.trained.insert(item.key(), item.value());
  }
  if (s.options.root != TrainedRoot::Model) {
    s.root = s.options.root_value.detach()
                 .to(s.model->device(), s.model->dtype())
                 .clone()
                 .set_requires_grad(learn_root);
    s.options.root_value = at::Tensor();
  }
  if (learn_root) {
    s.trained_names.push_back(kLearnedRootName);
    s.trained.insert(kLearnedRootName, s.root);
  }
  s.optimizer = make_optimizer(s.options.optimizer, s.trained);
}

ReTrainer::~ReTrainer() = default;
ReTrainer::ReTrainer(ReTrainer&&) noexcept = default;
ReTrainer& ReTrainer::operator=(ReTrainer&&) noexcept = default;

void ReTrainer::zero_grad() { state_->optimizer->zero_grad(); }

ReStep ReTrainer::accumulate(const ReTextBatch& batch, double scale) {
  State& s = *state_;
  const PaddedTokens tokens =
      pad_to_longest(s.tokenizer, batch.texts, s.options.max_length, s.pad_id);

  at::Tensor root = s.loss_root();
  at::Tensor text = s.embed(s.model, tokens);
  at::Tensor original;
  if (s.options.loss.lambda_p != 0) {
    torch::NoGradGuard no_grad;
    original = s.embed(s.original, tokens);
  }
  ReLoss loss = re_loss(text, original, root, s.options.loss);
  if (loss.total.requires_grad()) (scale == 1.0 ? loss.total : loss.total * scale).backward();

  ReStep out;
  out.step = s.steps + 1;
  for (at::Tensor* t : {&loss.total, &loss.pullback, &loss.entailment, &loss.mining, &loss.P,
                        &loss.N}) {
    *t = t->detach();
  }
  out.loss = std::move(loss);
  out.input_ids = tokens.input_ids;
  out.attention_mask = tokens.attention_mask;
  out.root = root.detach();
  out.text = text.detach();
  out.original = original;
  return out;
}

ClipObjectiveStep ReTrainer::accumulate_clip(const std::vector<std::string>& captions,
                                             const at::Tensor& images, double scale) {
  State& s = *state_;
  const PaddedTokens tokens = pad_to_longest(s.tokenizer, captions, s.options.max_length, s.pad_id);
  at::Tensor text = s.embed(s.model, tokens);
  at::Tensor original;
  if (s.options.loss.lambda_p != 0) {
    torch::NoGradGuard no_grad;
    original = s.embed(s.original, tokens);
  }
  ClipObjectiveLoss loss = clip_objective_loss(text, images, s.model->logit_scale, original,
                                               s.options.loss.lambda_p);
  if (loss.total.requires_grad()) (scale == 1.0 ? loss.total : loss.total * scale).backward();
  for (at::Tensor* t : {&loss.total, &loss.contrastive, &loss.pullback}) *t = t->detach();
  return {std::move(loss), text.detach(), original};
}

ReStep ReTrainer::compute_gradients(const ReTextBatch& batch) {
  zero_grad();
  return accumulate(batch, 1.0);
}

void ReTrainer::apply_update() {
  state_->optimizer->step();
  ++state_->steps;
}

ReStep ReTrainer::step(const ReTextBatch& batch) {
  ReStep out = compute_gradients(batch);
  apply_update();
  return out;
}

const std::vector<std::string>& ReTrainer::trained_parameter_names() const {
  return state_->trained_names;
}

NamedParameters ReTrainer::trained_parameters() const { return state_->trained; }

at::Tensor ReTrainer::current_root() {
  torch::NoGradGuard no_grad;
  return state_->loss_root().detach();
}

ClipModel& ReTrainer::model() { return state_->model; }

const ReTrainerOptions& ReTrainer::options() const { return state_->options; }

torch::optim::Optimizer& ReTrainer::optimizer() { return *state_->optimizer; }

int64_t ReTrainer::steps_taken() const { return state_->steps; }

void ReTrainer::set_steps_taken(int64_t steps) { state_->steps = steps; }

}  // namespace hc
