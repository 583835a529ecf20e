#include "hc/model/checkpoint.h"

#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/atomic_directory.h"
#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/model/clip_weights.h"
#include "hc/model/tokenizer_files.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

PreprocessConfig clip_preprocess_at(int64_t image_size) {
  PreprocessConfig config = PreprocessConfig::clip_default();
  const int size = static_cast<int>(image_size);
  config.shortest_edge = config.resize_height = config.resize_width = size;
  config.crop_height = config.crop_width = size;
  return config;
}

fs::path required_vocabulary(const fs::path& given, const fs::path& dir) {
  const fs::path vocabulary = vocabulary_or_environment(given);
  if (vocabulary.empty()) {
    throw usage_error("saving the checkpoint {} needs CLIP's tokenizer vocabulary: give {}",
                      dir.string(), vocabulary_hint());
  }
  return vocabulary;
}

void check_vocab_size(const fs::path& folder, const ClipConfig& config) {
  const int32_t size = ClipTokenizer::load(folder).vocab_size();
  if (size != config.text.vocab_size) {
    throw usage_error("the vocabulary has {} tokens but {} needs {}", size, config.name,
                      config.text.vocab_size);
  }
}

void save_extra_tensors(const std::map<std::string, at::Tensor>& tensors, const fs::path& folder) {
  std::vector<NamedTensor> named;
  for (const auto& [name, tensor] : tensors) named.push_back({name, tensor});
  save_tensors(folder / kExtraTensorsFile, named, {{"format", "pt"}});
}

}  // namespace

std::string hf_preprocessor_config_json(const PreprocessConfig& config) {
  // nlohmann::json sorts its keys, as transformers does when it writes the file.
  nlohmann::json fields = nlohmann::json::parse(config.to_json());
  fields.erase("preset_or_file");
  // CLIP's mean and std as openai/clip-vit-* write them (to_json gives float32's shortest forms).
  const PreprocessConfig clip = PreprocessConfig::clip_default();
  if (config.image_mean == clip.image_mean) {
    fields["image_mean"] = {0.48145466, 0.4578275, 0.40821073};
  }
  if (config.image_std == clip.image_std) {
    fields["image_std"] = {0.26862954, 0.26130258, 0.27577711};
  }
  fields["image_processor_type"] = "CLIPImageProcessor";
  fields["processor_class"] = "CLIPProcessor";
  return fields.dump(2) + "\n";
}

void save_clip_checkpoint(const ClipModelImpl& model, const fs::path& dir,
                          const ClipCheckpointOptions& options) {
  const ClipConfig& config = model.config();
  const fs::path vocabulary = required_vocabulary(options.vocabulary, dir);
  AtomicDirectory folder(dir, options.replace ? AtomicDirectory::IfExists::Replace
                                              : AtomicDirectory::IfExists::Refuse);
  // The small files first: a bad vocabulary fails before the weights are written.
  write_tokenizer_files(vocabulary, folder.path(), config.text.max_positions);
  check_vocab_size(folder.path(), config);
  write_file_atomically(folder.path() / "preprocessor_config.json",
                        hf_preprocessor_config_json(options.preprocess.value_or(
                            clip_preprocess_at(config.vision.image_size))));
  save_clip_hf(model, folder.path(), options.dtype);
  if (!options.extra_tensors.empty()) save_extra_tensors(options.extra_tensors, folder.path());
  if (options.write_more) options.write_more(folder.path());
  folder.commit();
}

std::map<std::string, at::Tensor> load_extra_tensors(const fs::path& dir, at::Device device) {
  std::map<std::string, at::Tensor> tensors;
  const fs::path path = dir / kExtraTensorsFile;
  std::error_code ec;
  if (!fs::exists(path, ec)) return tensors;
  const auto file = SafetensorsFile::open(path);
  for (const std::string& name : file->names()) tensors[name] = to_tensor(file->get(name), device);
  return tensors;
}

ClipCheckpoint load_clip_checkpoint(const fs::path& dir, at::Device device, at::ScalarType dtype) {
  if (!fs::is_directory(dir)) {
    throw usage_error("{} is not a checkpoint folder", dir.string());
  }
  ClipCheckpoint checkpoint;
  checkpoint.model = load_clip(dir, device, dtype);
  checkpoint.extra_tensors = load_extra_tensors(dir, device);
  return checkpoint;
}

}  // namespace hc
