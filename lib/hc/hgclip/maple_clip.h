#pragma once
// MaPLe (multi-modal prompt learning) on a frozen CLIP, as the official repository's MaPLe
// (models/maple.py with clip/model.py's MaPLe blocks): text prompts at each of the first
// `depth` layers, and the vision prompts of the same layer are a linear projection of them
// (text width -> vision width), so the two towers' prompts are coupled:
//
//   layer 0:  text rows 1..n_ctx = ctx (CoOp's context, text_prompt_learner.h);
//             vision: proj(ctx) appended after the class + patch + position embeddings
//   layer i (1 <= i < depth): before block i, text rows 1..n_ctx = compound_prompts_text[i-1];
//             the vision tower's last n_ctx rows = compound_prompt_projections[i-1](that)
//   logits = exp(logit_scale) normalize(g) normalize(t_k)^T
//
// Every class of every level is one logit column (ClassHierarchy::all_classes order). Only the
// prompt learner trains, under the official names "prompt_learner.ctx", "prompt_learner.proj.*",
// "prompt_learner.compound_prompts_text.<i>", "prompt_learner.compound_prompt_projections.<i>.*".
// Initialisation as the official code: ctx by text_prompt_learner.h's rule, the deeper text
// prompts N(0, 0.02), proj PyTorch's default nn.Linear, and every deeper projection a copy of one
// such draw (the official deep copies of a single layer). round_fp16: the official `.half()` on
// the expanded prompts in both towers (see round_copies_to_fp16 in deep_prompts.h).
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
#include "hc/model/clip_encoder.h"
#include "hc/model/clip_model.h"

namespace hc {

class ClipTokenizer;

struct MapleDesign {
  int64_t n_ctx = 4;          // prompt rows per layer in both towers
  std::string ctx_init = "a photo of a";
  int64_t depth = 9;          // coupled prompts: input + blocks 1..depth-1 (official prompt_depth)
  int64_t seed = 0;           // initialisation of the learnable tensors
  bool fp16_prompts = false;  // fp16 rounding of the expanded prompts (hgclip.fp16_prompts)
};

class MapleClipImpl : public torch::nn::Module {
 public:
  MapleClipImpl(ClipModel clip, const ClipTokenizer& tokenizer, const ClassHierarchy& hierarchy,
                const MapleDesign& design);

  // [B, K] over all classes of all levels.
  at::Tensor forward(const at::Tensor& pixel_values) const;

  // The text prompts of layers 0..depth-1 ([n_ctx, Wt]: ctx, then the deeper ones) and the
  // vision prompts projected from them ([n_ctx, Wv], same order).
  std::vector<at::Tensor> text_prompts() const;
  std::vector<at::Tensor> vision_prompts() const;
  // The towers' hooks with the given per-layer prompts (the vectors above); layer 0 of the text
  // prompts enters through the prompt embeddings, not the hooks.
  TowerHooks text_hooks(const std::vector<at::Tensor>& prompts) const;
  TowerHooks vision_hooks(const std::vector<at::Tensor>& prompts) const;

  std::vector<std::pair<std::string, at::Tensor>> learnable_parameters() const;
  void load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                 const std::string& source);

  const MapleDesign& design() const { return design_; }

  ClipModel clip{nullptr};                    // "clip", frozen
  TextPromptLearner prompt_learner{nullptr};  // "prompt_learner"
  torch::nn::Linear proj{nullptr};            // "prompt_learner.proj": Wt -> Wv
  std::vector<at::Tensor> compound_prompts_text;               // [depth - 1] of [n_ctx, Wt]
  std::vector<torch::nn::Linear> compound_prompt_projections;  // [depth - 1]: Wt -> Wv

 private:
  MapleDesign design_;
};
TORCH_MODULE(MapleClip);

}  // namespace hc
