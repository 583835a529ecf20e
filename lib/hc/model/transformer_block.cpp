#include "hc/model/transformer_block.h"

#include <cmath>
#include <limits>

#include <ATen/core/grad_mode.h>
#include <torch/version.h>

namespace hc {

ClipAttentionImpl::ClipAttentionImpl(int64_t width, int64_t heads,
                                     const at::TensorOptions& options)
    : heads_(heads), head_dim_(width / heads) {
  q_proj_ = register_module("q_proj", std::make_shared<DenseImpl>(width, width, true, options));
  k_proj_ = register_module("k_proj", std::make_shared<DenseImpl>(width, width, true, options));
  v_proj_ = register_module("v_proj", std::make_shared<DenseImpl>(width, width, true, options));
  out_proj_ =
      register_module("out_proj", std::make_shared<DenseImpl>(width, width, true, options));
}

at::Tensor ClipAttentionImpl::forward(const at::Tensor& x, const at::Tensor& allowed) const {
  const int64_t batch = x.size(0);
  const int64_t length = x.size(1);
  // [B, L, W] -> [B, heads, L, head_dim]
  auto split_heads = [&](const at::Tensor& t) {
    return t.view({batch, length, heads_, head_dim_}).transpose(1, 2);
  };
  at::Tensor q = split_heads(q_proj_->forward(x));
  at::Tensor k = split_heads(k_proj_->forward(x));
  at::Tensor v = split_heads(v_proj_->forward(x));

  at::Tensor context;
#if TORCH_VERSION_MAJOR >= 2
  // Same maths (default scale 1/sqrt(head_dim)); fused kernels keep the softmax in float32.
  // A bool mask (true = attend) never gives a fully masked row here: CLIP texts are padded on
  // the right, so every query sees at least the start token.
  context = allowed.defined() ? at::scaled_dot_product_attention(q, k, v, allowed)
                              : at::scaled_dot_product_attention(q, k, v);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim_));
  at::Tensor scores = at::matmul(q * scale, k.transpose(-2, -1)).to(at::kFloat);
  if (allowed.defined()) {
    // The lowest finite value rather than -inf: a row with no allowed key becomes uniform
    // instead of NaN.
    // In place: scores is the product's own result (autograd keeps bmm's inputs, not it).
    scores.masked_fill_(allowed.logical_not(), std::numeric_limits<float>::lowest());
  }
  at::Tensor probs = at::softmax(scores, -1).to(v.scalar_type());
  context = at::matmul(probs, v);
#endif
  context = context.transpose(1, 2).reshape({batch, length, heads_ * head_dim_});
  return out_proj_->forward(context);
}

at::Tensor apply_activation(const at::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::QuickGelu:
      // The MLP's widest tensor: without gradients, one buffer instead of three (on the CPU
      // each fresh 40 MB buffer of a batch-64 ViT-B costs page faults). Same values bit for bit.
      if (!(at::GradMode::is_enabled() && x.requires_grad())) {
        return (x * 1.702).sigmoid_().mul_(x);
      }
      return x * at::sigmoid(x * 1.702);
    case Activation::Gelu: return at::gelu(x);
    case Activation::GeluTanh: return at::gelu(x, "tanh");
  }
  return x;
}

ClipMlpImpl::ClipMlpImpl(int64_t width, int64_t intermediate, Activation activation,
                         const at::TensorOptions& options)
    : activation_(activation) {
  fc1_ = register_module("fc1", std::make_shared<DenseImpl>(width, intermediate, true, options));
  fc2_ = register_module("fc2", std::make_shared<DenseImpl>(intermediate, width, true, options));
}

at::Tensor ClipMlpImpl::forward(const at::Tensor& x) const {
  return fc2_->forward(apply_activation(fc1_->forward(x), activation_));
}

TransformerBlockImpl::TransformerBlockImpl(int64_t width, int64_t heads, int64_t intermediate,
                                           Activation activation, double layer_norm_eps,
                                           const at::TensorOptions& options) {
  // Registration order = Hugging Face's checkpoint order.
  self_attn_ = register_module("self_attn", std::make_shared<ClipAttentionImpl>(width, heads,
                                                                                 options));
  layer_norm1_ = register_module(
      "layer_norm1", std::make_shared<FloatLayerNormImpl>(width, layer_norm_eps, options));
  mlp_ = register_module("mlp", std::make_shared<ClipMlpImpl>(width, intermediate, activation,
                                                              options));
  layer_norm2_ = register_module(
      "layer_norm2", std::make_shared<FloatLayerNormImpl>(width, layer_norm_eps, options));
}

at::Tensor TransformerBlockImpl::forward(const at::Tensor& x, const at::Tensor& allowed) const {
  // Residuals added in place into the sublayers' fresh outputs (their backward needs neither
  // value): no extra [B, L, W] buffer per addition. a + b == b + a bit for bit.
  at::Tensor h = self_attn_->forward(layer_norm1_->forward(x), allowed).add_(x);
  return mlp_->forward(layer_norm2_->forward(h)).add_(h);
}

}  // namespace hc
