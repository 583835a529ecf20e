#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/data/hierarcaps.h"
#include "hc/data/hierarcaps_images.h"
#include "hc/data/hierarcaps_pairs.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

const char* kHeader = "id,captions,image_url\n";

std::string url(int64_t id) {
  return fmt::format("http://images.cocodataset.org/val2014/COCO_val2014_{:012d}.jpg", id);
}

std::string row(int index, const std::string& captions, int64_t id) {
  return fmt::format("{},\"{}\",{}\n", index, captions, url(id));
}

// An image folder with (empty) files for the given ids: the loader matches names only.
void make_images(const fs::path& folder, const std::vector<int64_t>& ids) {
  fs::create_directories(folder);
  for (int64_t id : ids) hc::test::write_bytes(folder / fmt::format("COCO_val2014_{:012d}.jpg", id), "");
}

hc::HierarCapsOptions options_for(const fs::path& csv, const fs::path& images = {}) {
  hc::HierarCapsOptions options;
  options.csv = csv;
  options.images = images;
  return options;
}

}  // namespace

TEST_CASE("hierarcaps: COCO ids from URLs and file names, as the official loader reads them") {
  CHECK(hc::coco_id_from_url(url(301718)) == 301718);
  CHECK(hc::coco_id_from_url("COCO_val2014_000000000139.jpg") == 139);
  CHECK(hc::coco_id_from_url("http://x/a_12/COCO_val2014_000000000139.jpg") == 12);  // the first
  CHECK_FALSE(hc::coco_id_from_url("http://x/image.jpg").has_value());
  CHECK_FALSE(hc::coco_id_from_url("http://x/a_b_").has_value());

  CHECK(hc::coco_id_from_file_name("COCO_val2014_000000000139.jpg") == 139);
  CHECK(hc::coco_id_from_file_name("COCO_val2014_000000000139") == 139);
  CHECK(hc::coco_id_from_file_name("img_7.tar.gz") == std::nullopt);  // "img_7.tar" -> "7.tar"
  CHECK(hc::coco_id_from_file_name("42.png") == 42);
  CHECK_FALSE(hc::coco_id_from_file_name("README.md").has_value());
  CHECK_FALSE(hc::coco_id_from_file_name("COCO_val2014_.jpg").has_value());
}

TEST_CASE("hierarcaps: captions split on '=>' and stripped like Python") {
  auto chain = hc::split_hierarcaps_chain(" a =>b=>  c, d\t=> e f ", "x.csv:2: row 1", "captions");
  CHECK(chain == hc::HierarCapsChain{"a", "b", "c, d", "e f"});
  auto unicode = hc::split_hierarcaps_chain("\xc2\xa0" "caf\xc3\xa9 => b => c => d\xe2\x80\x83", "w", "c");
  CHECK(unicode[0] == "caf\xc3\xa9");  // NBSP stripped (str.isspace), é kept
  CHECK(unicode[3] == "d");            // EM SPACE stripped
  CHECK_THROWS_WITH(hc::split_hierarcaps_chain("a => b => c", "x.csv:2: row 1", "captions"),
                    Catch::Contains("x.csv:2: row 1") && Catch::Contains("'captions'") &&
                        Catch::Contains("3 tiers") && Catch::Contains("expected 4"));
  CHECK_THROWS_WITH(hc::split_hierarcaps_chain("a => b => c => d => e", "w", "captions"),
                    Catch::Contains("5 tiers"));
}

TEST_CASE("hierarcaps: the real test set, matched to its images") {
  const fs::path csv = hc::test::shared_path("data/hierarcaps/hierarcaps_test.csv");
  const fs::path images = hc::test::shared_path("data/hierarcaps/test_imgs");
  hc::HierarCapsSet set = hc::load_hierarcaps(options_for(csv, images));
  REQUIRE(set.rows.size() == 1000);
  REQUIRE(set.images.size() == 1000);
  CHECK(set.skipped.empty());
  CHECK(set.missing_coco_ids.empty());

  const hc::HierarCapsRow& first = set.rows.front();
  CHECK(first.id == "0");
  CHECK(first.line == 2);
  CHECK(first.coco_id == 301718);
  CHECK(first.captions == hc::HierarCapsChain{
                              "table", "table with plates",
                              "table with three plates, with man and woman holding utensil",
                              "A table with three plates with food and a man and a woman both "
                              "holding utensil near plates."});
  CHECK(set.images.front().file.filename() == "COCO_val2014_000000301718.jpg");
  CHECK(set.images.front().rows == std::vector<std::size_t>{0});
  for (std::size_t i = 0; i < set.rows.size(); ++i) {
    REQUIRE(set.images[set.rows[i].image].coco_id == set.rows[i].coco_id);
  }
  const auto texts = set.texts();
  REQUIRE(texts.size() == 4000);
  CHECK(texts[5] == "blue bird");
  CHECK(std::set<std::string>(texts.begin(), texts.end()).size() == 3132);

  // Without an image folder rows are still grouped by COCO id.
  hc::HierarCapsSet unmatched = hc::load_hierarcaps(options_for(csv));
  CHECK(unmatched.rows.size() == 1000);
  CHECK(unmatched.images.size() == 1000);
  CHECK(unmatched.images.front().file.empty());
}

TEST_CASE("hierarcaps: several rows per image, images in order of first appearance") {
  const fs::path folder = hc::test::shared_path("fixtures/metrics/multiref");
  hc::HierarCapsSet set = hc::load_hierarcaps(
      options_for(folder / "multiref.csv", hc::test::shared_path("data/hierarcaps/test_imgs")));
  CHECK(set.rows.size() == 224);
  REQUIRE(set.images.size() == 90);
  std::ifstream in(folder / "expected.json");
  const auto expected = nlohmann::json::parse(in);
  const auto order = expected.at("image_order").get<std::vector<std::string>>();
  REQUIRE(order.size() == set.images.size());
  std::size_t most_rows = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    CHECK(set.images[i].file.filename().string() == order[i]);
    most_rows = std::max(most_rows, set.images[i].rows.size());
  }
  CHECK(most_rows == 7);  // the README says 1 to 6; the CSV has one image with 7 rows
}

TEST_CASE("hierarcaps: a row without 4 tiers names the file, line and row") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "bad.csv", std::string(kHeader) + row(0, "a => b => c => d", 1) +
                                             row(1, "a => b => c", 2));
  CHECK_THROWS_WITH(hc::load_hierarcaps(options_for(dir / "bad.csv")),
                    Catch::Contains("bad.csv:3: row 2") && Catch::Contains("3 tiers"));

  hc::test::write_bytes(dir / "nourl.csv", std::string(kHeader) + "0,a => b => c => d,http://x/image.jpg\n");
  CHECK_THROWS_WITH(hc::load_hierarcaps(options_for(dir / "nourl.csv")),
                    Catch::Contains("nourl.csv:2: row 1") && Catch::Contains("no COCO id"));

  hc::test::write_bytes(dir / "nocolumn.csv", "id,text,image_url\n0,a,b\n");
  CHECK_THROWS_WITH(hc::load_hierarcaps(options_for(dir / "nocolumn.csv")), Catch::Contains("captions"));

  hc::test::write_bytes(dir / "empty.csv", kHeader);
  CHECK_THROWS_WITH(hc::load_hierarcaps(options_for(dir / "empty.csv")), Catch::Contains("no rows"));
}

TEST_CASE("hierarcaps: missing images are one error, or skipped and reported") {
  hc::test::TempDir dir;
  std::string csv = kHeader;
  const std::vector<int64_t> ids{11, 12, 13, 12, 14, 15, 16, 17, 18, 11};
  for (std::size_t i = 0; i < ids.size(); ++i) csv += row(static_cast<int>(i), "a => b => c => d", ids[i]);
  hc::test::write_bytes(dir / "set.csv", csv);
  make_images(dir / "images", {11, 18});
  hc::test::write_bytes(dir / "images" / "notes.txt", "not an image");
  hc::test::write_bytes(dir / "images" / ".COCO_val2014_000000000012.jpg", "hidden");

  hc::HierarCapsOptions options = options_for(dir / "set.csv", dir / "images");
  CHECK_THROWS_WITH(hc::load_hierarcaps(options),
                    Catch::Contains("set.csv") && Catch::Contains("6 of the images") &&
                        Catch::Contains("12, 13, 14, 15, 16, ... (1 more)") &&
                        Catch::Contains("skip_missing_images") && Catch::Contains("7 rows"));

  options.skip_missing_images = true;
  hc::HierarCapsSet set = hc::load_hierarcaps(options);
  REQUIRE(set.rows.size() == 3);
  REQUIRE(set.images.size() == 2);
  CHECK(set.images[0].coco_id == 11);
  CHECK(set.images[0].rows == std::vector<std::size_t>{0, 2});
  CHECK(set.images[1].coco_id == 18);
  CHECK(set.rows[1].id == "8");
  CHECK(set.rows[1].image == 1);
  REQUIRE(set.skipped.size() == 7);
  CHECK(set.skipped.front().id == "1");
  CHECK(set.skipped.front().line == 3);
  CHECK(set.skipped.front().coco_id == 12);
  CHECK(set.missing_coco_ids == std::vector<int64_t>{12, 13, 14, 15, 16, 17});

  make_images(dir / "images", {12});
  hc::test::write_bytes(dir / "images" / "COCO_val2014_000000000012.png", "");
  CHECK_THROWS_WITH(hc::load_hierarcaps(options),
                    Catch::Contains("COCO id 12 matches 2 files"));

  CHECK_THROWS_WITH(hc::load_hierarcaps(options_for(dir / "set.csv", dir / "nowhere")),
                    Catch::Contains("nowhere"));
}

TEST_CASE("hierarcaps: options declare config keys") {
  hc::HierarCapsOptions options;
  hc::ConfigSchema schema;
  options.declare(schema);
  schema.apply_override("hierarcaps.csv=test.csv");
  schema.apply_override("hierarcaps.skip_missing_images=true");
  schema.validate();
  CHECK(options.csv == "test.csv");
  CHECK(options.skip_missing_images);
}

TEST_CASE("hierarcaps: the expanded positive / negative set") {
  hc::HierarCapsPairSet set = hc::load_hierarcaps_pairs(
      hc::test::shared_path("data/hierarcaps/hierarcaps_test_expanded.csv.gz"));
  REQUIRE(set.rows.size() == 23479);
  const hc::HierarCapsPair& first = set.rows.front();
  CHECK(first.positive == hc::HierarCapsChain{"motorized transportation", "motorcycle",
                                              "a motorcycle parked in front",
                                              "A black Honda motorcycle parked in front of a garage."});
  CHECK(first.negative[0] == "water");
  CHECK(first.coco_id == 179765);
  CHECK(first.line == 2);
  const auto candidates = set.distinct_positive_texts();
  CHECK(candidates.size() == 52401);
  CHECK(candidates[0] == "motorized transportation");

  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "train.csv", "positive,negative\na => b => c => d,e => f => g => h\n"
                                            "a => b => c => d,e => f => g\n");
  CHECK_THROWS_WITH(hc::load_hierarcaps_pairs(dir / "train.csv"),
                    Catch::Contains("train.csv:3: row 2") && Catch::Contains("'negative'"));
  hc::test::write_bytes(dir / "train.csv", "positive,negative\na => b => c => d,e => f => g => h\n");
  auto train = hc::load_hierarcaps_pairs(dir / "train.csv");
  REQUIRE(train.rows.size() == 1);
  CHECK_FALSE(train.rows[0].coco_id.has_value());
  CHECK(train.rows[0].negative[3] == "h");
}
