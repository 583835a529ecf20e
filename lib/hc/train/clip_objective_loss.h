#pragma once
// The paper's "FT with CLIP objective" ablation (supplementary Table 3): CLIP's own contrastive
// image-text loss on one caption per training row, in place of the Radial Embedding loss.
//
//   logits[i, j] = exp(logit_scale) <text_i, image_j>        unit rows, i, j over the batch
//   L_clip = (CE(logits, arange) + CE(logits^T, arange)) / 2    text->image and image->text
//   L      = lambda_p L_p + L_clip
//
// with the RE loss's pullback term L_p = (1 - mean_i <text_i, original_i>) / 2 over the
// captions (re_loss.h), weighted by loss.lambda_p as for RE.
#include <ATen/core/Tensor.h>

namespace hc {

struct ClipObjectiveLoss {
  at::Tensor total;        // 0-dim, differentiable
  at::Tensor contrastive;  // L_clip
  at::Tensor pullback;     // L_p (0 when no original embeddings are given)
};

// text [n, D]: unit caption embeddings of the model being trained (gradients flow); images
// [n, D]: unit embeddings of row i's image (detached here: the vision tower is frozen);
// logit_scale: the model's 0-dim log temperature (detached); original [n, D] the frozen
// original model's unit caption embeddings, or undefined for no pullback term (then lambda_p
// must be 0). Computed in the geometry compute type on the inputs' device. Shapes that do not
// match are an hc::Error naming the tensor.
ClipObjectiveLoss clip_objective_loss(const at::Tensor& text, const at::Tensor& images,
                                      const at::Tensor& logit_scale, const at::Tensor& original,
                                      double lambda_p);

}  // namespace hc
