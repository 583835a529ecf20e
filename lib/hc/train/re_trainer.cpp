#include "hc/train/re_trainer.h"

#include <utility>

#include <torch/optim/adamw.h>
#include <torch/utils.h>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/train/padded_tokens.h"
#include "hc/train/re_text_batch.h"

namespace hc {

bool is_re_trained_parameter(const std::string& name) {
  return name.rfind("text_model.", 0) == 0 || name == "text_projection.weight";
}

void ReTrainerOptions::declare(ConfigSchema& schema) {
  schema.add("optimizer.lr", learning_rate, "AdamW learning rate (train.py's default 1e-7)")
      .check_positive();
  schema.add("optimizer.betas", betas, "AdamW betas [beta1, beta2]")
      .check_range(0, 1)
      .check([](const std::vector<double>& b) { return b.size() == 2 && b[0] < 1 && b[1] < 1; },
             "two numbers in [0, 1)");
  schema.add("optimizer.eps", eps, "AdamW epsilon").check_positive();
  schema.add("optimizer.weight_decay", weight_decay,
             "AdamW decoupled weight decay, on every trained tensor")
      .check_non_negative();
  schema.add("train.max_length", max_length, "texts are cut to this many token ids (with ends)")
      .check_range(2, 1 << 20);
  schema.add("train.root_gradient", root_gradient,
             "let the loss's gradient reach the text tower through the root (official)");
  loss.declare(schema, "loss");
}

void ReTrainerOptions::validate() const {
  if (!(learning_rate > 0) || !(eps > 0) || weight_decay < 0) {
    throw usage_error("optimizer: lr {}, eps {}, weight_decay {}: expected lr > 0, eps > 0, "
                      "weight_decay >= 0",
                      learning_rate, eps, weight_decay);
  }
  if (betas.size() != 2 || betas[0] < 0 || betas[0] >= 1 || betas[1] < 0 || betas[1] >= 1) {
    throw usage_error("optimizer.betas: expected two numbers in [0, 1)");
  }
  if (max_length < 2) {
    throw usage_error("train.max_length {}: expected at least 2", max_length);
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
  std::unique_ptr<torch::optim::AdamW> optimizer;
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
  std::vector<at::Tensor> trained;
  for (auto& item : s.model->named_parameters()) {
    const bool train = is_re_trained_parameter(item.key());
    item.value().set_requires_grad(train);
    if (!train) continue;
    s.trained_names.push_back(item.key());
    trained.push_back(item.value());
  }
  const ReTrainerOptions& o = s.options;
  s.optimizer = std::make_unique<torch::optim::AdamW>(
      trained, torch::optim::AdamWOptions(o.learning_rate)
                   .betas({o.betas[0], o.betas[1]})
                   .eps(o.eps)
                   .weight_decay(o.weight_decay)
                   .amsgrad(false));
}

ReTrainer::~ReTrainer() = default;
ReTrainer::ReTrainer(ReTrainer&&) noexcept = default;
ReTrainer& ReTrainer::operator=(ReTrainer&&) noexcept = default;

ReStep ReTrainer::compute_gradients(const ReTextBatch& batch) {
  State& s = *state_;
  s.optimizer->zero_grad();
  const PaddedTokens empty = pad_to_longest(s.tokenizer, {""}, s.options.max_length, s.pad_id);
  const PaddedTokens tokens =
      pad_to_longest(s.tokenizer, batch.texts, s.options.max_length, s.pad_id);

  at::Tensor root = s.embed(s.model, empty)[0];
  if (!s.options.root_gradient) root = root.detach();
  at::Tensor text = s.embed(s.model, tokens);
  at::Tensor original;
  if (s.options.loss.lambda_p != 0) {
    torch::NoGradGuard no_grad;
    original = s.embed(s.original, tokens);
  }
  ReLoss loss = re_loss(text, original, root, s.options.loss);
  loss.total.backward();

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

ClipModel& ReTrainer::model() { return state_->model; }

torch::optim::AdamW& ReTrainer::optimizer() { return *state_->optimizer; }

int64_t ReTrainer::steps_taken() const { return state_->steps; }

}  // namespace hc
