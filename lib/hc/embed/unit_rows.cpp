#include "hc/embed/unit_rows.h"

#include <ATen/ATen.h>

namespace hc {

at::Tensor unit_rows(const at::Tensor& x) {
  // torch.nn.functional.normalize's rule: x / max(||x||, eps).
  return x / x.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
}

}  // namespace hc
