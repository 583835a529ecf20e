// `hc preprocess` end to end: real fixture images in, a safetensors file out.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "hc/io/safetensors.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

using hc::test::quoted;

hc::test::CommandResult preprocess(const std::string& arguments) {
  return hc::test::run_command(hc::test::binary("hc") + " preprocess " + arguments);
}

fs::path fixture(const std::string& name) {
  return hc::test::shared_path("fixtures/preprocess/images/" + name);
}

// Row `index` of the expected fixture tensor against row `row` of ours.
float max_difference_to_expected(const hc::TensorView& ours, int row, int index) {
  static auto expected =
      hc::SafetensorsFile::open(hc::test::shared_path("fixtures/preprocess/expected.safetensors"));
  const std::size_t count = 3 * 224 * 224;
  const float* a = reinterpret_cast<const float*>(ours.data) + row * count;
  const float* b = reinterpret_cast<const float*>(expected->get("pixel_values").data) + index * count;
  float worst = 0;
  for (std::size_t i = 0; i < count; ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

}  // namespace

TEST_CASE("hc preprocess writes pixel_values in argument order with the order in metadata") {
  hc::test::TempDir dir;
  const fs::path output = dir / "pixels.safetensors";
  // Fixture rows 9 (scale) and 4 (tiny), given in that order.
  const std::vector<fs::path> inputs{fixture("synthetic_scale_285x190.png"),
                                     fixture("synthetic_tiny_50x30.png")};
  const auto result = preprocess("--threads 2 --output " + quoted(output) + " " +
                                 quoted(inputs[0]) + " " + quoted(inputs[1]));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto file = hc::SafetensorsFile::open(output);
  const hc::TensorView& pixels = file->get("pixel_values");
  CHECK(pixels.dtype == hc::DType::F32);
  REQUIRE(pixels.shape == std::vector<int64_t>{2, 3, 224, 224});
  CHECK(max_difference_to_expected(pixels, 0, 9) <= 1e-5f);
  CHECK(max_difference_to_expected(pixels, 1, 4) <= 1e-5f);
  const auto order = nlohmann::json::parse(file->metadata().at("order"));
  CHECK(order == nlohmann::json{inputs[0].string(), inputs[1].string()});
}

TEST_CASE("hc preprocess takes a checkpoint folder or a preset") {
  hc::test::TempDir dir;
  const fs::path image = fixture("synthetic_gray_305x300.png");
  const auto from_folder =
      preprocess("--preprocessor " + quoted(hc::test::shared_path("fixtures/model/tiny-gelu")) +
                 " -o " + quoted(dir / "a.safetensors") + " " + quoted(image));
  CHECK(from_folder.exit_code == 0);
  const auto legacy = preprocess("--preset hgclip_legacy -o " + quoted(dir / "b.safetensors") +
                                 " " + quoted(image));
  REQUIRE(legacy.exit_code == 0);
  CHECK(hc::SafetensorsFile::open(dir / "b.safetensors")->get("pixel_values").shape ==
        std::vector<int64_t>{1, 3, 224, 224});
  CHECK(preprocess("--preset nope -o " + quoted(dir / "c.safetensors") + " " + quoted(image))
            .exit_code == 2);
  CHECK(preprocess(quoted(image)).exit_code == 2);  // no --output
}

TEST_CASE("hc preprocess: an undecodable image fails with its name and leaves no output") {
  hc::test::TempDir dir;
  const fs::path bad = dir / "inputs" / "not_an_image.jpg";
  hc::test::write_bytes(bad, "plain text, not a JPEG\n");
  fs::create_directories(dir / "out");
  const fs::path output = dir / "out" / "pixels.safetensors";
  const auto result = preprocess("-o " + quoted(output) + " " +
                                 quoted(fixture("synthetic_tiny_50x30.png")) + " " + quoted(bad));
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Contains("not_an_image.jpg"));
  CHECK(fs::is_empty(dir / "out"));  // neither the file nor a temporary
}
