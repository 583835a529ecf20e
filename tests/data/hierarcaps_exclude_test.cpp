// --exclude-images: rows whose image is also in another CSV (the test set) are dropped.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "hc/core/error.h"
#include "hc/data/hierarcaps_pairs.h"
#include "hc/data/hierarcaps_train.h"
#include "hc/io/csv.h"
#include "test_support.h"

namespace {

std::string row(const std::string& url) {
  return "\"a => b => c => d\",\"e => f => g => h\"," + url + "\n";
}

}  // namespace

TEST_CASE("exclude_images: the same image under any host or folder is dropped", "[data]") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "train.csv",
                        "positive,negative,image_url\n" + row("http://a/val/x_1.jpg") +
                            row("http://a/val/x_2.jpg") + row("http://b/other/x_1.jpg?dl=1") +
                            row("x_3.jpg"));
  hc::test::write_bytes(dir / "test.csv", "id,captions,image_url\n0,q,https://c/d/x_1.jpg\n"
                                          "1,q,x_3.jpg\n");
  auto set = hc::load_hierarcaps_train(dir / "train.csv");
  CHECK(hc::exclude_images(set, dir / "test.csv") == 3);
  REQUIRE(set.rows.size() == 1);
  CHECK(set.rows[0].image_url == "http://a/val/x_2.jpg");
  CHECK(hc::image_key("http://h/a/b.jpg?x=1#y") == "b.jpg");

  hc::test::write_bytes(dir / "no_urls.csv", "id,captions\n0,q\n");
  CHECK_THROWS_WITH(hc::exclude_images(set, dir / "no_urls.csv"), Catch::Contains("image_url"));
  hc::test::write_bytes(dir / "train_no_urls.csv", "positive,negative\n\"a => b => c => d\","
                                                   "\"e => f => g => h\"\n");
  auto bare = hc::load_hierarcaps_train(dir / "train_no_urls.csv");
  CHECK_THROWS_WITH(hc::exclude_images(bare, dir / "test.csv"), Catch::Contains("line 2"));
}

TEST_CASE("exclude_images: the expanded HierarCaps set minus the test images is disjoint",
          "[data]") {
  const auto test_csv = hc::test::shared_path("data/hierarcaps/hierarcaps_test.csv");
  auto set = hc::load_hierarcaps_train(
      hc::test::shared_path("data/hierarcaps/hierarcaps_test_expanded.csv.gz"));
  const std::size_t before = set.rows.size();
  const std::size_t dropped = hc::exclude_images(set, test_csv);
  CHECK(dropped > 0);
  CHECK(set.rows.size() + dropped == before);
  CHECK_FALSE(set.rows.empty());
  std::set<std::string> test_images;
  hc::CsvReader reader(test_csv);
  const std::size_t url = reader.column("image_url");
  hc::CsvRow record;
  while (reader.next(record)) test_images.insert(hc::image_key(record[url]));
  std::size_t leaked = 0;
  for (const auto& row : set.rows) leaked += test_images.count(hc::image_key(row.image_url));
  CHECK(leaked == 0);
}
