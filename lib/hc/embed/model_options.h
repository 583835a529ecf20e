#pragma once
// The model.* config keys every tool that embeds with a CLIP model shares, declared once with
// their command-line flags: where the checkpoint comes from, its tokenizer and preprocessing,
// and how the embedding engine runs.
#include <filesystem>
#include <string>

#include "hc/embed/embed_options.h"
#include "hc/model/clip_bundle.h"

namespace hc {

class ConfigSchema;
struct ComputeOptions;

struct ModelOptions {
  std::string path;                  // model.path: folder, weights file or cached hub id
  std::string architecture;          // model.architecture: builtin config of bare OpenCLIP weights
  std::filesystem::path vocab;       // model.vocab: tokenizer files when the checkpoint has none
  std::string preprocess;            // model.preprocess: preset or preprocessor_config.json
  int batch_size = 64;               // model.batch_size: texts or images per forward pass
  bool cache = true;                 // model.cache: the on-disk embedding cache
  std::filesystem::path cache_dir;   // model.cache_dir: empty = the default folder
  std::string cache_max_size = "20G";  // model.cache_max_size: LRU cap of the cache folder
  bool normalise = true;             // unit-length embeddings (a tool's choice, not a key)
  bool show_progress = true;         // progress per call (a tool's choice, not a key)

  // Keys <section>.*; the flags (--model, --arch, --vocab, --preprocess, --batch-size,
  // --no-cache) only for the section "model", so a second model section has none.
  void declare(ConfigSchema& schema, const std::string& section = "model");

  ClipBundleOptions bundle_options() const;
  // Batch size, cache and the worker threads of compute.threads.
  EmbedOptions embed_options(const ComputeOptions& compute) const;
};

}  // namespace hc
