#include "hc/hgclip/default_linear_init.h"

#include <cmath>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace hc {

void default_linear_init(torch::nn::Linear& linear, at::Generator& generator) {
  torch::NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(linear->weight.size(1)));
  for (at::Tensor* param : {&linear->weight, &linear->bias}) {
    if (!param->defined()) continue;
    param->copy_(at::empty(param->sizes(), at::kFloat).uniform_(-bound, bound, generator));
  }
}

}  // namespace hc
