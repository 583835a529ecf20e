#include "hc/model/model_options.h"

#include "hc/core/config.h"

namespace hc {

void ModelOptions::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".path", path, "CLIP model: folder, weights file or cached hub id");
  schema.add(section + ".architecture", architecture,
             "builtin architecture of a bare OpenCLIP weights file (e.g. ViT-B-32)");
  schema.add(section + ".vocab", vocab, "tokenizer files when the checkpoint has none");
  schema.add(section + ".preprocess", preprocess,
             "image preprocessing: preset or preprocessor_config.json (default: the model's)");
  schema.add(section + ".batch_size", batch_size, "texts or images per forward pass")
      .check_positive();
  schema.add(section + ".cache", cache, "use the on-disk embedding cache");
  schema.add(section + ".cache_dir", cache_dir,
             "embedding cache folder (default: $HC_CACHE_DIR/embeddings)");
}

ClipBundleOptions ModelOptions::bundle_options() const {
  ClipBundleOptions options;
  options.architecture = architecture;
  options.vocab = vocab;
  options.preprocess = preprocess;
  return options;
}

EmbedOptions ModelOptions::embed_options() const {
  EmbedOptions options;
  options.batch_size = batch_size;
  options.use_cache = cache;
  options.cache_dir = cache_dir;
  return options;
}

nlohmann::ordered_json model_identity_json(const ModelIdentity& identity) {
  return {{"spec", identity.spec},
          {"path", identity.path.string()},
          {"name", identity.name},
          {"architecture", identity.architecture},
          {"sha256", identity.weights_sha256}};
}

}  // namespace hc
