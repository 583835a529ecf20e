#pragma once
// CoCoOp (conditional context optimisation) on a frozen CLIP, as the official repository's
// CoCoOp_CLIP (models/cocoop_model.py): CoOp's shared context shifted per image by a meta-net
// of the image's feature,
//
//   f_b = normalize(g(x_b))                         (plain vision tower, no gradient)
//   pi_b = linear2(relu(linear1(f_b)))               (P -> P/16 -> W, W the text width)
//   t_bk = text tower of [E[start], ctx_1 + pi_b .. ctx_n + pi_b, E[<class k> ...]]
//   logits[b, k] = exp(logit_scale) f_b . normalize(t_bk)
//
// so every image runs the text tower on every class (one text pass of K prompts per image).
// Logit columns: every class of every level (ClassHierarchy::all_classes order). Only the
// context and the meta-net train, under the official names "prompt_learner.ctx" and
// "prompt_learner.meta_net.linear{1,2}.{weight,bias}". The context follows CoOp's rule
// (text_prompt_learner.h, n_ctx chosen by the caller); the meta-net starts as PyTorch's default
// nn.Linear, drawn from the seed.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "hc/data/class_hierarchy.h"
#include "hc/hgclip/text_prompt_learner.h"
#include "hc/model/clip_model.h"

namespace hc {

class ClipTokenizer;

class CocoopClipImpl : public torch::nn::Module {
 public:
  CocoopClipImpl(ClipModel clip, const ClipTokenizer& tokenizer, const ClassHierarchy& hierarchy,
                 int64_t n_ctx, const std::string& ctx_init, int64_t seed);

  // [B, K] over all classes of all levels.
  at::Tensor forward(const at::Tensor& pixel_values) const;
  // The meta-net's shift of the context, pi_b [B, W], of normalised image features [B, P].
  at::Tensor context_bias(const at::Tensor& image_features) const;

  std::vector<std::pair<std::string, at::Tensor>> learnable_parameters() const;
  void load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                 const std::string& source);

  ClipModel clip{nullptr};                    // "clip", frozen
  TextPromptLearner prompt_learner{nullptr};  // "prompt_learner" (ctx, meta_net)
  torch::nn::Linear linear1{nullptr};         // "prompt_learner.meta_net.linear1": P -> P/16
  torch::nn::Linear linear2{nullptr};         // "prompt_learner.meta_net.linear2": P/16 -> W
};
TORCH_MODULE(CocoopClip);

}  // namespace hc
