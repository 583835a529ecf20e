#pragma once
// The exterior angle exactly as the official HierarCaps train.py computes it (`ij2ext` in
// batch2losses), with none of the guards of hc::exterior_angle (exterior_angle.h):
//
//   a = x - r,  b' = (y - r) - a,  Xi = acos( clip( <a, b'> / (||a|| * ||b'||), -1, 1 ) )
//
// Degenerate pairs are NaN, as there: x == r or y == x divide 0 by 0, and NaN passes through
// clip and acos, so a single such pair makes a loss built from it NaN. Its gradient is autograd's
// of that formula, unbounded as |cosine| -> 1. hc::exterior_angle agrees with it wherever the
// pair is not degenerate (and 1 - |cosine| > exterior_angle_cos_margin), in value and gradient;
// this one exists to reproduce the official numbers bit-compatibly, NaN included.
#include <ATen/core/Tensor.h>

namespace hc {

// x, y, root: [..., D], broadcast as in hc::exterior_angle; computed in the geometry compute
// type (precision.h): float64 stays float64, the rest runs in float32. Result in radians.
at::Tensor official_exterior_angle(const at::Tensor& x, const at::Tensor& y,
                                   const at::Tensor& root);

}  // namespace hc
