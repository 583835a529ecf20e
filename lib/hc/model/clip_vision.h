#pragma once
// CLIP's vision tower ("vision_model" in Hugging Face checkpoints): patch convolution (no bias),
// class token, position embeddings, pre_layrnorm, pre-LN transformer, post_layernorm.
#include <cstdint>
#include <memory>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "hc/model/clip_config.h"
#include "hc/model/clip_encoder.h"
#include "hc/model/layers.h"

namespace hc {

struct ClipVisionOutput {
  // [B, T, W]: the last block's output with post_layernorm applied to every token: CLS first,
  // then the G*G patches in row-major order, then any tokens a hook appended. (HF's
  // last_hidden_state is the same tensor before post_layernorm.)
  at::Tensor tokens;
  at::Tensor pooled;  // [B, W] = tokens[:, 0]
};

class ClipVisionTransformerImpl : public torch::nn::Module {
 public:
  ClipVisionTransformerImpl(const ClipVisionConfig& config, const at::TensorOptions& options);

  // pixel_values [B, C, S, S] with S = image_size (already preprocessed and normalised); moved
  // to the tower's device and dtype.
  ClipVisionOutput forward(const at::Tensor& pixel_values, const TowerHooks& hooks = {}) const;

  const ClipVisionConfig& config() const { return config_; }

  at::Tensor class_embedding;     // [W]
  at::Tensor patch_embedding;     // [W, C, p, p]
  at::Tensor position_embedding;  // [1 + G*G, W]

 private:
  ClipVisionConfig config_;
  std::shared_ptr<FloatLayerNormImpl> pre_layrnorm_, post_layernorm_;
  std::shared_ptr<ClipEncoderImpl> encoder_;
};
TORCH_MODULE(ClipVisionTransformer);

}  // namespace hc
