#pragma once
// The exterior angle of Radial Embeddings (Alper & Averbuch-Elor), the entailment score of the
// pair (x, y) around the root r:
//
//   Xi(x, y) = arccos( <x - r, y - x> / (||x - r|| * ||y - x||) ),  cosine clamped to [-1, 1]
//
// the angle at x between the ray from r through x and the segment from x to y; small when y
// lies further out along x's ray (y is entailed by x). Asymmetric: Xi(x, y) != Xi(y, x). Inputs
// are taken as they are: normalise embeddings first (normalize_embeddings) as the reference
// code does.
#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

namespace hc {

// x, y, root: [..., D], broadcast against each other over the leading dimensions (e.g. x
// [n, 1, D] and y [1, m, D] give all n x m angles; root [D]). Any device; fp32, fp16 and bf16
// are computed and returned in float32, fp64 in float64. Result: the broadcast shape without D,
// in radians, in [0, pi].
//
// Differentiable, with a finite gradient everywhere:
// - Degenerate pairs, x == r or y == x (||x - r|| or ||y - x|| <= exterior_angle_min_norm),
//   have no angle: the reference code returns NaN (0/0). Here Xi = pi/2 exactly, with zero
//   gradient: pi/2 is the angle between a fixed ray and a random direction (on average, and
//   exactly in the limit of high dimension), so such a pair counts as neither entailed nor
//   contradicted, and it pushes nothing in fine-tuning (identical texts at two tiers, a text
//   that embeds onto the root) instead of turning the whole loss into NaN.
// - Where |cosine| > 1 - exterior_angle_cos_margin (y on x's ray: Xi within about
//   sqrt(2 * margin) of 0 or pi) arccos' derivative 1/sqrt(1 - c^2) blows up: the value there is
//   still the exact clamped arccos, but no gradient flows from those pairs.
// Everywhere else value and gradient are those of the formula.
at::Tensor exterior_angle(const at::Tensor& x, const at::Tensor& y, const at::Tensor& root);

// The norm below which x - r or y - x counts as zero: 1e-6 in float32, 1e-12 in float64 (unit
// embeddings; a difference that small is rounding noise in the direction the angle needs).
double exterior_angle_min_norm(c10::ScalarType compute_type);

// How close to +-1 the cosine may come and still carry a gradient: 1e-6 in float32 (angles
// within 1.4e-3 rad of 0 or pi), 1e-12 in float64 (within 1.4e-6 rad).
double exterior_angle_cos_margin(c10::ScalarType compute_type);

}  // namespace hc
