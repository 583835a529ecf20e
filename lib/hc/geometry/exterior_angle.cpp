#include "hc/geometry/exterior_angle.h"

#include <ATen/ATen.h>

#include "hc/core/error.h"
#include "hc/geometry/geometry_inputs.h"

namespace hc {

double exterior_angle_min_norm(c10::ScalarType compute_type) {
  return compute_type == c10::ScalarType::Double ? 1e-12 : 1e-6;
}

double exterior_angle_cos_margin(c10::ScalarType compute_type) {
  return compute_type == c10::ScalarType::Double ? 1e-12 : 1e-6;
}

at::Tensor exterior_angle(const at::Tensor& x, const at::Tensor& y, const at::Tensor& root) {
  GeometryInputs in("exterior_angle", {{"x", x}, {"y", y}, {"root", root}});
  const at::Tensor& xs = in.tensors[0];
  const at::Tensor& ys = in.tensors[1];
  const at::Tensor& r = in.tensors[2];

  // y - x as the reference writes it, (y - r) - (x - r), for the same rounding.
  at::Tensor from_root = xs - r;
  at::Tensor step = (ys - r) - from_root;
  at::Tensor dot = (from_root * step).sum({-1});
  at::Tensor from_root_sq = (from_root * from_root).sum({-1});
  at::Tensor step_sq = (step * step).sum({-1});

  const double min_norm = exterior_angle_min_norm(in.compute_type);
  at::Tensor degenerate = (from_root_sq <= min_norm * min_norm) | (step_sq <= min_norm * min_norm);
  // Degenerate pairs divide by 1 and are then replaced: where() gives the discarded branch no
  // gradient, and no 0/0 is ever formed for autograd to differentiate.
  at::Tensor one = at::ones_like(dot);
  at::Tensor norms = at::sqrt(at::where(degenerate, one, from_root_sq)) *
                     at::sqrt(at::where(degenerate, one, step_sq));
  at::Tensor cosine = at::where(degenerate, at::zeros_like(dot), dot / norms);

  at::Tensor angle = at::acos(cosine.clamp(-1.0, 1.0));
  if (!in.needs_grad) return angle;
  // The gradient comes from arccos of the cosine kept margin away from +-1 (clamp passes none
  // beyond it); the value stays the exact one (the correction term is a constant to autograd,
  // and 0 wherever the two clamps agree).
  const double margin = exterior_angle_cos_margin(in.compute_type);
  at::Tensor smooth = at::acos(cosine.clamp(-1.0 + margin, 1.0 - margin));
  return smooth + (angle - smooth).detach();
}

}  // namespace hc
