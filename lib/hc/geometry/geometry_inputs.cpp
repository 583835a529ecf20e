#include "hc/geometry/geometry_inputs.h"

#include <ATen/ATen.h>
#include <ATen/ExpandUtils.h>
#include <c10/core/GradMode.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/geometry/precision.h"

namespace hc {
namespace {

std::string shape_text(const at::Tensor& t) {
  return fmt::format("[{}]", fmt::join(t.sizes(), ", "));
}

}  // namespace

GeometryInputs::GeometryInputs(const char* op,
                               std::initializer_list<std::pair<const char*, at::Tensor>> named)
    : compute_type(c10::ScalarType::Float) {
  const std::pair<const char*, at::Tensor>* first = nullptr;
  std::vector<int64_t> batch_shape;
  for (const auto& [name, tensor] : named) {
    if (!tensor.defined()) throw runtime_error("{}: {} is an undefined tensor", op, name);
    if (tensor.dim() == 0) {
      throw runtime_error("{}: {} must have an embedding dimension, got a 0-d tensor", op, name);
    }
    std::string what = fmt::format("{}: {}", op, name);
    if (geometry_compute_type(tensor.scalar_type(), what.c_str()) == c10::ScalarType::Double) {
      compute_type = c10::ScalarType::Double;
    }
    if (first == nullptr) {
      first = &*named.begin();
    } else {
      const at::Tensor& reference = first->second;
      if (tensor.size(-1) != reference.size(-1)) {
        throw runtime_error("{}: {} {} and {} {} differ in the embedding size (last dimension)",
                            op, first->first, shape_text(reference), name, shape_text(tensor));
      }
      if (tensor.device() != reference.device()) {
        throw runtime_error("{}: {} is on {} but {} is on {}", op, first->first,
                            reference.device().str(), name, tensor.device().str());
      }
    }
    auto leading = tensor.sizes().slice(0, tensor.dim() - 1);
    try {
      batch_shape = at::infer_size(batch_shape, leading);
    } catch (const c10::Error&) {
      throw runtime_error("{}: the leading dimensions of {} {} do not broadcast with the others",
                          op, name, shape_text(tensor));
    }
    needs_grad = needs_grad || tensor.requires_grad();
  }
  needs_grad = needs_grad && c10::GradMode::is_enabled();
  for (const auto& entry : named) tensors.push_back(entry.second.to(compute_type));
}

}  // namespace hc
