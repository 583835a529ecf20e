#pragma once
// PyTorch's default nn.Linear initialisation (kaiming_uniform_ with a = sqrt(5) on the weight,
// which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound on the bias), drawn from a
// given generator so a method's seed fixes its learnable layers (CoCoOp's meta-net, MaPLe's
// projections) as it fixes its prompt vectors.
#include <ATen/core/Generator.h>
#include <torch/nn/modules/linear.h>

namespace hc {

// Fills linear's weight and bias in place (in float32 on the CPU, then copied to the layer's
// device and dtype).
void default_linear_init(torch::nn::Linear& linear, at::Generator& generator);

}  // namespace hc
