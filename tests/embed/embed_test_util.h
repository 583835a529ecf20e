#pragma once
// Shared by the embedding tests: fixture bundles (made directly with load_clip, so these tests
// do not depend on model-source resolution), fixture texts, images and reference outputs.
#include "catch_torch.h"

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/embed/embed_options.h"
#include "hc/io/safetensors.h"
#include "hc/model/clip_bundle.h"
#include "hc/model/clip_weights.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/vision/preprocess_config.h"
#include "test_support.h"

namespace hc::test {

inline std::filesystem::path model_dir(const std::string& name) {
  return shared_path("fixtures/model/" + name);
}

inline ClipBundle fixture_bundle(const std::string& name = "tiny-quickgelu",
                                 at::ScalarType dtype = at::kFloat) {
  const std::filesystem::path dir = model_dir(name);
  ModelIdentity identity;
  identity.spec = dir.string();
  identity.path = dir;
  identity.name = name;
  identity.weights_sha256 = "fixture-" + name;  // any stable key will do for the cache
  return ClipBundle{load_clip(dir, at::kCPU, dtype), ClipTokenizer::load(dir),
                    PreprocessConfig::from_json_file(dir), identity};
}

inline nlohmann::json fixture_texts_json(const std::string& name = "tiny-quickgelu") {
  return nlohmann::json::parse(read_bytes(model_dir(name) / "texts.json"));
}

inline std::vector<std::string> fixture_texts(const std::string& name = "tiny-quickgelu") {
  return fixture_texts_json(name)["texts"].get<std::vector<std::string>>();
}

// The fixture images in the order of texts.json "images" (= rows of expected image_embeds):
// the COCO ones live in the HierarCaps test images, the synthetic ones beside images.json.
inline std::vector<std::filesystem::path> fixture_images(const std::string& name = "tiny-quickgelu") {
  std::vector<std::filesystem::path> paths;
  const nlohmann::json texts_json = fixture_texts_json(name);
  for (const auto& file : texts_json.at("images")) {
    const std::string file_name = file.get<std::string>();
    const bool coco = file_name.rfind("COCO_", 0) == 0;
    paths.push_back(coco ? shared_path("data/hierarcaps/test_imgs/" + file_name)
                         : shared_path("fixtures/preprocess/images/" + file_name));
  }
  return paths;
}

inline at::Tensor expected_tensor(const std::string& tensor,
                                  const std::string& name = "tiny-quickgelu") {
  auto file = SafetensorsFile::open(model_dir(name) / "expected.safetensors");
  return to_tensor(file->get(tensor), at::kCPU, at::kFloat);
}

inline at::Tensor unit(const at::Tensor& x) {
  return x / x.norm(2, {1}, true).clamp_min(1e-12);
}

// Options for tests: no progress output, the cache in `cache_dir` (off when empty).
inline EmbedOptions test_options(int batch_size, const std::filesystem::path& cache_dir = {}) {
  EmbedOptions options;
  options.batch_size = batch_size;
  options.threads = 2;
  options.show_progress = false;
  options.use_cache = !cache_dir.empty();
  options.cache_dir = cache_dir;
  return options;
}

// The fixture tolerance (fixtures/model/README.md): allclose(rtol=2e-5, atol=2e-5).
inline bool close(const at::Tensor& a, const at::Tensor& b) {
  return a.sizes() == b.sizes() && at::allclose(a, b, 2e-5, 2e-5);
}

}  // namespace hc::test
