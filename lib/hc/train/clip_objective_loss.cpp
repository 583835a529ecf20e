#include "hc/train/clip_objective_loss.h"

#include <ATen/ATen.h>

#include "hc/core/error.h"
#include "hc/geometry/precision.h"
#include "hc/model/shape_text.h"

namespace hc {

ClipObjectiveLoss clip_objective_loss(const at::Tensor& text, const at::Tensor& images,
                                      const at::Tensor& logit_scale, const at::Tensor& original,
                                      double lambda_p) {
  if (!text.defined() || text.dim() != 2 || text.size(0) == 0) {
    throw runtime_error("clip_objective_loss: text must be [n, D], got {}",
                        text.defined() ? shape_text(text.sizes()) : "none");
  }
  if (!images.defined() || images.sizes() != text.sizes()) {
    throw runtime_error("clip_objective_loss: images must have text's shape {}, got {}",
                        shape_text(text.sizes()),
                        images.defined() ? shape_text(images.sizes()) : "none");
  }
  if (!logit_scale.defined() || logit_scale.numel() != 1) {
    throw runtime_error("clip_objective_loss: logit_scale must hold one value");
  }
  if (original.defined() ? original.sizes() != text.sizes() : lambda_p != 0) {
    throw runtime_error("clip_objective_loss: the pullback term (lambda_p {}) needs the original "
                        "embeddings of text's shape {}",
                        lambda_p, shape_text(text.sizes()));
  }
  const at::Tensor t = to_geometry_compute_type(text, "clip_objective_loss: text");
  const at::Tensor v = to_geometry_compute_type(images, "clip_objective_loss: images")
                           .detach()
                           .to(t.device(), t.scalar_type());
  const at::Tensor scale = logit_scale.detach().reshape({}).to(t.device(), t.scalar_type()).exp();
  const at::Tensor logits = scale * t.matmul(v.t());  // [texts, images]
  const at::Tensor labels = at::arange(t.size(0), t.options().dtype(at::kLong));
  ClipObjectiveLoss out;
  out.contrastive =
      (at::cross_entropy_loss(logits, labels) + at::cross_entropy_loss(logits.t(), labels)) / 2;
  if (original.defined()) {
    const at::Tensor o = to_geometry_compute_type(original, "clip_objective_loss: original")
                             .detach()
                             .to(t.device(), t.scalar_type());
    out.pullback = (1 - (t * o).sum({-1}).mean()) / 2;
  } else {
    out.pullback = at::zeros({}, t.options());
  }
  out.total = lambda_p * out.pullback + out.contrastive;
  return out;
}

}  // namespace hc
