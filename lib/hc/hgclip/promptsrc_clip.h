#pragma once
// PromptSRC (Khattak et al., "Self-regulating Prompts"), the baseline of HGCLIP's comparison
// (the official repository's models/promptsrc.py; the losses and the prompt aggregation are
// those of PromptSRC's own trainer, which HGCLIP's main.py never wires in): independent deep
// prompts in both towers of a frozen CLIP (IVLP), and three self-regulating terms that keep the
// prompted features near the frozen CLIP's.
//
//   t_k = normalize(text tower("<ctx_init> <class>." with learnable ctx, deep text prompts))
//   g   = normalize(vision tower(image, deep vision prompts))
//   logits = exp(logit_scale) g t^T                                        [B, K]
//
// The frozen CLIP's side (no prompts, no gradients):
//   t0_k = normalize(mean over the 60 ImageNet templates of the plain text feature of
//          template(class))                                   computed once, at construction
//   g0   = normalize(plain vision tower(image))
//   logits0 = exp(logit_scale) g0 t0^T
//
// The terms (promptsrc_losses()), added to the hierarchical cross-entropy:
//   scl_text   = text_weight  * mean |t - t0|          (L1 over [K, D])
//   scl_image  = image_weight * mean |g - g0|          (L1 over [B, D])
//   scl_logits = mean over levels l of sum_{b,k in l} p0 (log p0 - log p) / (B K_l),
//                p = softmax over level l of logits, p0 of logits0 (temperature 1): the
//                official KL(p0 || p) with the sum reduction divided by the logits' size, taken
//                per level because hc's logit columns hold every level (each level is one
//                softmax, as in the cross-entropy).
// The frozen side only runs when gradients are on (training): under a NoGradGuard (evaluation)
// forward() gives the logits alone.
//
// Gaussian prompt aggregation (GPA): after epoch e of N (1-based) the learnable tensors, times
// gpa_weights(N)[e - 1], are added to a running sum; after epoch N the sum replaces them, so the
// trained model is the Gaussian-weighted average of the prompts at each epoch's end. The running
// sum is training state: gpa_state() / load_gpa_state() carry it through checkpoints.
//
// Parameter names are the official ones: "prompt_learner.ctx", "image_encoder.VPT",
// "image_encoder.transformer.resblocks.<i>.VPT_shallow",
// "text_encoder.transformer.resblocks.<i>.VPT_shallow".
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
#include "hc/hgclip/hgclip_options.h"
#include "hc/hgclip/text_prompt_learner.h"
#include "hc/model/clip_model.h"

namespace hc {

class ClipTokenizer;

// The templates the frozen text features average over (CLIP's ImageNet prompt engineering list
// as PromptSRC ships it), "{}" standing for the class name.
const std::vector<std::string>& promptsrc_templates();

// Normalised weights of epochs 1..epochs under N(mean, std^2): w_e proportional to
// exp(-(e - mean)^2 / (2 std^2)), summing to 1 (computed relative to the largest, so epochs far
// from the mean do not underflow to an all-zero sum).
std::vector<double> gpa_weights(int64_t epochs, double mean, double std);

struct PromptSrcOutput {
  at::Tensor text_features;       // [K, D] normalised, prompted
  at::Tensor image_features;      // [B, D] normalised, prompted
  at::Tensor logits;              // [B, K]
  // Only when gradients are on (training):
  at::Tensor fixed_text_features;  // [K, D] normalised template mean of the frozen CLIP
  at::Tensor zero_shot_features;   // [B, D] normalised frozen CLIP image features
  at::Tensor zero_shot_logits;     // [B, K]
};

class PromptSrcClipImpl : public torch::nn::Module {
 public:
  // Sizes from options: n_ctx, ctx_init, vision_depth / vision_ctx, language_depth /
  // language_ctx, the loss weights and GPA constants, seed, fp16_prompts.
  PromptSrcClipImpl(ClipModel clip, const ClipTokenizer& tokenizer,
                    const ClassHierarchy& hierarchy, const HgclipOptions& options);

  PromptSrcOutput forward(const at::Tensor& pixel_values) const;
  const PromptSrcOutput& last_output() const { return last_; }

  // scl_text, scl_image, scl_logits of the last forward() with gradients on; empty otherwise.
  std::vector<std::pair<std::string, at::Tensor>> promptsrc_losses() const;

  // GPA after epoch `epoch` (1-based) of `epochs`; see above.
  void end_epoch(int64_t epoch, int64_t epochs);
  // The running sum, "gpa.<parameter name>", float32 values of the parameters' shapes.
  std::vector<std::pair<std::string, at::Tensor>> gpa_state() const;
  void load_gpa_state(const std::map<std::string, at::Tensor>& values, const std::string& source);

  std::vector<std::pair<std::string, at::Tensor>> learnable_parameters() const;
  void load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                 const std::string& source);

  ClipModel clip{nullptr};                    // "clip", frozen
  TextPromptLearner prompt_learner{nullptr};  // "prompt_learner"
  DeepPrompts image_prompts{nullptr};         // "image_encoder"
  DeepPrompts text_prompts{nullptr};          // "text_encoder"

 private:
  HgclipOptions options_;
  std::vector<int64_t> level_sizes_;
  at::Tensor fixed_text_;         // [K, D] normalised
  std::vector<at::Tensor> gpa_sum_;  // one per learnable parameter, in their order
  mutable PromptSrcOutput last_;
};
TORCH_MODULE(PromptSrcClip);

}  // namespace hc
