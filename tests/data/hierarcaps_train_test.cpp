#include <catch2/catch.hpp>

#include <string>

#include "hc/core/error.h"
#include "hc/data/hierarcaps_train.h"
#include "hc/io/text_file.h"
#include "test_support.h"

namespace {

const std::string kHeader = "positive,negative,image_url\n";

std::string row(const std::string& positive, const std::string& negative,
                const std::string& url = "http://x/1.jpg") {
  return "\"" + positive + "\",\"" + negative + "\"," + url + "\n";
}

}  // namespace

TEST_CASE("hierarcaps_train: rows split on ' => ' as train.py splits them", "[data]") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "train.csv",
                        kHeader + row("a => b c => d, e => f", "g => h => i => j") +
                            row("  k => l=>m => n => o ", "p => q => r => s", "http://cc/x.jpg"));
  const auto set = hc::load_hierarcaps_train(dir / "train.csv");
  REQUIRE(set.rows.size() == 2);
  CHECK(set.rows[0].positive == hc::HierarCapsChain{"a", "b c", "d, e", "f"});
  CHECK(set.rows[0].negative == hc::HierarCapsChain{"g", "h", "i", "j"});
  CHECK(set.rows[0].image_url == "http://x/1.jpg");
  CHECK(set.rows[0].id == "0");
  CHECK(set.rows[0].line == 2);
  // Not stripped, and "=>" without its spaces is part of a text.
  CHECK(set.rows[1].positive == hc::HierarCapsChain{"  k", "l=>m", "n", "o "});
  CHECK(set.rows[1].image_url == "http://cc/x.jpg");  // no COCO id needed
  CHECK(set.rows[1].id == "1");
}

TEST_CASE("hierarcaps_train: gzip files, an id column, no image column", "[data]") {
  hc::test::TempDir dir;
  hc::write_text_file(dir / "train.csv.gz", "id,negative,positive\n"
                                            "item-7,e => f => g => h,a => b => c => d\n");
  const auto set = hc::load_hierarcaps_train(dir / "train.csv.gz");
  REQUIRE(set.rows.size() == 1);
  CHECK(set.rows[0].id == "item-7");
  CHECK(set.rows[0].image_url.empty());
  CHECK(set.rows[0].positive[3] == "d");
  CHECK(set.rows[0].negative[0] == "e");
}

TEST_CASE("hierarcaps_train: malformed rows name the file, line, row and column", "[data]") {
  hc::test::TempDir dir;
  const std::string good = row("a => b => c => d", "e => f => g => h");
  auto load = [&](const std::string& name, const std::string& content) {
    hc::test::write_bytes(dir / name, content);
    return hc::load_hierarcaps_train(dir / name);
  };
  CHECK_THROWS_WITH(load("three.csv", kHeader + good + row("a => b => c", "e => f => g => h")),
                    Catch::Contains("three.csv:3: row 2") && Catch::Contains("'positive'") &&
                        Catch::Contains("3 texts"));
  CHECK_THROWS_WITH(load("five.csv", kHeader + row("a => b => c => d", "e => f => g => h => i")),
                    Catch::Contains("five.csv:2: row 1") && Catch::Contains("'negative'") &&
                        Catch::Contains("5 texts"));
  CHECK_THROWS_WITH(load("nospace.csv", kHeader + row("a=>b=>c=>d", "e => f => g => h")),
                    Catch::Contains("nospace.csv:2: row 1") && Catch::Contains("1 text,"));
  CHECK_THROWS_WITH(load("empty_text.csv", kHeader + good + good + row("a => b =>   => d", "e => f => g => h")),
                    Catch::Contains("empty_text.csv:4: row 3") && Catch::Contains("empty text at level 3"));
  CHECK_THROWS_WITH(load("trailing.csv", kHeader + row("a => b => c => ", "e => f => g => h")),
                    Catch::Contains("empty text at level 4"));
  CHECK_THROWS_WITH(load("fields.csv", kHeader + good + "\"a => b => c => d\"\n"),
                    Catch::Contains("fields.csv:3"));
  CHECK_THROWS_WITH(load("quote.csv", kHeader + "\"a => b => c => d,e\n"), Catch::Contains("quote.csv"));
  CHECK_THROWS_WITH(load("nonegative.csv", "positive,image_url\na => b => c => d,x\n"),
                    Catch::Contains("nonegative.csv") && Catch::Contains("negative"));
  CHECK_THROWS_WITH(load("norows.csv", kHeader), Catch::Contains("norows.csv: no rows"));
  CHECK_THROWS_AS(hc::load_hierarcaps_train(dir / "missing.csv"), hc::Error);
}

TEST_CASE("hierarcaps_train: the expanded HierarCaps file reads in the train format", "[data]") {
  const auto set = hc::load_hierarcaps_train(
      hc::test::shared_path("data/hierarcaps/hierarcaps_test_expanded.csv.gz"));
  REQUIRE(set.rows.size() == 23479);  // every row of the file: none is malformed
  const auto& first = set.rows.front();
  CHECK(first.positive == hc::HierarCapsChain{"motorized transportation", "motorcycle",
                                              "a motorcycle parked in front",
                                              "A black Honda motorcycle parked in front of a garage."});
  CHECK(first.negative[0] == "water");
  CHECK(first.image_url.find("COCO_val2014_") != std::string::npos);
  CHECK(first.line == 2);
}
