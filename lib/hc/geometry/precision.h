#pragma once
// The arithmetic of the geometry module: half and bfloat16 inputs are computed in float32 (the
// angles and norms of unit vectors lose too much in 8 or 11 bits of mantissa), float32 stays
// float32 and float64 stays float64. Results come back in that type, as torch's autocast does
// for its float32 ops (acos, norm): a loss built from them keeps float32 precision while the
// gradient still reaches the half-precision inputs through the conversion.
#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

namespace hc {

// float64 -> float64; float32, float16, bfloat16 -> float32. Other types (integers, complex)
// are an hc::Error naming `what`.
c10::ScalarType geometry_compute_type(c10::ScalarType input, const char* what);

// The tensor in geometry_compute_type (no copy when it already is).
at::Tensor to_geometry_compute_type(const at::Tensor& tensor, const char* what);

// ||v|| along the last dimension, in v's type. Its gradient at v == 0 is 0 (a subgradient)
// rather than the 0/0 = NaN of differentiating sqrt at 0.
at::Tensor vector_norm(const at::Tensor& v, bool keepdim = false);

// e / ||e|| along the last dimension, in the compute type. A zero vector stays zero (the
// reference code's E / E.norm() would give NaN; the origin is a legitimate root).
at::Tensor normalize_embeddings(const at::Tensor& embeddings);

}  // namespace hc
