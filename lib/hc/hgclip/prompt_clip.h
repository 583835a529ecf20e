#pragma once
// The prompt-learning baselines of HGCLIP's comparison (the official repository's
// models/coop_model.py and models/vp_model.py) on a frozen CLIP, without the label graph:
//
//   logits = exp(logit_scale) normalize(g) normalize(t_k)^T
//
// with g the image tower's projected CLS feature (with deep vision prompts when the design has
// them) and t_k the text tower's feature of "<ctx_init> <class>." whose context rows 1..n_ctx
// are the learnable ctx vectors (text_prompt_learner.h), learnable or frozen at their
// initialisation. Every class of every level is one logit column (ClassHierarchy::all_classes
// order). Designs:
//  - coop:     learnable text context; vision tower plain (CoOp_CLIP).
//  - vpt:      deep vision prompts only (vision depth, vision tokens); the text prompts are the
//              fixed words of ctx_init.
//  - vp:       the official VP_CLIP: learnable text context and deep vision prompts.
//  - kgcoop:   CoOp plus KgCoOp's knowledge term (knowledge_weight > 0):
//                weight * (1 - mean_k cos(t_k, t_k^0)),
//              t_k^0 the class's text feature at initialisation ("<ctx_init> <class>."), so the
//              learned prompts stay near the hand-written ones (models/kgcoop_model.py).
//  - zeroshot: nothing learnable: plain CLIP on "<ctx_init> <class>.".
// A tower without anything learnable runs without gradients (its activations are not kept), and
// fixed text features are computed once. Parameter names follow the official code
// ("prompt_learner.ctx", "image_encoder.VPT", "image_encoder.transformer.resblocks.<i>.VPT_shallow").
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "hc/data/class_hierarchy.h"
#include "hc/hgclip/deep_prompts.h"
#include "hc/hgclip/text_prompt_learner.h"
#include "hc/model/clip_model.h"

namespace hc {

class ClipTokenizer;

struct PromptClipDesign {
  bool learn_context = true;  // the text ctx vectors train
  int64_t n_ctx = 4;          // text context vectors (see text_prompt_learner.h for ctx_init)
  std::string ctx_init = "a photo of a";
  int64_t vision_depth = 0;   // deep vision prompts: input + blocks 1..depth-1 (0: none)
  int64_t vision_ctx = 4;     // prompt tokens per vision block
  int64_t seed = 0;           // initialisation of the learnable tensors
  bool fp16_prompts = false;  // fp16 rounding of the deep prompts (hgclip.fp16_prompts)
  double knowledge_weight = 0;  // KgCoOp's term (0: none)
};

class PromptClipImpl : public torch::nn::Module {
 public:
  PromptClipImpl(ClipModel clip, const ClipTokenizer& tokenizer, const ClassHierarchy& hierarchy,
                 const PromptClipDesign& design);

  // [B, K] over all classes of all levels.
  at::Tensor forward(const at::Tensor& pixel_values) const;
  // [K, D] normalised class text features (cached while the text side is frozen).
  at::Tensor text_features() const;
  // KgCoOp's knowledge term of the text features the last forward() used (a scalar with its
  // gradient); undefined when the design has none or nothing ran yet.
  at::Tensor knowledge_loss() const;

  std::vector<std::pair<std::string, at::Tensor>> learnable_parameters() const;
  void load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                 const std::string& source);

  const PromptClipDesign& design() const { return design_; }

  ClipModel clip{nullptr};                    // "clip", frozen
  TextPromptLearner prompt_learner{nullptr};  // "prompt_learner"
  DeepPrompts image_prompts{nullptr};         // "image_encoder" (only with vision_depth > 0)

 private:
  PromptClipDesign design_;
  mutable at::Tensor frozen_text_;  // text_features() when nothing on the text side trains
  mutable at::Tensor last_text_;    // the text features of the last forward()
  at::Tensor reference_text_;       // KgCoOp: the text features at initialisation
};
TORCH_MODULE(PromptClip);

}  // namespace hc
