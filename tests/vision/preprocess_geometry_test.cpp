#include <catch2/catch.hpp>

#include "hc/vision/center_crop.h"
#include "hc/vision/normalize.h"
#include "hc/vision/preprocess.h"
#include "hc/vision/preprocess_plan.h"

namespace {
using Config = hc::PreprocessConfig;
}

TEST_CASE("the long side is int(224 * long / short), computed in double and truncated") {
  CHECK(hc::shortest_edge_long_side(190, 285, 224) == 336);  // 285 * (224.0 / 190) is 335.99..
  const hc::PreprocessPlan landscape = hc::plan_preprocess(285, 190, Config::clip_default());
  CHECK(landscape.resized_width == 336);
  CHECK(landscape.resized_height == 224);
  CHECK(landscape.crop.left == 56);
  const hc::PreprocessPlan portrait = hc::plan_preprocess(240, 321, Config::clip_default());
  CHECK(portrait.resized_width == 224);
  CHECK(portrait.resized_height == 299);
  CHECK(portrait.crop.top == 37);  // HF floors; torchvision would take 38
  const hc::PreprocessPlan squash = hc::plan_preprocess(640, 100, Config::preset("hgclip_legacy"));
  CHECK(squash.resized_width == 224);
  CHECK(squash.resized_height == 224);
  CHECK(squash.crop.width == 224);
}

TEST_CASE("a crop larger than the image pads with zeros around it, as HF does") {
  hc::RgbImage image(3, 2);
  std::fill(image.pixels.begin(), image.pixels.end(), 9);
  const hc::PixelRect window = hc::center_crop_window(3, 2, 4, 5);
  CHECK(window.left == -1);  // floor(-1 / 2)
  CHECK(window.top == -2);   // floor(-3 / 2)
  const hc::RgbImage padded = hc::center_crop(image, 4, 5);
  REQUIRE(padded.width == 4);
  REQUIRE(padded.height == 5);
  for (int y = 0; y < 5; ++y) {
    for (int x = 0; x < 4; ++x) {
      const bool inside = x >= 1 && y >= 2 && y < 4;
      CHECK(padded.row(y)[3 * x] == (inside ? 9 : 0));
    }
  }
}

TEST_CASE("normalisation follows HF's float64 rescale and float32 normalise") {
  const Config config = Config::clip_default();
  const hc::PixelNormalizer normalizer(config);
  for (int v : {0, 1, 128, 255}) {
    const float rescaled = static_cast<float>(v * (1.0 / 255.0));
    CHECK(normalizer.value(1, static_cast<uint8_t>(v)) ==
          (rescaled - config.image_mean[1]) / config.image_std[1]);
  }
  // hgclip_legacy relies on torchvision's ToTensor (float32 division) rounding the same way.
  for (int v = 0; v < 256; ++v) {
    CHECK(static_cast<float>(v) / 255.0f == static_cast<float>(v * (1.0 / 255.0)));
  }
  Config raw = config;
  raw.do_rescale = false;
  raw.do_normalize = false;
  CHECK(hc::PixelNormalizer(raw).value(2, 200) == 200.0f);

  hc::RgbImage image(2, 1);
  image.pixels = {1, 2, 3, 4, 5, 6};
  std::vector<float> chw(6);
  hc::PixelNormalizer(raw).to_chw(image, chw.data());
  CHECK(chw == std::vector<float>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("preprocess_into gives output_height x output_width planes") {
  hc::RgbImage image(50, 30);
  for (std::size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>(i);
  for (const std::string& name : Config::preset_names()) {
    const Config config = Config::preset(name);
    std::vector<float> out(3 * 224 * 224, -100.0f);
    hc::preprocess_into(image, config, out.data());
    CHECK(std::none_of(out.begin(), out.end(), [](float v) { return v == -100.0f; }));
  }
}
