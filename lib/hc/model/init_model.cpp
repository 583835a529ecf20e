#include "hc/model/init_model.h"

#include <spdlog/spdlog.h>

#include "hc/core/error.h"
#include "hc/core/sha256.h"
#include "hc/model/clip_model.h"
#include "hc/model/checkpoint.h"
#include "hc/model/tokenizer_files.h"
#include "hc/tensor/device.h"
#include "hc/vision/preprocess_config.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

fs::path required_vocabulary(const fs::path& given) {
  const fs::path vocabulary = vocabulary_or_environment(given);
  if (vocabulary.empty()) {
    throw usage_error("init-model needs CLIP's tokenizer vocabulary to write a complete "
                      "checkpoint: give --vocab with {}",
                      vocabulary_hint());
  }
  std::error_code ec;
  if (!fs::exists(vocabulary, ec)) {
    throw usage_error("vocabulary {}: no such file or folder (--vocab or $HC_VOCAB)",
                      vocabulary.string());
  }
  return vocabulary;
}

}  // namespace

std::string clip_preprocessor_config_json(int64_t image_size) {
  PreprocessConfig config = PreprocessConfig::clip_default();
  config.shortest_edge = config.crop_height = config.crop_width = static_cast<int>(image_size);
  return hf_preprocessor_config_json(config);
}

InitModelResult init_model(const InitModelOptions& options) {
  const ClipConfig config = builtin_clip_config(options.architecture);
  const fs::path vocabulary = required_vocabulary(options.vocab);
  if (options.out.empty()) throw usage_error("init-model: no output folder given (--out)");
  std::error_code ec;
  if (fs::exists(options.out, ec) && !options.replace) {
    throw usage_error("{} already exists: choose another --out, or --force to replace it",
                      options.out.string());
  }

  InitModelResult result;
  {
    spdlog::info("initialising {} (seed {})", config.name, options.seed);
    ClipModel model = random_clip(config, options.seed, at::kCPU, at::kFloat);
    for (const auto& parameter : model->parameters()) result.parameters += parameter.numel();
    spdlog::info("writing {} parameters as {}", result.parameters,
                 scalar_type_label(options.dtype));
    ClipCheckpointOptions save;
    save.dtype = options.dtype;
    save.vocabulary = vocabulary;
    save.replace = options.replace;
    save_clip_checkpoint(*model, options.out, save);
  }
  result.weights_sha256 = sha256_file(options.out / "model.safetensors");
  result.dir = options.out;
  result.architecture = config.name;
  result.vocabulary = vocabulary;
  return result;
}

}  // namespace hc
