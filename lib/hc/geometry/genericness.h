#pragma once
// Genericness of an embedding in Radial Embeddings: its distance from the entailment root,
// d(x) = ||x - r||. Smaller is more generic; the hierarchical retrieval metric calls it the
// radius.
#include <ATen/core/Tensor.h>

namespace hc {

// x [..., D] and root broadcast over the leading dimensions; any device; fp32, fp16 and bf16
// computed and returned in float32, fp64 in float64. Result: the broadcast shape without D.
// Differentiable; at x == r the value is 0 and the gradient 0 (a subgradient of the norm),
// not NaN.
at::Tensor genericness(const at::Tensor& x, const at::Tensor& root);

}  // namespace hc
