#pragma once
// The stack of transformer blocks of one tower ("encoder.layers.N"), and the hook points prompt
// learning (CoOp, MaPLe, VPT, HGCLIP's deep prompts) uses to insert or replace tokens.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <torch/nn/module.h>

#include "hc/model/clip_config.h"
#include "hc/model/transformer_block.h"

namespace hc {

// Optional callbacks into a tower's forward pass. Both receive the hidden states [B, L, W] and
// return the states to continue with: the same tensor, or one with tokens replaced or inserted
// (gradients flow through whatever they return). An empty function is skipped.
struct TowerHooks {
  // Text: after token + position embeddings, before the first block. Vision: after class +
  // position embeddings, before pre_layrnorm (where MaPLe/VPT append their first prompts).
  std::function<at::Tensor(const at::Tensor& hidden)> after_embeddings;
  // Before block `layer` (0-based) runs: deep prompts replace their tokens here for layers
  // 1..depth-1. The text tower's causal mask assumes the length L does not change here; the
  // vision tower accepts a new L (appended tokens; vision_tokens then include them).
  std::function<at::Tensor(int64_t layer, const at::Tensor& hidden)> before_layer;
};

class ClipEncoderImpl : public torch::nn::Module {
 public:
  ClipEncoderImpl(int64_t width, int64_t heads, int64_t intermediate, int64_t layers,
                  Activation activation, double layer_norm_eps, const at::TensorOptions& options);

  // x [B, L, W]. allowed: see ClipAttentionImpl (undefined = no mask); when defined, a hook
  // that changes L is an hc::Error.
  at::Tensor forward(at::Tensor x, const at::Tensor& allowed, const TowerHooks& hooks) const;

  int64_t num_layers() const { return static_cast<int64_t>(layers_.size()); }

 private:
  std::vector<std::shared_ptr<TransformerBlockImpl>> layers_;
};

}  // namespace hc
