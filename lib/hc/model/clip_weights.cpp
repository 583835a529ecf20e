#include "hc/model/clip_weights.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/model/weight_plan.h"

namespace hc {
namespace fs = std::filesystem;

const char* clip_naming_name(ClipNaming naming) {
  return naming == ClipNaming::HuggingFace ? "Hugging Face" : "OpenCLIP";
}

ClipNaming detect_clip_naming(const SafetensorsCheckpoint& checkpoint) {
  for (const char* name : {"text_model.embeddings.token_embedding.weight",
                           "vision_model.embeddings.patch_embedding.weight"}) {
    if (checkpoint.contains(name)) return ClipNaming::HuggingFace;
  }
  for (const char* name : {"token_embedding.weight", "visual.conv1.weight"}) {
    if (checkpoint.contains(name)) return ClipNaming::OpenClip;
  }
  throw runtime_error("{}: not a CLIP checkpoint: it has neither Hugging Face names "
                      "(text_model.embeddings.token_embedding.weight, ...) nor OpenAI/OpenCLIP "
                      "names (token_embedding.weight, visual.conv1.weight, ...)",
                      checkpoint.description());
}

void load_clip_weights(ClipModelImpl& model, const SafetensorsCheckpoint& checkpoint,
                       ClipNaming naming) {
  WeightSourceFor source_for;
  if (naming == ClipNaming::HuggingFace) {
    source_for = [](const std::string& name) { return WeightSource{name}; };
  } else {
    source_for = openclip_source;
  }
  load_weight_plan(model, checkpoint, source_for,
                   fmt::format("{} ({}-named)", model.config().name, clip_naming_name(naming)));
}

namespace {

constexpr const char* kHfConfig = "config.json";
constexpr const char* kOpenClipConfig = "open_clip_config.json";
constexpr const char* kOpenClipWeights = "open_clip_model.safetensors";

// The weights to open for a folder: Hugging Face's model.safetensors (or index) when a config
// for it exists, else OpenCLIP's file.
fs::path weights_in_folder(const fs::path& dir, bool have_architecture) {
  bool hf_weights = fs::is_regular_file(dir / "model.safetensors") ||
                    fs::is_regular_file(dir / "model.safetensors.index.json");
  if (hf_weights && (have_architecture || fs::is_regular_file(dir / kHfConfig))) return dir;
  if (fs::is_regular_file(dir / kOpenClipWeights)) return dir / kOpenClipWeights;
  if (hf_weights) {
    throw usage_error("{}: has model.safetensors but no {}; give the architecture name",
                      dir.string(), kHfConfig);
  }
  throw usage_error("{}: not a CLIP model folder: expected {} + model.safetensors (or "
                    "model.safetensors.index.json), or {} (+ {})",
                    dir.string(), kHfConfig, kOpenClipWeights, kOpenClipConfig);
}

ClipConfig config_beside(const fs::path& dir, ClipNaming naming, const fs::path& weights) {
  const char* file = naming == ClipNaming::HuggingFace ? kHfConfig : kOpenClipConfig;
  if (!fs::is_regular_file(dir / file)) {
    throw usage_error("{}: {}-named weights with no {} beside them; give the architecture name "
                      "({})",
                      weights.string(), clip_naming_name(naming), file,
                      fmt::join(builtin_clip_config_names(), ", "));
  }
  return naming == ClipNaming::HuggingFace ? load_hf_clip_config(dir / file)
                                           : load_open_clip_config(dir / file);
}

}  // namespace

fs::path clip_weights_location(const fs::path& dir_or_weights_file,
                               const std::string& architecture) {
  if (!fs::exists(dir_or_weights_file)) {
    throw usage_error("model {} does not exist", dir_or_weights_file.string());
  }
  return fs::is_directory(dir_or_weights_file)
             ? weights_in_folder(dir_or_weights_file, !architecture.empty())
             : dir_or_weights_file;
}

ClipModel load_clip(const fs::path& dir_or_weights_file, at::Device device, at::ScalarType dtype,
                    const std::string& architecture) {
  require_dtype_support(device, dtype);
  const fs::path weights = clip_weights_location(dir_or_weights_file, architecture);
  const fs::path dir = fs::is_directory(dir_or_weights_file) ? dir_or_weights_file
                                                             : dir_or_weights_file.parent_path();

  SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint::open(weights);
  const ClipNaming naming = detect_clip_naming(checkpoint);
  ClipConfig config = architecture.empty() ? config_beside(dir, naming, weights)
                                           : builtin_clip_config(architecture);
  ClipModel model(config, at::TensorOptions().device(device).dtype(dtype));
  load_clip_weights(*model, checkpoint, naming);
  model->eval();
  return model;
}

}  // namespace hc
