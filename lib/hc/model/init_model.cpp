#include "hc/model/init_model.h"

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/core/sha256.h"
#include "hc/model/clip_model.h"
#include "hc/model/clip_weights.h"
#include "hc/model/tokenizer_files.h"
#include "hc/tensor/device.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/vision/preprocess_config.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

// A folder removed when the object goes away unless released (after its rename).
class TempFolder {
 public:
  explicit TempFolder(fs::path path) : path_(std::move(path)) {
    std::error_code ec;
    fs::remove_all(path_, ec);
    fs::create_directories(path_, ec);
    if (ec) throw runtime_error("cannot create the folder {}: {}", path_.string(), ec.message());
  }
  ~TempFolder() {
    if (path_.empty()) return;
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const fs::path& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

fs::path sibling(const fs::path& out, const std::string& suffix) {
  fs::path normal = fs::absolute(out).lexically_normal();
  if (normal.filename().empty()) normal = normal.parent_path();
  return normal.parent_path() / (normal.filename().string() + suffix);
}

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

void check_vocab_size(const fs::path& dir, const ClipConfig& config) {
  const int32_t size = ClipTokenizer::load(dir).vocab_size();
  if (size != config.text.vocab_size) {
    throw usage_error("the vocabulary has {} tokens but {} needs {}", size, config.name,
                      config.text.vocab_size);
  }
}

// Renames temp to target; an existing target is replaced only when `replace` is set (it is
// moved aside first and put back if the rename fails).
void move_into_place(const fs::path& temp, const fs::path& target, bool replace) {
  std::error_code ec;
  fs::path old;
  if (fs::exists(target, ec)) {
    if (!replace) throw usage_error("{} already exists (created meanwhile?)", target.string());
    old = sibling(target, fmt::format(".old.tmp.{}", ::getpid()));
    fs::rename(target, old, ec);
    if (ec) throw runtime_error("cannot replace {}: {}", target.string(), ec.message());
  }
  fs::rename(temp, target, ec);
  if (ec) {
    std::error_code ignored;
    if (!old.empty()) fs::rename(old, target, ignored);
    throw runtime_error("cannot rename {} to {}: {}", temp.string(), target.string(),
                        ec.message());
  }
  if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace

std::string clip_preprocessor_config_json(int64_t image_size) {
  PreprocessConfig config = PreprocessConfig::clip_default();
  config.shortest_edge = config.crop_height = config.crop_width = static_cast<int>(image_size);
  // nlohmann::json sorts its keys, as transformers does when it writes the file.
  nlohmann::json fields = nlohmann::json::parse(config.to_json());
  fields.erase("preset_or_file");
  // CLIP's mean and std as openai/clip-vit-* write them (to_json gives float32's shortest forms).
  fields["image_mean"] = {0.48145466, 0.4578275, 0.40821073};
  fields["image_std"] = {0.26862954, 0.26130258, 0.27577711};
  fields["image_processor_type"] = "CLIPImageProcessor";
  fields["processor_class"] = "CLIPProcessor";
  return fields.dump(2) + "\n";
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

  TempFolder temp(sibling(options.out, fmt::format(".tmp.{}", ::getpid())));
  write_tokenizer_files(vocabulary, temp.path(), config.text.max_positions);
  check_vocab_size(temp.path(), config);
  write_file_atomically(temp.path() / "preprocessor_config.json",
                        clip_preprocessor_config_json(config.vision.image_size));

  InitModelResult result;
  {
    spdlog::info("initialising {} (seed {})", config.name, options.seed);
    ClipModel model = random_clip(config, options.seed, at::kCPU, at::kFloat);
    for (const auto& parameter : model->parameters()) result.parameters += parameter.numel();
    spdlog::info("writing {} parameters as {}", result.parameters,
                 scalar_type_label(options.dtype));
    save_clip_hf(*model, temp.path(), options.dtype);
  }
  result.weights_sha256 = sha256_file(temp.path() / "model.safetensors");

  move_into_place(temp.path(), options.out, options.replace);
  temp.release();
  result.dir = options.out;
  result.architecture = config.name;
  result.vocabulary = vocabulary;
  return result;
}

}  // namespace hc
