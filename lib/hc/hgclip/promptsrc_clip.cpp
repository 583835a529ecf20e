#include "hc/hgclip/promptsrc_clip.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "hc/core/error.h"
#include "hc/hgclip/hierarchical_loss.h"
#include "hc/model/named_tensor_copy.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {

namespace {

constexpr const char* kGpaPrefix = "gpa.";

void check_sizes(const ClipConfig& config, const HgclipOptions& options) {
  if (options.vision_depth > config.vision.num_layers) {
    throw usage_error("hgclip.vision_depth {} exceeds the vision tower's {} layers",
                      options.vision_depth, config.vision.num_layers);
  }
  if (options.language_depth > config.text.num_layers) {
    throw usage_error("hgclip.language_depth {} exceeds the text tower's {} layers",
                      options.language_depth, config.text.num_layers);
  }
}

std::string fill_template(const std::string& pattern, std::string name) {
  std::replace(name.begin(), name.end(), '_', ' ');
  const std::size_t at = pattern.find("{}");
  return pattern.substr(0, at) + name + pattern.substr(at + 2);
}

// The frozen CLIP's class text features: the mean over templates of the plain (unnormalised)
// text features, then normalised, as the official fixed_embeddings.
at::Tensor template_text_features(const ClipModelImpl& clip, const ClipTokenizer& tokenizer,
                                  const std::vector<std::string>& classes) {
  torch::NoGradGuard no_grad;
  const int64_t length = clip.config().text.max_positions;
  at::Tensor sum;
  for (const std::string& pattern : promptsrc_templates()) {
    std::vector<std::string> texts;
    for (const std::string& name : classes) texts.push_back(fill_template(pattern, name));
    const TokenBatch batch =
        tokenizer.batch(texts, static_cast<int>(length), /*truncate=*/false, /*pad_id=*/0);
    const at::Tensor ids = at::tensor(batch.ids, at::TensorOptions().dtype(at::kLong))
                               .view({batch.rows, length})
                               .to(clip.device());
    const at::Tensor features = clip.encode_text(ids).text_embeds;
    sum = sum.defined() ? sum + features : features;
  }
  const at::Tensor mean = sum / static_cast<double>(promptsrc_templates().size());
  return mean / mean.norm(2, -1, true);
}

at::Tensor normalized(const at::Tensor& x) { return x / x.norm(2, -1, true); }

}  // namespace

const std::vector<std::string>& promptsrc_templates() {
  static const std::vector<std::string> templates = {
      "a photo of a {}.", "a bad photo of a {}.", "a photo of many {}.",
      "a sculpture of a {}.", "a photo of the hard to see {}.",
      "a low resolution photo of the {}.", "a rendering of a {}.", "graffiti of a {}.",
      "a bad photo of the {}.", "a cropped photo of the {}.", "a tattoo of a {}.",
      "the embroidered {}.", "a photo of a hard to see {}.", "a bright photo of a {}.",
      "a photo of a clean {}.", "a photo of a dirty {}.", "a dark photo of the {}.",
      "a drawing of a {}.", "a photo of my {}.", "the plastic {}.", "a photo of the cool {}.",
      "a close-up photo of a {}.", "a black and white photo of the {}.",
      "a painting of the {}.", "a painting of a {}.", "a pixelated photo of the {}.",
      "a sculpture of the {}.", "a bright photo of the {}.", "a cropped photo of a {}.",
      "a plastic {}.", "a photo of the dirty {}.", "a jpeg corrupted photo of a {}.",
      "a blurry photo of the {}.", "a photo of the {}.", "a good photo of the {}.",
      "a rendering of the {}.", "a {} in a video game.", "a photo of one {}.",
      "a doodle of a {}.", "a close-up photo of the {}.", "the origami {}.",
      "the {} in a video game.", "a sketch of a {}.", "a doodle of the {}.", "a origami {}.",
      "a low resolution photo of a {}.", "the toy {}.", "a rendition of the {}.",
      "a photo of the clean {}.", "a photo of a large {}.", "a rendition of a {}.",
      "a photo of a nice {}.", "a photo of a weird {}.", "a blurry photo of a {}.",
      "a cartoon {}.", "art of a {}.", "a sketch of the {}.", "a embroidered {}.",
      "a pixelated photo of a {}.", "itap of the {}."};
  return templates;
}

std::vector<double> gpa_weights(int64_t epochs, double mean, double std) {
  if (epochs < 1) throw usage_error("Gaussian prompt aggregation needs at least one epoch");
  if (!(std > 0)) throw usage_error("hgclip.gpa_std must be positive, got {}", std);
  // The pdf's constant factor cancels in the normalisation; subtracting the largest exponent
  // keeps every weight representable.
  std::vector<double> exponents;
  for (int64_t e = 1; e <= epochs; ++e) {
    const double z = (static_cast<double>(e) - mean) / std;
    exponents.push_back(-0.5 * z * z);
  }
  const double top = *std::max_element(exponents.begin(), exponents.end());
  std::vector<double> weights;
  double total = 0;
  for (double exponent : exponents) {
    weights.push_back(std::exp(exponent - top));
    total += weights.back();
  }
  for (double& weight : weights) weight /= total;
  return weights;
}

PromptSrcClipImpl::PromptSrcClipImpl(ClipModel clip_model, const ClipTokenizer& tokenizer,
                                     const ClassHierarchy& hierarchy,
                                     const HgclipOptions& options)
    : options_(options), level_sizes_(hierarchy.level_sizes()) {
  const ClipConfig& config = clip_model->config();
  check_sizes(config, options);
  const auto clip_options =
      at::TensorOptions().device(clip_model->device()).dtype(clip_model->dtype());
  clip = register_module("clip", std::move(clip_model));
  for (at::Tensor& param : clip->parameters()) param.requires_grad_(false);

  at::Generator generator =
      at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(options.seed));
  prompt_learner = register_module(
      "prompt_learner", TextPromptLearner(*clip->text_model, tokenizer, hierarchy.all_classes(),
                                          options.n_ctx, options.ctx_init, generator));
  image_prompts = register_module(
      "image_encoder", DeepPrompts(PromptTower::Vision, options.vision_depth, options.vision_ctx,
                                   config.vision.hidden_size, clip_options));
  text_prompts = register_module(
      "text_encoder", DeepPrompts(PromptTower::Text, options.language_depth,
                                  options.language_ctx, config.text.hidden_size, clip_options));
  image_prompts->reset_parameters(generator);
  text_prompts->reset_parameters(generator);
  fixed_text_ = template_text_features(*clip, tokenizer, hierarchy.all_classes());
  for (const auto& [name, param] : learnable_parameters()) {
    gpa_sum_.push_back(at::zeros(param.sizes(), param.options().dtype(at::kFloat)));
  }
}

PromptSrcOutput PromptSrcClipImpl::forward(const at::Tensor& pixel_values) const {
  const bool fp16 = options_.fp16_prompts;
  PromptSrcOutput out;
  const ClipTextFeatures text = clip->encode_text_embeddings(
      prompt_learner->forward(), prompt_learner->eot_index, /*attention_mask=*/{},
      text_prompts->hooks(fp16));
  out.text_features = normalized(text.text_embeds);
  out.image_features =
      normalized(clip->encode_image(pixel_values, image_prompts->hooks(fp16)).image_embeds);
  const at::Tensor scale = clip->logit_scale.exp();
  out.logits = at::matmul(scale * out.image_features, out.text_features.t());
  if (at::GradMode::is_enabled()) {
    out.fixed_text_features = fixed_text_.to(out.text_features.scalar_type());
    torch::NoGradGuard no_grad;  // the frozen CLIP's side
    out.zero_shot_features = normalized(clip->encode_image(pixel_values).image_embeds);
    out.zero_shot_logits =
        at::matmul(scale * out.zero_shot_features, out.fixed_text_features.t());
  }
  last_ = out;
  return out;
}

std::vector<std::pair<std::string, at::Tensor>> PromptSrcClipImpl::promptsrc_losses() const {
  if (!last_.zero_shot_logits.defined()) return {};
  const at::Tensor text = (last_.text_features - last_.fixed_text_features).abs().mean() *
                          options_.promptsrc_text_weight;
  const at::Tensor image = (last_.image_features - last_.zero_shot_features).abs().mean() *
                           options_.promptsrc_image_weight;
  const std::vector<at::Tensor> prompted = split_level_logits(last_.logits, level_sizes_);
  const std::vector<at::Tensor> frozen = split_level_logits(last_.zero_shot_logits, level_sizes_);
  at::Tensor logits_term;
  for (std::size_t l = 0; l < prompted.size(); ++l) {
    const at::Tensor log_p = at::log_softmax(prompted[l], -1);
    const at::Tensor log_p0 = at::log_softmax(frozen[l], -1);
    const at::Tensor kl = (log_p0.exp() * (log_p0 - log_p)).sum() /
                          static_cast<double>(prompted[l].numel());
    logits_term = logits_term.defined() ? logits_term + kl : kl;
  }
  logits_term = logits_term / static_cast<double>(prompted.size());
  return {{"scl_text", text}, {"scl_image", image}, {"scl_logits", logits_term}};
}

void PromptSrcClipImpl::end_epoch(int64_t epoch, int64_t epochs) {
  if (epoch < 1 || epoch > epochs) {
    throw runtime_error("PromptSRC: epoch {} ended of {} epochs", epoch, epochs);
  }
  const double weight =
      gpa_weights(epochs, options_.gpa_mean, options_.gpa_std)[static_cast<std::size_t>(epoch - 1)];
  const auto params = learnable_parameters();
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < params.size(); ++i) {
    gpa_sum_[i].add_(params[i].second.to(gpa_sum_[i].scalar_type()), weight);
  }
  if (epoch != epochs) return;
  for (std::size_t i = 0; i < params.size(); ++i) params[i].second.copy_(gpa_sum_[i]);
}

std::vector<std::pair<std::string, at::Tensor>> PromptSrcClipImpl::gpa_state() const {
  std::vector<std::pair<std::string, at::Tensor>> state;
  const auto params = learnable_parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    state.emplace_back(kGpaPrefix + params[i].first, gpa_sum_[i]);
  }
  return state;
}

void PromptSrcClipImpl::load_gpa_state(const std::map<std::string, at::Tensor>& values,
                                       const std::string& source) {
  copy_named_tensors(gpa_state(), values, "Gaussian prompt aggregation sums", source);
}

std::vector<std::pair<std::string, at::Tensor>> PromptSrcClipImpl::learnable_parameters() const {
  return parameters_outside(*this, "clip");
}

void PromptSrcClipImpl::load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                                  const std::string& source) {
  copy_named_tensors(learnable_parameters(), values, "prompt parameters", source);
}

}  // namespace hc
