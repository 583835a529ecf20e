#include <catch2/catch.hpp>

#include <string>

#include "hc/core/error.h"
#include "hc/vision/convert_to_rgb.h"
#include "hc/vision/decode_image.h"
#include "hc/vision/jpeg_completeness.h"
#include "png_bytes.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::PngSpec;

std::vector<uint8_t> rgb_of(const fs::path& file) { return hc::decode_image(file).pixels; }

fs::path written(const hc::test::TempDir& dir, const std::string& name, const std::string& bytes) {
  fs::path file = dir / name;
  hc::test::write_bytes(file, bytes);
  return file;
}

std::string first_half_of(const std::string& relative) {
  std::string bytes = hc::test::read_bytes(hc::test::shared_path(relative));
  return bytes.substr(0, bytes.size() / 2);
}

// The failure is an hc::Error (exit code 1) whose one-line message names the file.
void require_decode_error(const fs::path& file, const std::string& what) {
  try {
    hc::decode_image(file);
    FAIL("decoding " << file << " should have failed");
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Runtime);
    CHECK_THAT(e.what(), Contains(file.string()) && Contains(what));
    CHECK(std::string(e.what()).find('\n') == std::string::npos);
  }
}

}  // namespace

TEST_CASE("bad image files give an hc::Error naming the file") {
  hc::test::TempDir dir;
  require_decode_error(dir / "missing.jpg", "no such file");
  require_decode_error(written(dir, "empty.png", ""), "empty");
  require_decode_error(written(dir, "notes.jpg", "this is a text file, not a JPEG\n"),
                       "cannot decode");
  require_decode_error(
      written(dir, "cut.jpg", first_half_of("data/hierarcaps/test_imgs/COCO_val2014_000000220764.jpg")),
      "truncated JPEG");
  require_decode_error(
      written(dir, "cut.png", first_half_of("fixtures/preprocess/images/synthetic_tiny_50x30.png")),
      "cannot decode");
  fs::create_directories(dir / "folder.jpg");
  require_decode_error(dir / "folder.jpg", "folder");
}

TEST_CASE("EXIF orientation is not applied") {
  const hc::RgbImage image =
      hc::decode_image(hc::test::shared_path("fixtures/preprocess/images/synthetic_exif6_401x300.jpg"));
  CHECK(image.width == 401);
  CHECK(image.height == 300);
}

TEST_CASE("PNG layouts convert to RGB as Pillow's convert(\"RGB\") does") {
  hc::test::TempDir dir;
  SECTION("RGBA: alpha dropped, colour under transparent pixels kept") {
    PngSpec spec{2, 1, 8, 6, {10, 20, 30, 0, 40, 50, 60, 255}, {}, {}};
    CHECK(rgb_of(written(dir, "rgba.png", png_bytes(spec))) ==
          std::vector<uint8_t>{10, 20, 30, 40, 50, 60});
  }
  SECTION("grey + alpha: grey replicated, alpha dropped") {
    PngSpec spec{2, 1, 8, 4, {77, 0, 200, 128}, {}, {}};
    CHECK(rgb_of(written(dir, "la.png", png_bytes(spec))) ==
          std::vector<uint8_t>{77, 77, 77, 200, 200, 200});
  }
  SECTION("palette with a transparent entry: the palette colour") {
    PngSpec spec{3, 1, 8, 3, {0, 1, 0}, {1, 2, 3, 4, 5, 6}, {0}};
    CHECK(rgb_of(written(dir, "palette.png", png_bytes(spec))) ==
          std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 1, 2, 3});
  }
  SECTION("16-bit grey is clipped to 255, not scaled (Pillow mode I)") {
    PngSpec spec{4, 1, 16, 0, {0x00, 0x05, 0x00, 0xFF, 0x01, 0x00, 0x12, 0x34}, {}, {}};
    CHECK(rgb_of(written(dir, "grey16.png", png_bytes(spec))) ==
          std::vector<uint8_t>{5, 5, 5, 255, 255, 255, 255, 255, 255, 255, 255, 255});
  }
  SECTION("16-bit RGB keeps the high byte") {
    PngSpec spec{1, 1, 16, 2, {0x12, 0x34, 0xAB, 0xCD, 0x00, 0xFF}, {}, {}};
    CHECK(rgb_of(written(dir, "rgb16.png", png_bytes(spec))) ==
          std::vector<uint8_t>{0x12, 0xAB, 0x00});
  }
  SECTION("1-bit grey becomes 0 or 255") {
    PngSpec spec{8, 1, 1, 0, {0b10100000}, {}, {}};
    CHECK(rgb_of(written(dir, "bits.png", png_bytes(spec))) ==
          std::vector<uint8_t>{255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0,
                               0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  }
}

TEST_CASE("convert_to_rgb rejects layouts Pillow would not open as RGB") {
  const uint8_t two_channels[4] = {1, 2, 3, 4};
  hc::DecodedPixels pixels{2, 1, 2, 8, two_channels, 4};
  CHECK_THROWS_WITH(hc::convert_to_rgb(pixels, "x.png"), Contains("x.png") && Contains("2 channels"));
}

TEST_CASE("a JPEG is complete only when its end marker lies outside every segment") {
  auto complete = [](const std::vector<uint8_t>& bytes) {
    return hc::jpeg_reaches_end_marker(bytes.data(), bytes.size());
  };
  // SOI, APP1 of length 6 holding FF D9 (an EXIF thumbnail's end), SOS of length 2, data.
  std::vector<uint8_t> stream{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0x00, 0x00,
                              0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56};
  CHECK_FALSE(complete(stream));
  stream.push_back(0xFF);
  stream.push_back(0xD9);
  CHECK(complete(stream));
  CHECK_FALSE(complete({0xFF, 0xD8, 0xFF, 0xE1, 0x00}));  // segment length cut off
  CHECK_FALSE(complete({0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xD9}));  // impossible length
}
