#include "hc/model/clip_model.h"

#include <cmath>
#include <map>
#include <mutex>
#include <string>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/version.h>

#include "hc/core/error.h"
#include "hc/core/large_allocations.h"
#include "hc/core/strings.h"
#include "hc/tensor/device.h"

namespace hc {

ClipModelImpl::ClipModelImpl(const ClipConfig& config, const at::TensorOptions& options)
    : config_(config) {
  config.validate();
  if (options.device().is_cpu()) keep_large_allocations();  // see large_allocations.h
  text_model = register_module("text_model", ClipTextTransformer(config.text, options));
  vision_model = register_module("vision_model", ClipVisionTransformer(config.vision, options));
  visual_projection = register_weight_module(
      *this, "visual_projection", {config.projection_dim, config.vision.hidden_size}, options);
  text_projection = register_weight_module(
      *this, "text_projection", {config.projection_dim, config.text.hidden_size}, options);
  logit_scale = register_parameter("logit_scale", torch::empty({}, options));
}

at::Tensor ClipModelImpl::project_text(const at::Tensor& pooled) const {
  return at::matmul(pooled, text_projection.t());
}

at::Tensor ClipModelImpl::project_image(const at::Tensor& x) const {
  return at::matmul(x, visual_projection.t());
}

namespace {

ClipTextFeatures text_features(const ClipModelImpl& model, ClipTextOutput out) {
  ClipTextFeatures f;
  f.text_embeds = model.project_text(out.pooled);
  f.text_pooled = std::move(out.pooled);
  f.eot_index = std::move(out.eot_index);
  f.last_hidden_state = std::move(out.last_hidden_state);
  return f;
}

}  // namespace

ClipTextFeatures ClipModelImpl::encode_text(const at::Tensor& input_ids,
                                            const at::Tensor& attention_mask,
                                            const TowerHooks& hooks) const {
  return text_features(*this, text_model->forward(input_ids, attention_mask, hooks));
}

ClipTextFeatures ClipModelImpl::encode_text_embeddings(const at::Tensor& token_embeds,
                                                       const at::Tensor& eot_index,
                                                       const at::Tensor& attention_mask,
                                                       const TowerHooks& hooks) const {
  return text_features(
      *this, text_model->forward_embeddings(token_embeds, eot_index, attention_mask, hooks));
}

ClipImageFeatures ClipModelImpl::encode_image(const at::Tensor& pixel_values,
                                              const TowerHooks& hooks) const {
  ClipVisionOutput out = vision_model->forward(pixel_values, hooks);
  ClipImageFeatures f;
  f.image_embeds = project_image(out.pooled);
  f.vision_patch_embeds =
      project_image(out.tokens.slice(1, 1, 1 + config_.vision.num_patches()));
  f.vision_pooled = std::move(out.pooled);
  f.vision_tokens = std::move(out.tokens);
  return f;
}

at::Tensor ClipModelImpl::logits_per_image(const at::Tensor& image_embeds,
                                           const at::Tensor& text_embeds) const {
  at::Tensor image = image_embeds / image_embeds.norm(2, -1, /*keepdim=*/true);
  at::Tensor text = text_embeds / text_embeds.norm(2, -1, /*keepdim=*/true);
  return logit_scale.exp() * at::matmul(image, text.t());
}

namespace {

// Hugging Face CLIPPreTrainedModel._init_weights with initializer_factor = 1: the standard
// deviation of a normal init, 0 for zeros, or a negative value for "constant 1".
struct InitRule {
  enum Kind { Normal, Zeros, Ones, Constant } kind;
  double value = 0.0;
};

InitRule init_rule(const std::string& name, const ClipConfig& config) {
  const bool text = starts_with(name, "text_model.");
  const double width = static_cast<double>(text ? config.text.hidden_size
                                                : config.vision.hidden_size);
  const double layers = static_cast<double>(text ? config.text.num_layers
                                                 : config.vision.num_layers);
  const double in_proj_std = std::pow(width, -0.5) * std::pow(2.0 * layers, -0.5);
  if (name == "logit_scale") return {InitRule::Constant, config.logit_scale_init};
  if (name == "text_projection.weight") {
    return {InitRule::Normal, std::pow(static_cast<double>(config.text.hidden_size), -0.5)};
  }
  if (name == "visual_projection.weight") {
    return {InitRule::Normal, std::pow(static_cast<double>(config.vision.hidden_size), -0.5)};
  }
  if (ends_with(name, "embeddings.class_embedding")) {
    return {InitRule::Normal, std::pow(width, -0.5)};
  }
  if (ends_with(name, "_embedding.weight")) return {InitRule::Normal, 0.02};
  const bool norm = name.find("layer_norm") != std::string::npos ||
                    name.find("layrnorm") != std::string::npos ||
                    name.find("layernorm") != std::string::npos;
  if (ends_with(name, ".bias")) return {InitRule::Zeros};
  if (norm) return {InitRule::Ones};
  if (ends_with(name, "out_proj.weight")) return {InitRule::Normal, std::pow(width, -0.5)};
  if (ends_with(name, "_proj.weight")) return {InitRule::Normal, in_proj_std};  // q, k, v
  if (ends_with(name, "fc1.weight")) return {InitRule::Normal, std::pow(2.0 * width, -0.5)};
  if (ends_with(name, "fc2.weight")) return {InitRule::Normal, in_proj_std};
  throw runtime_error("init_clip_weights: no initialisation rule for parameter {}", name);
}

}  // namespace

void init_clip_weights(ClipModelImpl& model, uint64_t seed) {
  torch::NoGradGuard no_grad;
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const auto& item : model.named_parameters()) {
    at::Tensor param = item.value();
    InitRule rule = init_rule(item.key(), model.config());
    // Values are drawn on the CPU in float32, so every device and dtype gets the same numbers.
    at::Tensor values = at::empty(param.sizes(), at::kFloat);
    switch (rule.kind) {
      case InitRule::Normal: values.normal_(0.0, rule.value, generator); break;
      case InitRule::Zeros: values.zero_(); break;
      case InitRule::Ones: values.fill_(1.0); break;
      case InitRule::Constant: values.fill_(rule.value); break;
    }
    param.copy_(values);
  }
}

ClipModel random_clip(const ClipConfig& config, uint64_t seed, at::Device device,
                      at::ScalarType dtype) {
  require_dtype_support(device, dtype);
  ClipModel model(config, at::TensorOptions().device(device).dtype(dtype));
  init_clip_weights(*model, seed);
  return model;
}

namespace {

// The first op of a CLIP forward pass that this libtorch cannot run in dtype on device, or "".
// LayerNorm and softmax are left out: they run in float32 (see FloatLayerNormImpl).
std::string first_unsupported_op(at::Device device, at::ScalarType dtype) {
  const auto options = at::TensorOptions().device(device).dtype(dtype);
  auto ones = [&](at::IntArrayRef shape) { return at::ones(shape, options); };
  const std::pair<const char*, std::function<void()>> probes[] = {
      {"linear (addmm)", [&] { at::linear(ones({2, 4}), ones({3, 4}), ones({3})); }},
      {"batched matmul", [&] { at::matmul(ones({1, 2, 2, 4}), ones({1, 2, 4, 2})); }},
      {"sigmoid (quick_gelu)", [&] { at::sigmoid(ones({4})); }},
      {"gelu", [&] { at::gelu(ones({4})); }},
      {"gelu (tanh)", [&] { at::gelu(ones({4}), "tanh"); }},
      {"conv2d (patch embedding)",
       [&] { at::conv2d(ones({1, 3, 4, 4}), ones({2, 3, 2, 2}), {}, {2, 2}); }},
      {"embedding",
       [&] { at::embedding(ones({4, 2}), at::zeros({2}, options.dtype(at::kLong))); }},
  };
  for (const auto& [name, probe] : probes) {
    try {
      probe();
    } catch (const c10::Error&) {
      return name;
    }
  }
  return "";
}

}  // namespace

void require_dtype_support(at::Device device, at::ScalarType dtype) {
  if (dtype == at::kFloat) return;
  static std::mutex mutex;
  static std::map<std::string, std::string> verdicts;  // "cpu/fp16" -> first missing op or ""
  const std::string key = device.str() + "/" + scalar_type_label(dtype);
  std::string missing;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = verdicts.find(key);
    if (found == verdicts.end()) {
      torch::NoGradGuard no_grad;
      found = verdicts.emplace(key, first_unsupported_op(device, dtype)).first;
    }
    missing = found->second;
  }
  if (!missing.empty()) {
    throw usage_error("dtype {} on device {} is not supported by this libtorch ({}): it has no {} "
                      "kernel for it; use bf16 or fp32 on {}, or fp16 on CUDA",
                      scalar_type_label(dtype), device.str(), TORCH_VERSION, missing,
                      device.str());
  }
}

}  // namespace hc
