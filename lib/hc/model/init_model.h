#pragma once
// A randomly initialised CLIP checkpoint with the real shapes of an architecture, in Hugging
// Face layout, for tests, benchmarks and pipelines that need no trained weights: config.json,
// model.safetensors, vocab.json + merges.txt, tokenizer_config.json, special_tokens_map.json and
// preprocessor_config.json. What `hc init-model` runs.
#include <cstdint>
#include <filesystem>
#include <string>

#include <c10/core/ScalarType.h>

namespace hc {

struct InitModelOptions {
  std::string architecture;          // a builtin_clip_config name: ViT-B-32, ..., tiny
  uint64_t seed = 0;                 // init_clip_weights' seed: same seed, same weights
  std::filesystem::path out;         // the folder to create
  std::filesystem::path vocab;       // see write_tokenizer_files; empty = $HC_VOCAB
  c10::ScalarType dtype = c10::kFloat;  // stored dtype of the weights
  bool replace = false;              // replace an existing `out` instead of refusing
};

struct InitModelResult {
  std::filesystem::path dir;
  std::string architecture;
  int64_t parameters = 0;
  std::string weights_sha256;  // of model.safetensors
  std::filesystem::path vocabulary;
};

// Writes the folder with save_clip_checkpoint: it appears under `out` whole or not at all (an
// interrupted run leaves at most a hidden ".<out>.tmp.*" folder, see AtomicDirectory). Usage
// hc::Errors: unknown architecture, no vocabulary (neither options.vocab nor $HC_VOCAB; the
// message says where to get one), `out` exists without `replace`.
InitModelResult init_model(const InitModelOptions& options);

// The preprocessor_config.json of CLIP's standard preprocessing at image_size, in the current
// (dict) form Hugging Face's CLIPImageProcessor writes.
std::string clip_preprocessor_config_json(int64_t image_size);

}  // namespace hc
