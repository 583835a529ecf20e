// Hugging Face names: the model's parameter names are the checkpoint's, so loading is the
// identity plan and saving writes named_parameters() as they are.
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
  fs::create_directories(dir);
  SafetensorsWriter writer;
  writer.set_metadata("format", "pt");
  for (const auto& item : model.named_parameters()) {
    add_tensor(writer, item.key(), item.value().detach().to(target));
  }
  writer.write(dir / "model.safetensors");
  write_file_atomically(dir / "config.json",
                        to_hf_config_json(model.config(), torch_dtype).dump(2) + "\n");
}

}  // namespace hc
