#pragma once
#include <ATen/core/Tensor.h>

namespace hc {

// Each row of x [N, P] divided by its L2 norm (rows of norm 0 stay 0), in x's dtype.
at::Tensor unit_rows(const at::Tensor& x);

}  // namespace hc
