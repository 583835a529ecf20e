// The synthetic HierarCaps sample of the offline demo: loads like the real test set, every row
// tied to its generated image, the same files from the same seed.
#include <catch2/catch.hpp>

#include <filesystem>

#include "hc/data/hierarcaps.h"
#include "hc/data/synthetic_hierarcaps.h"
#include "hc/vision/decode_image.h"
#include "test_support.h"

TEST_CASE("synthetic HierarCaps sample: a CSV and images the loader matches") {
  hc::test::TempDir dir;
  const auto sample = hc::write_synthetic_hierarcaps(dir / "sample", 10, 5);
  CHECK(sample.rows == 10);
  hc::HierarCapsOptions options;
  options.csv = sample.csv;
  options.images = sample.images;
  const auto set = hc::load_hierarcaps(options);
  REQUIRE(set.rows.size() == 10);
  REQUIRE(set.images.size() == 10);
  for (const auto& row : set.rows) {
    CHECK(row.captions[0] == "shape");
    CHECK(row.captions[3].find(row.captions[1]) != std::string::npos);
    CHECK(row.captions[3].size() > row.captions[2].size());
  }
  const auto image = hc::decode_image(set.images[0].file);
  CHECK(image.width == 256);
  CHECK(image.height == 256);

  const auto again = hc::write_synthetic_hierarcaps(dir / "again", 10, 5);
  CHECK(hc::test::read_bytes(again.csv) == hc::test::read_bytes(sample.csv));
  CHECK_THROWS(hc::write_synthetic_hierarcaps(dir / "none", 0));
}
