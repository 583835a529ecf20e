#pragma once
// The checks and conversions every geometry function starts with (internal to the module).
#include <initializer_list>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

namespace hc {

// Validates named embedding tensors for the operation `op` and converts them to one compute
// type: each must be floating point with at least one dimension, all must share the embedding
// size (last dimension) and the device, and their leading dimensions must broadcast. A
// violation is an hc::Error naming op, the tensor and its shape.
struct GeometryInputs {
  GeometryInputs(const char* op, std::initializer_list<std::pair<const char*, at::Tensor>> named);

  std::vector<at::Tensor> tensors;  // in the order given, in compute_type
  c10::ScalarType compute_type;     // float64 if any input is, else float32
  bool needs_grad = false;          // grad mode is on and some input requires grad
};

}  // namespace hc
