#pragma once
// One pre-LayerNorm transformer block of CLIP (both towers), with Hugging Face's names:
//   x = x + self_attn(layer_norm1(x));  x = x + mlp(layer_norm2(x))
#include <cstdint>
#include <memory>

#include <torch/nn/module.h>

#include "hc/model/clip_config.h"
#include "hc/model/layers.h"

namespace hc {

// Multi-head self-attention: q/k/v/out projections with bias, heads split from the width,
// scores scaled by 1/sqrt(head_dim).
class ClipAttentionImpl : public torch::nn::Module {
 public:
  ClipAttentionImpl(int64_t width, int64_t heads, const at::TensorOptions& options);
  // x [B, L, W]. allowed: bool, broadcastable to [B, 1, L, L], true where query i may attend
  // to key j; undefined = no mask. With libtorch >= 2 this runs
  // at::scaled_dot_product_attention; otherwise (and as its reference) an explicit path whose
  // scores and softmax are computed in float32.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& allowed) const;

 private:
  int64_t heads_;
  int64_t head_dim_;
  std::shared_ptr<DenseImpl> q_proj_, k_proj_, v_proj_, out_proj_;
};

class ClipMlpImpl : public torch::nn::Module {
 public:
  ClipMlpImpl(int64_t width, int64_t intermediate, Activation activation,
              const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x) const;

 private:
  Activation activation_;
  std::shared_ptr<DenseImpl> fc1_, fc2_;
};

// Applies `activation` elementwise in the dtype of x.
at::Tensor apply_activation(const at::Tensor& x, Activation activation);

class TransformerBlockImpl : public torch::nn::Module {
 public:
  TransformerBlockImpl(int64_t width, int64_t heads, int64_t intermediate, Activation activation,
                       double layer_norm_eps, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& allowed) const;

 private:
  std::shared_ptr<FloatLayerNormImpl> layer_norm1_, layer_norm2_;
  std::shared_ptr<ClipAttentionImpl> self_attn_;
  std::shared_ptr<ClipMlpImpl> mlp_;
};

}  // namespace hc
