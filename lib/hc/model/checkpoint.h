#pragma once
// A CLIP checkpoint folder: everything needed to use a model, or to go on training it, written
// as one folder that appears whole or not at all (AtomicDirectory). The layout is a Hugging Face
// CLIP checkpoint's (CLIPModel.from_pretrained, open_clip_bundle and load_clip read it) plus
// optional files of ours:
//   config.json                  the model config (to_hf_config_json)
//   model.safetensors            every parameter and buffer, Hugging Face names, streamed
//   vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json
//   preprocessor_config.json     the image preprocessing (CLIPImageProcessor keys)
//   extra_tensors.safetensors    optional: named tensors trained beside the model (learned
//                                prompts, a learned root; hc::load_root reads it)
//   training_state.json/.safetensors  optional: see hc/train/training_state.h
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "hc/model/clip_model.h"
#include "hc/vision/preprocess_config.h"

namespace hc {

inline constexpr const char* kExtraTensorsFile = "extra_tensors.safetensors";

struct ClipCheckpointOptions {
  // The stored dtype of floating weights (parameters and floating buffers); default the model's.
  std::optional<at::ScalarType> dtype;
  // The tokenizer's source, as write_tokenizer_files takes it: a folder with vocab.json +
  // merges.txt (the checkpoint the model came from), one of those files, or OpenAI's
  // bpe_simple_vocab_16e6.txt.gz. Empty: $HC_VOCAB; neither is a usage hc::Error.
  std::filesystem::path vocabulary;
  // Default: CLIP's standard preprocessing at the model's image size.
  std::optional<PreprocessConfig> preprocess;
  // Saved in extra_tensors.safetensors (when not empty) in their own dtypes.
  std::map<std::string, at::Tensor> extra_tensors;
  // Called with the temporary folder after everything else is written and before the folder is
  // committed, to add files of its own (e.g. the training state); what it throws aborts the save.
  std::function<void(const std::filesystem::path& folder)> write_more;
  // Replace an existing folder (atomically) instead of refusing with a usage hc::Error.
  bool replace = false;
};

// Writes the checkpoint folder `dir` (see the layout above). On any error nothing is left under
// `dir` (an existing folder stays as it was) and no temporary folder remains.
void save_clip_checkpoint(const ClipModelImpl& model, const std::filesystem::path& dir,
                          const ClipCheckpointOptions& options);

struct ClipCheckpoint {
  ClipModel model{nullptr};
  std::map<std::string, at::Tensor> extra_tensors;  // empty when the folder has none
};

// The model (load_clip: on device in dtype, eval mode) and the extra tensors of a folder.
ClipCheckpoint load_clip_checkpoint(const std::filesystem::path& dir, at::Device device,
                                    at::ScalarType dtype);

// The tensors of dir/extra_tensors.safetensors on device in their stored dtypes; an empty map
// when the file does not exist.
std::map<std::string, at::Tensor> load_extra_tensors(const std::filesystem::path& dir,
                                                     at::Device device);

// preprocessor_config.json for `config` in the form Hugging Face's CLIPImageProcessor writes
// (dict sizes, sorted keys; CLIP's mean and std as the openai/clip-vit-* files spell them).
std::string hf_preprocessor_config_json(const PreprocessConfig& config);

}  // namespace hc
