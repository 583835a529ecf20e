// Hugging Face names: the model's parameter names are the checkpoint's, so loading is the
// identity plan and saving writes named_parameters() and named_buffers() as they are.
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/model/clip_weights.h"
#include "hc/tensor/safetensors_tensor.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

std::string hf_torch_dtype(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return "float32";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kDouble: return "float64";
    default: throw usage_error("cannot save a CLIP model as {}", c10::toString(dtype));
  }
}

}  // namespace

void save_clip_hf(const ClipModelImpl& model, const fs::path& dir,
                  std::optional<at::ScalarType> dtype) {
  const at::ScalarType target = dtype.value_or(model.dtype());
  const std::string torch_dtype = hf_torch_dtype(target);
  std::vector<NamedTensor> tensors;
  for (const auto& item : model.named_parameters()) tensors.push_back({item.key(), item.value()});
  for (const auto& item : model.named_buffers()) tensors.push_back({item.key(), item.value()});
  fs::create_directories(dir);
  // Streamed: one tensor at a time is converted, so saving holds no second copy of the model.
  save_tensors(dir / "model.safetensors", tensors, {{"format", "pt"}}, target);
  write_file_atomically(dir / "config.json",
                        to_hf_config_json(model.config(), torch_dtype).dump(2) + "\n");
}

}  // namespace hc
