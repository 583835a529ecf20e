#pragma once
// The model.* config keys every tool that embeds with a CLIP model shares, declared once: where
// the checkpoint comes from, its tokenizer and preprocessing, and how the embedding engine runs.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "hc/embed/embed_options.h"
#include "hc/model/clip_bundle.h"

namespace hc {

class ConfigSchema;

struct ModelOptions {
  std::string path;                  // model.path: folder, weights file or cached hub id
  std::string architecture;          // model.architecture: builtin config of bare OpenCLIP weights
  std::filesystem::path vocab;       // model.vocab: tokenizer files when the checkpoint has none
  std::string preprocess;            // model.preprocess: preset or preprocessor_config.json
  int batch_size = 64;               // model.batch_size: texts or images per forward pass
  bool cache = true;                 // model.cache: the on-disk embedding cache
  std::filesystem::path cache_dir;   // model.cache_dir: empty = the default folder

  void declare(ConfigSchema& schema, const std::string& section = "model");

  ClipBundleOptions bundle_options() const;
  EmbedOptions embed_options() const;  // batch size and cache; threads etc. stay at defaults
};

// The "model" object of result JSONs and sidecars: {spec, path, name, architecture, sha256}.
nlohmann::ordered_json model_identity_json(const ModelIdentity& identity);

}  // namespace hc
