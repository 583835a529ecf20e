#pragma once
// Everything a tool needs to turn texts and images into embeddings with one checkpoint: the
// model, its tokenizer, its image preprocessing, and an identity (where it came from and a
// fingerprint of its weights) that results record and the embedding cache keys on.
#include <filesystem>
#include <string>

#include "hc/model/clip_model.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/vision/preprocess_config.h"

namespace hc {

// weights_sha256: see weights_sha256() in hc/model/weights_fingerprint.h (one file: its
// `sha256sum`; memoised, so only the first run over a checkpoint reads all of its weights).
struct ModelIdentity {
  std::string spec;                    // as the user gave it (folder, file or hub id)
  std::filesystem::path path;          // the resolved folder or weights file
  std::string name;                    // hub id, or the folder / file name
  std::string architecture;            // a builtin name when one was given, else ""
  std::string weights_sha256;          // SHA-256 over the weights files, in name order
};

// Not default-constructible (ClipTokenizer has no empty state): obtain one from
// open_clip_bundle().
struct ClipBundle {
  ClipModel model{nullptr};
  ClipTokenizer tokenizer;
  PreprocessConfig preprocess;
  ModelIdentity identity;
};

struct ClipBundleOptions {
  std::string architecture;  // builtin config name for a bare OpenCLIP weights file
  // Tokenizer files when the checkpoint has none (vocab.json + merges.txt folder or the gz).
  std::filesystem::path vocab;
  // Preprocessing: a preprocessor_config.json file or folder, or a preset name; empty = the
  // checkpoint's preprocessor_config.json when present, else CLIP's standard settings.
  std::string preprocess;
};

// Resolves spec (hc::hub::resolve_model_source: folder, weights file or cached hub id), loads
// the model on device in dtype (load_clip), the tokenizer (from the checkpoint folder, else
// options.vocab, else $HC_VOCAB, else a usage hc::Error saying what is missing and where to get
// it) and the preprocessing (options.preprocess, else the checkpoint's preprocessor_config.json,
// else PreprocessConfig::clip_default() at the model's image size; a fixed output size other
// than the model's image size is a usage hc::Error).
ClipBundle open_clip_bundle(const std::string& spec, at::Device device, at::ScalarType dtype,
                            const ClipBundleOptions& options = {});

// The identity alone, without loading the model (e.g. to look up cached embeddings first).
// architecture: as ClipBundleOptions::architecture.
ModelIdentity identify_model(const std::string& spec, const std::string& architecture = "");

}  // namespace hc
