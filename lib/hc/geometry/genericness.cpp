#include "hc/geometry/genericness.h"

#include <ATen/ATen.h>

#include "hc/geometry/geometry_inputs.h"
#include "hc/geometry/precision.h"

namespace hc {

at::Tensor genericness(const at::Tensor& x, const at::Tensor& root) {
  GeometryInputs in("genericness", {{"x", x}, {"root", root}});
  return vector_norm(in.tensors[0] - in.tensors[1]);
}

}  // namespace hc
