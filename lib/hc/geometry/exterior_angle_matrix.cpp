#include "hc/geometry/exterior_angle_matrix.h"

#include <ATen/ATen.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/geometry/exterior_angle.h"

namespace hc {

at::Tensor exterior_angle_matrix(const at::Tensor& embeddings, const at::Tensor& root) {
  if (embeddings.dim() != 2 || root.dim() != 1 || root.size(0) != embeddings.size(1)) {
    throw runtime_error("exterior_angle_matrix: expected embeddings [L, D] and a root [D], got [{}] and [{}]",
                        fmt::join(embeddings.sizes(), ", "), fmt::join(root.sizes(), ", "));
  }
  const at::Tensor e = embeddings.detach().to(at::kDouble);
  const at::Tensor r = root.detach().to(e.device(), at::kDouble);
  const at::Tensor gram = at::matmul(e, e.t());    // [L, L]
  const at::Tensor self = gram.diagonal();         // G_xx
  const at::Tensor rho = at::matmul(e, r);         // [L]
  const at::Tensor rr = (r * r).sum();
  // Row x, column y.
  const at::Tensor dot = gram - self.unsqueeze(1) - rho.unsqueeze(0) + rho.unsqueeze(1);
  const at::Tensor from_root_sq = (self - 2.0 * rho + rr).unsqueeze(1).expand_as(gram);
  const at::Tensor step_sq = self.unsqueeze(0) - 2.0 * gram + self.unsqueeze(1);
  // The Gram form leaves ~1e-16 of rounding in a squared norm that is exactly 0 in the direct
  // form, so differences below float32's 1e-6 (not float64's 1e-12) count as none here.
  const double min_norm = exterior_angle_min_norm(at::kFloat);
  const at::Tensor degenerate = (from_root_sq <= min_norm * min_norm) | (step_sq <= min_norm * min_norm);
  const at::Tensor one = at::ones_like(dot);
  const at::Tensor norms = at::sqrt(at::where(degenerate, one, from_root_sq)) *
                           at::sqrt(at::where(degenerate, one, step_sq));
  const at::Tensor cosine = at::where(degenerate, at::zeros_like(dot), dot / norms);
  return at::acos(cosine.clamp(-1.0, 1.0));
}

}  // namespace hc
