#pragma once
// Independent deep prompts of one CLIP tower, as HGCLIP's ResidualAttentionBlock_IVLP uses them
// (independent per tower and per layer, unlike MaPLe's coupled ones), applied through the
// tower's TowerHooks:
//  - text tower: before block i, 1 <= i < depth, token rows 1..tokens are replaced by that
//    layer's prompts (no position embedding); later blocks carry the rows on.
//  - vision tower: `tokens` input prompts are appended after the class + patch + position
//    embeddings (no position embedding; before pre_layrnorm), and before block i,
//    1 <= i < depth, the last `tokens` rows are replaced by that layer's prompts. The vision
//    tower's outputs then include the prompt rows after the patches.
// Parameter names are the official ones: "VPT" (vision input prompts), and
// "transformer.resblocks.<i>.VPT_shallow" for block i.
//
// fp16 rounding (the official code's `.half()` on the expanded prompts, see
// round_copies_to_fp16): each prompt is expanded to the batch, rounded to fp16 and used in the
// tower's dtype, so the forward sees fp16 values and the backward rounds the gradient of every
// copy to fp16 before summing over copies.
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "hc/model/clip_encoder.h"

namespace hc {

enum class PromptTower { Text, Vision };

class DeepPromptsImpl : public torch::nn::Module {
 public:
  // depth: prompts enter blocks 1..depth-1 (and, for the vision tower with depth >= 1, the
  // input); depth 0 = none. Parameters uninitialised: see reset_parameters.
  DeepPromptsImpl(PromptTower tower, int64_t depth, int64_t tokens, int64_t width,
                  const at::TensorOptions& options);

  // Hooks for the tower's forward pass; they use this module's parameters, so the module must
  // outlive the call. round_fp16: see round_copies_to_fp16.
  TowerHooks hooks(bool round_fp16) const;

  void reset_parameters(at::Generator& generator);  // N(0, 0.02), the official initialisation

  PromptTower tower() const { return tower_; }
  int64_t tokens() const { return tokens_; }
  int64_t depth() const { return depth_; }

  at::Tensor input_prompts;               // vision: "VPT" [tokens, W]; undefined for text
  std::vector<at::Tensor> layer_prompts;  // [depth - 1]: block i's prompts at i - 1

 private:
  at::Tensor replace_rows(int64_t layer, const at::Tensor& hidden, bool round_fp16) const;

  PromptTower tower_;
  int64_t depth_;
  int64_t tokens_;
};
TORCH_MODULE(DeepPrompts);

// prompts [T, W] expanded to [batch, T, W]; with round_fp16, cast to fp16 and back to the
// prompts' dtype inside autograd (forward: fp16 values; backward: each copy's gradient rounded
// to fp16 before the expand sums them). A no-op rounding for fp16 prompts.
at::Tensor round_copies_to_fp16(const at::Tensor& prompts, int64_t batch, bool round_fp16);

}  // namespace hc
