#pragma once
// Loading and saving CLIP weights: Hugging Face names (config.json + model.safetensors or a
// sharded index) and OpenAI/OpenCLIP names (open_clip_model.safetensors + open_clip_config.json
// or an architecture name). Loading is strict: every parameter must be in the file with its
// shape, and every tensor in the file must be used (only "*position_ids" buffers are ignored).
#include <filesystem>
#include <optional>
#include <string>

#include "hc/model/clip_model.h"

namespace hc {

class SafetensorsCheckpoint;

enum class ClipNaming { HuggingFace, OpenClip };
const char* clip_naming_name(ClipNaming naming);  // "Hugging Face", "OpenCLIP"

// Decides from the tensor names; throws an hc::Error naming the checkpoint when it is neither.
ClipNaming detect_clip_naming(const SafetensorsCheckpoint& checkpoint);

// Copies every parameter (and buffer) of model from checkpoint, converting each tensor straight
// to the model's device and dtype (no second full copy of the model is held). On any mismatch
// nothing is copied and one hc::Error lists the missing, unexpected and wrongly shaped tensors
// (the first few of each, with counts) and names the checkpoint.
void load_clip_weights(ClipModelImpl& model, const SafetensorsCheckpoint& checkpoint,
                       ClipNaming naming);

// Loads a model from
//  - a folder with config.json + model.safetensors or model.safetensors.index.json (HF layout),
//  - a folder with open_clip_model.safetensors (+ open_clip_config.json), or
//  - a .safetensors / .safetensors.index.json file: its naming is detected from the tensor
//    names, its config read from config.json (HF names) or open_clip_config.json (OpenCLIP
//    names) beside it.
// A non-empty `architecture` (a builtin_clip_config name, e.g. "ViT-B-32") is the config
// instead of any config file: the way to load a bare OpenCLIP weights file. Checks that dtype
// can run on device first (require_dtype_support). The model is returned in eval mode.
ClipModel load_clip(const std::filesystem::path& dir_or_weights_file, at::Device device,
                    at::ScalarType dtype, const std::string& architecture = "");

// What load_clip(dir_or_weights_file, ..., architecture) reads, as SafetensorsCheckpoint::open
// takes it: the folder (Hugging Face weights), the OpenCLIP file in it, or the file given. Throws
// the errors load_clip throws for a folder without CLIP weights.
std::filesystem::path clip_weights_location(const std::filesystem::path& dir_or_weights_file,
                                            const std::string& architecture = "");

// Writes the model in Hugging Face layout: dir/config.json and dir/model.safetensors (HF names,
// parameters and buffers, floating ones in `dtype`, default the model's; streamed one tensor at a
// time), each atomically; creates dir. Tokenizer and preprocessor files are not written:
// save_clip_checkpoint (hc/model/checkpoint.h) writes a complete folder.
void save_clip_hf(const ClipModelImpl& model, const std::filesystem::path& dir,
                  std::optional<at::ScalarType> dtype = std::nullopt);

}  // namespace hc
