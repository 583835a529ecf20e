// Parity with the reference outputs of fixtures/model (see its README): every floating tensor
// of expected.safetensors within allclose(rtol=2e-5, atol=2e-5) in float32 on the CPU, eot_index
// exact; fp16/bf16 against the float32 reference by per-row cosine and max abs difference.

#include "catch_torch.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "hc/core/thread_pool.h"
#include "hc/model/clip_weights.h"
#include "hc/tensor/device.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/vision/preprocess.h"
#include "model_test_util.h"

namespace fs = std::filesystem;
using hc::test::model_fixture;

namespace {

struct Variant {
  std::string label;
  std::string fixture;       // folder under fixtures/model
  std::string weights;       // "" = the folder itself, else a file in it
  std::string architecture;  // for a bare OpenCLIP file
};

const std::vector<Variant> kVariants{
    {"tiny-quickgelu (HF names, F16)", "tiny-quickgelu", "", ""},
    {"tiny-quickgelu (OpenCLIP names, BF16, open_clip_config.json)", "tiny-quickgelu",
     "open_clip_model.safetensors", ""},
    {"tiny-quickgelu (OpenCLIP names, BF16, architecture \"tiny\")", "tiny-quickgelu",
     "open_clip_model.safetensors", "tiny"},
    {"tiny-gelu (HF names, BF16)", "tiny-gelu", "", ""},
};

hc::ClipModel load_variant(const Variant& v, torch::Device device, torch::ScalarType dtype) {
  fs::path path = model_fixture(v.fixture);
  if (!v.weights.empty()) path /= v.weights;
  return hc::load_clip(path, device, dtype, v.architecture);
}

// Our outputs under the names of expected.safetensors.
std::map<std::string, torch::Tensor> run_model(hc::ClipModel& model,
                                               const std::map<std::string, torch::Tensor>& expected,
                                               const torch::Tensor& pixels) {
  torch::NoGradGuard no_grad;
  auto text = model->encode_text(expected.at("input_ids"), expected.at("attention_mask"));
  auto image = model->encode_image(pixels);
  std::map<std::string, torch::Tensor> out{
      {"text_embeds", text.text_embeds},
      {"text_pooled", text.text_pooled},
      {"eot_index", text.eot_index},
      {"image_embeds", image.image_embeds},
      {"vision_pooled", image.vision_pooled},
      {"vision_tokens", image.vision_tokens},
      {"vision_patch_embeds", image.vision_patch_embeds},
      {"logit_scale", model->logit_scale.detach()},
      {"logits_per_image", model->logits_per_image(image.image_embeds, text.text_embeds)},
  };
  for (auto& [name, tensor] : out) tensor = tensor.to(torch::kCPU);
  return out;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

// Rows of the last dimension.
double min_row_cosine(const torch::Tensor& ours, const torch::Tensor& reference) {
  auto a = ours.to(torch::kDouble).reshape({-1, ours.size(-1)});
  auto b = reference.to(torch::kDouble).reshape({-1, reference.size(-1)});
  return torch::cosine_similarity(a, b, 1).min().item<double>();
}

void disable_tf32() {
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
}

}  // namespace

TEST_CASE("CLIP float32 outputs match the reference on every fixture tensor", "[model][parity]") {
  disable_tf32();
  const Variant& variant = GENERATE(from_range(kVariants));
  const torch::Device device = GENERATE(from_range(hc::test::devices_present()));
  INFO(variant.label << " on " << device.str());

  auto expected = hc::test::read_tensors(model_fixture(variant.fixture) / "expected.safetensors");
  hc::ClipModel model = load_variant(variant, device, torch::kFloat);
  auto ours = run_model(model, expected, hc::test::fixture_pixels(variant.fixture));

  for (const auto& [name, reference] : expected) {
    if (name == "input_ids" || name == "attention_mask") continue;  // inputs
    INFO(name);
    REQUIRE(ours.count(name) == 1);
    const torch::Tensor& got = ours.at(name);
    REQUIRE(got.sizes() == reference.sizes());
    if (!reference.is_floating_point()) {
      CHECK(torch::equal(got.to(reference.scalar_type()), reference));
      continue;
    }
    REQUIRE(got.scalar_type() == torch::kFloat);
    double diff = max_abs_diff(got, reference);
    std::printf("parity fp32 %-62s %-20s max abs diff %.3g\n",
                (variant.label + " " + device.str()).c_str(), name.c_str(), diff);
    INFO("max abs diff " << diff);
    CHECK(torch::allclose(got, reference, /*rtol=*/2e-5, /*atol=*/2e-5));
  }
}

TEST_CASE("CLIP fp16 and bf16 outputs stay close to the float32 reference", "[model][parity]") {
  const Variant& variant = GENERATE(from_range(kVariants));
  const torch::Device device = GENERATE(from_range(hc::test::devices_present()));
  const torch::ScalarType dtype = GENERATE(torch::kBFloat16, torch::kHalf);
  INFO(variant.label << " on " << device.str() << " in " << hc::scalar_type_label(dtype));
  // The compute matrix leaves out exactly the pairs this libtorch refuses.
  const auto matrix = hc::test::compute_matrix();
  const bool in_matrix = std::any_of(matrix.begin(), matrix.end(), [&](const auto& c) {
    return c.device == device && c.dtype == dtype;
  });

  hc::ClipModel model{nullptr};
  try {
    model = load_variant(variant, device, dtype);
  } catch (const hc::Error& e) {
    // Only libtorch builds without CPU fp16 kernels (1.13) may refuse, and must say so.
    REQUIRE_FALSE(in_matrix);
    REQUIRE(device.is_cpu());
    REQUIRE(dtype == torch::kHalf);
    CHECK_THAT(e.what(), Catch::Matchers::Contains("fp16") && Catch::Matchers::Contains("cpu"));
    std::printf("parity %s cpu fp16: refused by this libtorch: %s\n", variant.label.c_str(),
                e.what());
    return;
  }
  REQUIRE(in_matrix);
  REQUIRE(model->dtype() == dtype);
  auto expected = hc::test::read_tensors(model_fixture(variant.fixture) / "expected.safetensors");
  auto ours = run_model(model, expected, hc::test::fixture_pixels(variant.fixture));
  CHECK(torch::equal(ours.at("eot_index"), expected.at("eot_index")));
  for (const char* name : {"text_embeds", "image_embeds", "vision_tokens"}) {
    INFO(name);
    double cosine = min_row_cosine(ours.at(name), expected.at(name));
    double diff = max_abs_diff(ours.at(name), expected.at(name));
    std::printf("parity %s %-62s %-14s min cosine %.6f max abs diff %.3g\n",
                hc::scalar_type_label(dtype).c_str(), (variant.label + " " + device.str()).c_str(),
                name, cosine, diff);
    INFO("min cosine " << cosine << ", max abs diff " << diff);
    CHECK(cosine >= 0.999);
    CHECK(diff <= 0.1);
  }
}

TEST_CASE("The project's tokenizer gives the fixture's input_ids", "[model][parity]") {
  const std::string fixture = GENERATE(as<std::string>{}, "tiny-quickgelu", "tiny-gelu");
  INFO(fixture);
  auto expected = hc::test::read_tensors(model_fixture(fixture) / "expected.safetensors");
  auto tokenizer = hc::ClipTokenizer::load(model_fixture(fixture));
  hc::TokenBatch batch = tokenizer.batch(hc::test::fixture_strings(fixture, "texts"), 77,
                                         /*truncate=*/true, /*pad_id=*/0);
  auto as_tensor = [&](const std::vector<int64_t>& values, std::vector<int64_t> shape) {
    return torch::tensor(values, torch::kLong).reshape(shape);
  };
  CHECK(torch::equal(as_tensor(batch.ids, {batch.rows, batch.length}), expected.at("input_ids")));
  CHECK(torch::equal(as_tensor(batch.attention_mask, {batch.rows, batch.length}),
                     expected.at("attention_mask")));
  CHECK(torch::equal(as_tensor(batch.eot_index, {batch.rows}), expected.at("eot_index")));

  // And the model's own pooling positions from those ids.
  hc::ClipModel model = hc::load_clip(model_fixture(fixture), torch::kCPU, torch::kFloat);
  CHECK(torch::equal(model->text_model->eot_positions(expected.at("input_ids")),
                     expected.at("eot_index")));
}

TEST_CASE("Images preprocessed by the project give the reference image embeddings",
          "[model][parity]") {
  const std::string fixture = GENERATE(as<std::string>{}, "tiny-quickgelu", "tiny-gelu");
  INFO(fixture);
  std::vector<fs::path> paths;
  for (const std::string& image : hc::test::fixture_strings(fixture, "images")) {
    fs::path synthetic = hc::test::shared_path("fixtures/preprocess") / "images" / image;
    paths.push_back(fs::exists(synthetic)
                        ? synthetic
                        : hc::test::shared_path("data/hierarcaps/test_imgs/" + image));
  }
  auto config = hc::PreprocessConfig::from_json_file(model_fixture(fixture));
  hc::ThreadPool pool(2);
  std::vector<float> pixels = hc::preprocess_batch(paths, config, pool);
  auto tensor = torch::from_blob(pixels.data(),
                                 {static_cast<int64_t>(paths.size()), 3, 224, 224}, torch::kFloat);

  auto expected = hc::test::read_tensors(model_fixture(fixture) / "expected.safetensors");
  hc::ClipModel model = hc::load_clip(model_fixture(fixture), torch::kCPU, torch::kFloat);
  torch::NoGradGuard no_grad;
  auto image = model->encode_image(tensor);
  CHECK(torch::allclose(image.image_embeds, expected.at("image_embeds"), 2e-5, 2e-5));
  CHECK(torch::allclose(image.vision_tokens, expected.at("vision_tokens"), 2e-5, 2e-5));
}
