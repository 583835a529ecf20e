#include "hc/model/clip_bundle.h"

#include <algorithm>
#include <vector>

#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/hub/model_source.h"
#include "hc/io/safetensors.h"
#include "hc/model/clip_weights.h"
#include "hc/model/tokenizer_files.h"
#include "hc/model/weights_fingerprint.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPreprocessorConfig = "preprocessor_config.json";

// The folder holding the checkpoint's other files: the folder itself, or the weights file's.
fs::path checkpoint_folder(const hub::ModelSource& source) {
  if (source.kind != hub::ModelSource::Kind::File) return source.path;
  return source.path.has_parent_path() ? source.path.parent_path() : fs::path(".");
}

std::string display_name(const hub::ModelSource& source) {
  if (source.kind == hub::ModelSource::Kind::HubCache) return source.repo_id;
  fs::path normal = fs::absolute(source.path).lexically_normal();
  if (normal.filename().empty()) normal = normal.parent_path();  // "dir/" -> "dir"
  return normal.filename().string();
}

ModelIdentity identity_of(const std::string& spec, const hub::ModelSource& source,
                          const std::string& architecture) {
  ModelIdentity identity;
  identity.spec = spec;
  identity.path = fs::absolute(source.path).lexically_normal();
  identity.name = display_name(source);
  identity.architecture = architecture;
  const SafetensorsCheckpoint checkpoint =
      SafetensorsCheckpoint::open(clip_weights_location(source.path, architecture));
  identity.weights_sha256 = weights_sha256(weights_files(checkpoint));
  return identity;
}

ClipTokenizer bundle_tokenizer(const fs::path& folder, const fs::path& vocab) {
  if (has_tokenizer_files(folder)) return ClipTokenizer::load(folder);
  const fs::path chosen = vocabulary_or_environment(vocab);
  if (chosen.empty()) {
    throw usage_error("{}: the checkpoint has no tokenizer files (vocab.json + merges.txt) and "
                      "no vocabulary was given; give {}",
                      folder.string(), vocabulary_hint());
  }
  return ClipTokenizer::load(chosen);
}

bool is_preset(const std::string& name) {
  const std::vector<std::string> names = PreprocessConfig::preset_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// options.preprocess, else the checkpoint's file, else CLIP's standard settings at the model's
// image size.
PreprocessConfig bundle_preprocess(const fs::path& folder, const std::string& choice,
                                   int64_t image_size) {
  if (!choice.empty()) {
    if (is_preset(choice)) return PreprocessConfig::preset(choice);
    std::error_code ec;
    if (fs::exists(choice, ec)) return PreprocessConfig::from_json_file(choice);
    throw usage_error("preprocessing '{}' is neither a preset ({}) nor an existing {} or folder "
                      "holding one",
                      choice, fmt::join(PreprocessConfig::preset_names(), ", "),
                      kPreprocessorConfig);
  }
  if (fs::is_regular_file(folder / kPreprocessorConfig)) {
    return PreprocessConfig::from_json_file(folder / kPreprocessorConfig);
  }
  PreprocessConfig config = PreprocessConfig::clip_default();
  const int size = static_cast<int>(image_size);
  config.shortest_edge = config.resize_height = config.resize_width = size;
  config.crop_height = config.crop_width = size;
  return config;
}

void check_image_size(const PreprocessConfig& preprocess, const ClipConfig& config) {
  const int64_t size = config.vision.image_size;
  if (preprocess.has_fixed_output_size() &&
      (preprocess.output_height() != size || preprocess.output_width() != size)) {
    throw usage_error("preprocessing {} makes {}x{} images, but the model ({}) takes {}x{}",
                      preprocess.name, preprocess.output_height(), preprocess.output_width(),
                      config.name, size, size);
  }
}

}  // namespace

ModelIdentity identify_model(const std::string& spec, const std::string& architecture) {
  return identity_of(spec, hub::resolve_model_source(spec), architecture);
}

ClipBundle open_clip_bundle(const std::string& spec, at::Device device, at::ScalarType dtype,
                            const ClipBundleOptions& options) {
  const hub::ModelSource source = hub::resolve_model_source(spec);
  const fs::path folder = checkpoint_folder(source);
  // The tokenizer first: a missing vocabulary is reported before gigabytes are read.
  ClipTokenizer tokenizer = bundle_tokenizer(folder, options.vocab);
  ClipModel model = load_clip(source.path, device, dtype, options.architecture);
  PreprocessConfig preprocess =
      bundle_preprocess(folder, options.preprocess, model->config().vision.image_size);
  check_image_size(preprocess, model->config());
  ModelIdentity identity = identity_of(spec, source, options.architecture);
  return ClipBundle{std::move(model), std::move(tokenizer), std::move(preprocess),
                    std::move(identity)};
}

}  // namespace hc
