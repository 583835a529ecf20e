#include <catch2/catch.hpp>

#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/vision/preprocess.h"
#include "hc/vision/preprocess_config.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Config = hc::PreprocessConfig;

void require_clip_settings(const Config& config) {
  CHECK(config.do_resize);
  CHECK(config.resize_rule == Config::ResizeRule::ShortestEdge);
  CHECK(config.shortest_edge == 224);
  CHECK(config.resample == hc::ResampleFilter::Bicubic);
  CHECK(config.do_center_crop);
  CHECK(config.crop_height == 224);
  CHECK(config.crop_width == 224);
  CHECK(config.do_rescale);
  CHECK(config.rescale_factor == 1.0 / 255.0);
  CHECK(config.do_normalize);
  CHECK(config.image_mean == std::array<float, 3>{0.48145466f, 0.4578275f, 0.40821073f});
  CHECK(config.image_std == std::array<float, 3>{0.26862954f, 0.26130258f, 0.27577711f});
  CHECK(config.output_height() == 224);
  CHECK(config.output_width() == 224);
}

Config config_from(const hc::test::TempDir& dir, const std::string& json) {
  fs::path file = dir / "preprocessor_config.json";
  hc::test::write_bytes(file, json);
  return Config::from_json_file(file);
}

void require_usage_error(const hc::test::TempDir& dir, const std::string& json,
                         const std::string& what) {
  try {
    config_from(dir, json);
    FAIL("accepted " << json);
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Usage);
    CHECK_THAT(e.what(), Contains("preprocessor_config.json") && Contains(what));
  }
}

}  // namespace

TEST_CASE("the old int form and the dict form both give CLIP's settings") {
  require_clip_settings(Config::clip_default());
  require_clip_settings(
      Config::from_json_file(hc::test::shared_path("data/clip-tokenizer/preprocessor_config.json")));
  // A checkpoint folder holding the dict form.
  require_clip_settings(Config::from_json_file(hc::test::shared_path("fixtures/model/tiny-gelu")));
  require_clip_settings(
      Config::from_json_file(hc::test::shared_path("fixtures/model/tiny-quickgelu")));
}

TEST_CASE("size and crop_size forms") {
  hc::test::TempDir dir;
  const Config exact = config_from(
      dir, R"({"size": {"height": 256, "width": 320}, "do_center_crop": false,
               "image_mean": 0.5, "image_std": [0.5, 0.25, 0.125], "resample": 2})");
  CHECK(exact.resize_rule == Config::ResizeRule::Exact);
  CHECK(exact.output_height() == 256);
  CHECK(exact.output_width() == 320);
  CHECK(exact.resample == hc::ResampleFilter::Bilinear);
  CHECK(exact.image_mean == std::array<float, 3>{0.5f, 0.5f, 0.5f});
  CHECK(exact.image_std == std::array<float, 3>{0.5f, 0.25f, 0.125f});

  const Config rect = config_from(dir, R"({"size": 300, "crop_size": [200, 100]})");
  CHECK(rect.shortest_edge == 300);
  CHECK(rect.output_height() == 200);
  CHECK(rect.output_width() == 100);

  const Config nulls = config_from(dir, R"({"size": null, "crop_size": null, "extra": 1})");
  require_clip_settings(nulls);
}

TEST_CASE("the size depends on the image without a crop or squash, which a batch refuses") {
  hc::test::TempDir dir;
  const Config config = config_from(dir, R"({"do_center_crop": false})");
  CHECK(config.output_height() == 0);
  CHECK_FALSE(config.has_fixed_output_size());
  hc::ThreadPool pool(1);
  CHECK_THROWS_AS(hc::preprocess_batch({}, config, pool), hc::Error);
}

TEST_CASE("malformed preprocessor configs are usage errors naming file and key") {
  hc::test::TempDir dir;
  require_usage_error(dir, "{ not json", "not valid JSON");
  require_usage_error(dir, "[1, 2]", "expected a JSON object");
  require_usage_error(dir, R"({"size": "big"})", "\"size\"");
  require_usage_error(dir, R"({"size": {"longest_edge": 224}})", "\"size\"");
  require_usage_error(dir, R"({"size": -3})", "\"size\"");
  require_usage_error(dir, R"({"crop_size": {"shortest_edge": 224}})", "\"crop_size\"");
  require_usage_error(dir, R"({"resample": 1})", "resample 1");
  require_usage_error(dir, R"({"do_resize": "yes"})", "\"do_resize\"");
  require_usage_error(dir, R"({"image_std": [0.2, 0, 0.2]})", "\"image_std\"");
  require_usage_error(dir, R"({"image_mean": [0.2, 0.2]})", "\"image_mean\"");
  require_usage_error(dir, R"({"rescale_factor": 0})", "\"rescale_factor\"");
  CHECK_THROWS_WITH(Config::from_json_file(dir / "absent.json"), Contains("absent.json"));
  fs::create_directories(dir / "empty_checkpoint");
  CHECK_THROWS_WITH(Config::from_json_file(dir / "empty_checkpoint"),
                    Contains("has no preprocessor_config.json"));
}

TEST_CASE("presets are selected by name") {
  require_clip_settings(Config::preset("clip_hf"));
  const Config legacy = Config::preset("hgclip_legacy");
  CHECK(legacy.resize_rule == Config::ResizeRule::Exact);
  CHECK(legacy.resample == hc::ResampleFilter::Bilinear);
  CHECK_FALSE(legacy.do_center_crop);
  CHECK(legacy.output_height() == 224);
  CHECK(legacy.output_width() == 224);
  CHECK(legacy.image_mean == std::array<float, 3>{0.485f, 0.456f, 0.406f});
  CHECK(Config::preset_names() == std::vector<std::string>{"clip_hf", "hgclip_legacy"});
  CHECK_THROWS_WITH(Config::preset("clip"), Contains("clip_hf, hgclip_legacy"));
}

TEST_CASE("to_json reads back as the same config") {
  hc::test::TempDir dir;
  for (const std::string& name : Config::preset_names()) {
    const Config original = Config::preset(name);
    const Config back = config_from(dir, original.to_json());
    CHECK(back.resize_rule == original.resize_rule);
    CHECK(back.output_height() == original.output_height());
    CHECK(back.resample == original.resample);
    CHECK(back.do_center_crop == original.do_center_crop);
    CHECK(back.rescale_factor == original.rescale_factor);
    CHECK(back.image_mean == original.image_mean);
    CHECK(back.image_std == original.image_std);
  }
}
