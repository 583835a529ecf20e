#include "hc/geometry/precision.h"

#include <ATen/ATen.h>

#include "hc/core/error.h"

namespace hc {

c10::ScalarType geometry_compute_type(c10::ScalarType input, const char* what) {
  switch (input) {
    case c10::ScalarType::Double:
      return c10::ScalarType::Double;
    case c10::ScalarType::Float:
    case c10::ScalarType::Half:
    case c10::ScalarType::BFloat16:
      return c10::ScalarType::Float;
    default:
      throw runtime_error("{}: expected a floating-point tensor (fp32, fp16, bf16 or fp64), got {}",
                          what, c10::toString(input));
  }
}

at::Tensor to_geometry_compute_type(const at::Tensor& tensor, const char* what) {
  return tensor.to(geometry_compute_type(tensor.scalar_type(), what));
}

at::Tensor vector_norm(const at::Tensor& v, bool keepdim) {
  at::Tensor squared = (v * v).sum({-1}, keepdim);
  at::Tensor positive = squared > 0;
  // sqrt only ever sees positive values, so its backward never divides by 0; where() then
  // sends no gradient into the branch it did not take.
  at::Tensor root = at::sqrt(at::where(positive, squared, at::ones_like(squared)));
  return at::where(positive, root, at::zeros_like(root));
}

at::Tensor normalize_embeddings(const at::Tensor& embeddings) {
  at::Tensor e = to_geometry_compute_type(embeddings, "normalize_embeddings");
  at::Tensor norm = vector_norm(e, /*keepdim=*/true);
  // Divide a zero row by 1: it stays zero and passes its gradient through unchanged.
  return e / at::where(norm > 0, norm, at::ones_like(norm));
}

}  // namespace hc
