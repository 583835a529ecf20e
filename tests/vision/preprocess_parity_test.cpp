// Parity with Hugging Face CLIPImageProcessor (Pillow path) on the shared fixture images
// (../shared/fixtures/preprocess/README.md): the float output within 1e-5, and the decoded,
// resized and cropped uint8 buffers identical (SHA-256, via the system's sha256sum).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/thread_pool.h"
#include "hc/io/safetensors.h"
#include "hc/vision/center_crop.h"
#include "hc/vision/decode_image.h"
#include "hc/vision/pil_resize.h"
#include "hc/vision/preprocess.h"
#include "hc/vision/preprocess_plan.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;

struct FixtureImage {
  std::string file;
  fs::path path;
  int width, height, resized_width, resized_height, crop_left, crop_top;
  std::string sha_decoded, sha_resized, sha_cropped;
};

fs::path fixture_image_path(const nlohmann::json& entry) {
  const std::string file = entry.at("file");
  const std::string location = entry.at("location");
  // images.json says "images/ (this folder)" or "hierarcaps/test_imgs (shared data)".
  if (location.rfind("images/", 0) == 0) {
    return hc::test::shared_path("fixtures/preprocess/images/" + file);
  }
  return hc::test::shared_path("data/hierarcaps/test_imgs/" + file);
}

std::vector<FixtureImage> fixture_images() {
  std::ifstream in(hc::test::shared_path("fixtures/preprocess/images.json"));
  const nlohmann::json document = nlohmann::json::parse(in);
  std::vector<FixtureImage> images;
  for (const auto& entry : document.at("images")) {
    images.push_back({entry.at("file"), fixture_image_path(entry), entry.at("size_wh")[0],
                      entry.at("size_wh")[1], entry.at("resized_wh")[0], entry.at("resized_wh")[1],
                      entry.at("crop_left_top")[0], entry.at("crop_left_top")[1],
                      entry.at("sha256_rgb_uint8_hwc"), entry.at("sha256_resized_uint8_hwc"),
                      entry.at("sha256_cropped_uint8_hwc")});
  }
  REQUIRE(images.size() == 10);
  return images;
}

std::string sha256(const hc::RgbImage& image) {
  hc::test::TempDir scratch;
  const fs::path file = scratch / "pixels";
  hc::test::write_bytes(file, std::string(image.pixels.begin(), image.pixels.end()));
  const auto result = hc::test::run_command("sha256sum " + file.string());
  REQUIRE(result.exit_code == 0);
  return result.out.substr(0, 64);
}

struct Expected {
  std::shared_ptr<hc::SafetensorsFile> file;
  const float* values = nullptr;
  std::size_t image_floats = 0;
};

Expected expected_pixel_values() {
  Expected expected;
  expected.file = hc::SafetensorsFile::open(
      hc::test::shared_path("fixtures/preprocess/expected.safetensors"));
  const hc::TensorView& view = expected.file->get("pixel_values");
  REQUIRE(view.dtype == hc::DType::F32);
  REQUIRE(view.shape == std::vector<int64_t>{10, 3, 224, 224});
  expected.values = reinterpret_cast<const float*>(view.data);
  expected.image_floats = 3 * 224 * 224;
  return expected;
}

float max_abs_difference(const float* a, const float* b, std::size_t count) {
  float worst = 0;
  for (std::size_t i = 0; i < count; ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

}  // namespace

TEST_CASE("every fixture image preprocesses to HF's pixel_values within 1e-5") {
  const Expected expected = expected_pixel_values();
  const auto images = fixture_images();
  const hc::PreprocessConfig config = hc::PreprocessConfig::clip_default();
  std::vector<float> out(expected.image_floats);
  for (std::size_t i = 0; i < images.size(); ++i) {
    INFO(images[i].file);
    hc::preprocess_into(hc::decode_image(images[i].path), config, out.data());
    const float difference = max_abs_difference(
        out.data(), expected.values + i * expected.image_floats, expected.image_floats);
    CHECK(difference <= 1e-5f);
  }
}

TEST_CASE("decoded, resized and cropped bytes and geometry match images.json") {
  const hc::PreprocessConfig config = hc::PreprocessConfig::clip_default();
  for (const FixtureImage& image : fixture_images()) {
    INFO(image.file);
    const hc::RgbImage decoded = hc::decode_image(image.path);
    CHECK(decoded.width == image.width);
    CHECK(decoded.height == image.height);
    CHECK(sha256(decoded) == image.sha_decoded);

    const hc::PreprocessPlan plan = hc::plan_preprocess(decoded.width, decoded.height, config);
    CHECK(plan.resized_width == image.resized_width);
    CHECK(plan.resized_height == image.resized_height);
    CHECK(plan.crop.left == image.crop_left);
    CHECK(plan.crop.top == image.crop_top);

    const hc::RgbImage resized =
        hc::resize_bicubic_pil(decoded, plan.resized_width, plan.resized_height);
    CHECK(sha256(resized) == image.sha_resized);
    const hc::RgbImage cropped = hc::center_crop(resized, 224, 224);
    CHECK(sha256(cropped) == image.sha_cropped);
    // The pipeline resamples only the kept window; it must give the same bytes.
    CHECK(hc::resize_and_crop(decoded, config).pixels == cropped.pixels);
  }
}

TEST_CASE("preprocess_batch returns the fixture images in argument order") {
  const Expected expected = expected_pixel_values();
  std::vector<fs::path> paths;
  for (const FixtureImage& image : fixture_images()) paths.push_back(image.path);
  hc::ThreadPool pool(3);
  const std::vector<float> batch =
      hc::preprocess_batch(paths, hc::PreprocessConfig::clip_default(), pool);
  REQUIRE(batch.size() == paths.size() * expected.image_floats);
  CHECK(max_abs_difference(batch.data(), expected.values, batch.size()) <= 1e-5f);
}
