#include "hc/model/weight_plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/model/shape_text.h"
#include "hc/tensor/safetensors_tensor.h"

namespace hc {
namespace {

constexpr std::size_t kListedPerKind = 5;

bool is_ignored(const std::string& name) {
  const std::string suffix = "position_ids";
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_floating(DType dtype) {
  return dtype == DType::F64 || dtype == DType::F32 || dtype == DType::F16 ||
         dtype == DType::BF16;
}

// The shape the checkpoint tensor must have for `parameter` under `source`.
std::vector<int64_t> stored_shape(const at::Tensor& parameter, const WeightSource& source) {
  std::vector<int64_t> shape(parameter.sizes().begin(), parameter.sizes().end());
  switch (source.transform) {
    case WeightSource::Transform::Copy: break;
    case WeightSource::Transform::Transpose: std::reverse(shape.begin(), shape.end()); break;
    case WeightSource::Transform::Rows: shape.at(0) *= source.parts; break;
  }
  return shape;
}

at::Tensor select_part(const at::Tensor& stored, const WeightSource& source) {
  switch (source.transform) {
    case WeightSource::Transform::Copy: return stored;
    case WeightSource::Transform::Transpose: return stored.t();
    case WeightSource::Transform::Rows: {
      const int64_t rows = stored.size(0) / source.parts;
      return stored.slice(0, source.part * rows, (source.part + 1) * rows);
    }
  }
  return stored;
}

// The parameters, then the buffers (BatchNorm statistics, step counters), by name. Buffers named
// "*position_ids" are left out: checkpoints may or may not store them.
std::vector<std::pair<std::string, at::Tensor>> tensors_to_load(torch::nn::Module& model) {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& item : model.named_parameters()) tensors.emplace_back(item.key(), item.value());
  for (const auto& item : model.named_buffers()) {
    if (!is_ignored(item.key())) tensors.emplace_back(item.key(), item.value());
  }
  return tensors;
}

std::string listing(const std::vector<std::string>& items, const char* what) {
  std::vector<std::string> shown(items.begin(),
                                 items.begin() + std::min(items.size(), kListedPerKind));
  std::string more = items.size() > shown.size()
                         ? fmt::format(", ... {} more", items.size() - shown.size())
                         : "";
  return fmt::format("{} {} ({}{})", items.size(), what, fmt::join(shown, ", "), more);
}

}  // namespace

void load_weight_plan(torch::nn::Module& model, const SafetensorsCheckpoint& checkpoint,
                      const WeightSourceFor& source_for, const std::string& scheme) {
  struct Step {
    at::Tensor parameter;
    WeightSource source;
  };
  std::vector<Step> steps;
  std::vector<std::string> missing, mismatched;
  std::set<std::string> used;
  for (const auto& item : tensors_to_load(model)) {
    WeightSource source = source_for(item.first);
    // A fused tensor feeds several parameters: check and report it once.
    const bool first_use = used.insert(source.key).second;
    if (!checkpoint.contains(source.key)) {
      if (first_use) missing.push_back(source.key);
      continue;
    }
    const TensorView& view = checkpoint.get(source.key);
    std::vector<int64_t> expected = stored_shape(item.second, source);
    if (!first_use) {
      // Checked with the first parameter it feeds.
    } else if (view.shape != expected) {
      mismatched.push_back(fmt::format("{}: {} in the file, {} expected", source.key,
                                       shape_text(view.shape), shape_text(expected)));
    } else if (is_floating(view.dtype) != at::isFloatingType(item.second.scalar_type())) {
      mismatched.push_back(fmt::format("{}: dtype {} in the file, {} expected", source.key,
                                       dtype_name(view.dtype),
                                       at::isFloatingType(item.second.scalar_type())
                                           ? "a floating type"
                                           : "an integer type"));
    }
    steps.push_back({item.second, std::move(source)});
  }
  std::vector<std::string> unexpected;
  for (const std::string& name : checkpoint.names()) {
    if (!used.count(name) && !is_ignored(name)) unexpected.push_back(name);
  }
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::vector<std::string> parts;
    if (!missing.empty()) parts.push_back(listing(missing, "missing"));
    if (!unexpected.empty()) parts.push_back(listing(unexpected, "unexpected"));
    if (!mismatched.empty()) parts.push_back(listing(mismatched, "mismatched"));
    throw runtime_error("{}: does not match the {} CLIP model it is loaded as: {}",
                        checkpoint.description(), scheme, fmt::join(parts, "; "));
  }

  // How many parameters still read each stored tensor (a fused one feeds several).
  std::map<std::string, int> readers;
  for (const Step& step : steps) ++readers[step.source.key];
  torch::NoGradGuard no_grad;
  for (Step& step : steps) {
    // Straight from the mapping into the parameter: copy_ converts dtype and device on the way,
    // so no tensor-sized temporary exists. Once its last reader has it, the stored tensor's
    // pages are let go, so the file does not stay resident beside the model.
    step.parameter.copy_(select_part(mapped_tensor(checkpoint.get(step.source.key)), step.source));
    if (--readers[step.source.key] == 0) checkpoint.release(step.source.key);
  }
}

}  // namespace hc
