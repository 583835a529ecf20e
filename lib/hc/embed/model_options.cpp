#include "hc/embed/model_options.h"

#include "hc/core/byte_size.h"
#include "hc/core/compute_options.h"
#include "hc/core/config.h"
#include "hc/core/error.h"

namespace hc {

void ModelOptions::declare(ConfigSchema& schema, const std::string& section) {
  const bool flags = section == "model";
  auto path_key = schema.add(section + ".path", path,
                             "CLIP model: folder, weights file or cached hub id");
  path_key.relative_to_config();
  auto architecture_key =
      schema.add(section + ".architecture", architecture,
                 "builtin architecture of a bare OpenCLIP weights file (e.g. ViT-B-32)");
  auto vocab_key =
      schema.add(section + ".vocab", vocab, "tokenizer files when the checkpoint has none");
  auto preprocess_key = schema.add(
      section + ".preprocess", preprocess,
      "image preprocessing: preset or preprocessor_config.json (default: the model's)");
  preprocess_key.relative_to_config();
  auto batch_key =
      schema.add(section + ".batch_size", batch_size, "texts or images per forward pass");
  batch_key.check_positive();
  auto cache_key = schema.add(section + ".cache", cache, "use the on-disk embedding cache");
  schema.add(section + ".cache_dir", cache_dir,
             "embedding cache folder (default: $HC_CACHE_DIR/embeddings)");
  schema.add(section + ".cache_max_size", cache_max_size,
             "size cap of the cache folder, least recently used keys removed first (e.g. 500M, "
             "20G; 0 = none)")
      .check([](const std::string& text) {
        try {
          parse_byte_size(text, "cache_max_size");
          return true;
        } catch (const Error&) {
          return false;
        }
      }, "a size such as 500M, 20G or 1.5T");
  if (flags) {
    path_key.flag("--model,-m");
    architecture_key.flag("--arch");
    vocab_key.flag("--vocab");
    preprocess_key.flag("--preprocess");
    batch_key.flag("--batch-size");
    cache_key.flag_value("--no-cache", "false");
  }
}

ClipBundleOptions ModelOptions::bundle_options() const {
  ClipBundleOptions options;
  options.architecture = architecture;
  options.vocab = vocab;
  options.preprocess = preprocess;
  return options;
}

EmbedOptions ModelOptions::embed_options(const ComputeOptions& compute) const {
  EmbedOptions options;
  options.batch_size = batch_size;
  options.use_cache = cache;
  options.cache_dir = cache_dir;
  options.cache_max_bytes = parse_byte_size(cache_max_size, "model.cache_max_size");
  options.normalise = normalise;
  options.show_progress = show_progress;
  options.threads = compute.resolved_threads();
  return options;
}

}  // namespace hc
