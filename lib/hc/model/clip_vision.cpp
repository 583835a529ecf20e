#include "hc/model/clip_vision.h"

#include "hc/core/error.h"
#include "hc/model/shape_text.h"

namespace hc {

ClipVisionTransformerImpl::ClipVisionTransformerImpl(const ClipVisionConfig& config,
                                                     const at::TensorOptions& options)
    : config_(config) {
  const int64_t width = config.hidden_size;
  auto embeddings = register_module("embeddings", std::make_shared<torch::nn::Module>());
  class_embedding =
      embeddings->register_parameter("class_embedding", torch::empty({width}, options));
  patch_embedding = register_weight_module(
      *embeddings, "patch_embedding",
      {width, config.num_channels, config.patch_size, config.patch_size}, options);
  position_embedding = register_weight_module(*embeddings, "position_embedding",
                                              {config.num_positions(), width}, options);
  // "pre_layrnorm" (sic) is Hugging Face's name.
  pre_layrnorm_ = register_module(
      "pre_layrnorm", std::make_shared<FloatLayerNormImpl>(width, config.layer_norm_eps, options));
  encoder_ = register_module(
      "encoder", std::make_shared<ClipEncoderImpl>(width, config.num_heads,
                                                   config.intermediate_size, config.num_layers,
                                                   config.hidden_act, config.layer_norm_eps,
                                                   options));
  post_layernorm_ = register_module(
      "post_layernorm",
      std::make_shared<FloatLayerNormImpl>(width, config.layer_norm_eps, options));
}

ClipVisionOutput ClipVisionTransformerImpl::forward(const at::Tensor& pixel_values,
                                                    const TowerHooks& hooks) const {
  const int64_t size = config_.image_size;
  if (pixel_values.dim() != 4 || pixel_values.size(1) != config_.num_channels ||
      pixel_values.size(2) != size || pixel_values.size(3) != size) {
    throw usage_error("vision tower: pixel_values must be [batch, {}, {}, {}], got {}",
                      config_.num_channels, size, size, shape_text(pixel_values.sizes()));
  }
  const int64_t batch = pixel_values.size(0);
  const int64_t width = config_.hidden_size;
  at::Tensor pixels = pixel_values.to(patch_embedding.device(), patch_embedding.scalar_type());
  // [B, W, G, G] -> [B, G*G, W], patches in row-major order.
  at::Tensor patches = at::conv2d(pixels, patch_embedding, /*bias=*/{},
                                  /*stride=*/{config_.patch_size, config_.patch_size})
                           .flatten(2)
                           .transpose(1, 2);
  at::Tensor cls = class_embedding.view({1, 1, width}).expand({batch, 1, width});
  at::Tensor x = at::cat({cls, patches}, 1) + position_embedding.unsqueeze(0);
  if (hooks.after_embeddings) x = hooks.after_embeddings(x);
  x = pre_layrnorm_->forward(x);
  x = encoder_->forward(x, /*allowed=*/{}, hooks);

  ClipVisionOutput out;
  out.tokens = post_layernorm_->forward(x);
  out.pooled = out.tokens.select(1, 0);
  return out;
}

}  // namespace hc
