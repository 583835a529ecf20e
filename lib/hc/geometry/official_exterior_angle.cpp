#include "hc/geometry/official_exterior_angle.h"

#include <ATen/ATen.h>

#include "hc/geometry/geometry_inputs.h"

namespace hc {

at::Tensor official_exterior_angle(const at::Tensor& x, const at::Tensor& y,
                                   const at::Tensor& root) {
  GeometryInputs in("official_exterior_angle", {{"x", x}, {"y", y}, {"root", root}});
  const at::Tensor& r = in.tensors[2];
  // The operations and their order are the reference's, for the same rounding.
  at::Tensor a = in.tensors[0] - r;
  at::Tensor b = (in.tensors[1] - r) - a;
  at::Tensor cosine = (a * b).sum({-1}) / (a.norm(2, {-1}) * b.norm(2, {-1}));
  return cosine.clamp(-1.0, 1.0).acos();
}

}  // namespace hc
