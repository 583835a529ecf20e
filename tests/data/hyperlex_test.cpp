// HyperLex files: the shared data set read column by column, words in order of first
// appearance, the POS filter, and every malformed input as an error naming file and line.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/data/hyperlex.h"
#include "hc/io/text_file.h"
#include "test_support.h"

namespace {

using Catch::Matchers::Contains;
using hc::test::shared_path;
using hc::test::TempDir;

const char* const kHeader = "WORD1 WORD2 POS TYPE AVG_SCORE AVG_SCORE_0_10 STD SCORES..\n";

// The message of the hc::Error that loading `content` throws ("" when it loads).
std::string load_error(const TempDir& dir, const std::string& content,
                       const std::string& pos = "all") {
  const auto file = dir / "bad.txt";
  hc::test::write_bytes(file, content);
  try {
    hc::load_hyperlex(file, pos);
  } catch (const hc::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("hyperlex: the shared hyperlex-all.txt") {
  const auto set = hc::load_hyperlex(shared_path("data/hyperlex/hyperlex-all.txt"));
  REQUIRE(set.pairs.size() == 2616);
  CHECK(set.count_pos("N") == 2163);
  CHECK(set.count_pos("V") == 453);
  CHECK(set.has_avg_score_0_10);
  const auto& first = set.pairs.front();
  CHECK(first.word1 == "conflict");
  CHECK(first.word2 == "disagreement");
  CHECK(first.pos == "N");
  CHECK(first.type == "r-hyp-1");
  CHECK(first.avg_score == 5.20);
  CHECK(first.avg_score_0_10 == 8.67);
  CHECK(first.line == 2);
  CHECK(set.words[first.word1_index] == "conflict");
  CHECK(set.words[first.word2_index] == "disagreement");

  // The fixture has the same distinct words (listed all WORD1s first, then the new WORD2s, not
  // row by row as its README says; rows are matched by word, so the order is immaterial) and
  // the gold columns in file order.
  const auto fixture = nlohmann::json::parse(
      hc::test::read_bytes(shared_path("fixtures/hyperlex/expected.json")));
  auto words = set.words;
  auto fixture_words = fixture["words"].get<std::vector<std::string>>();
  CHECK(words.size() == 2231);
  std::sort(words.begin(), words.end());
  std::sort(fixture_words.begin(), fixture_words.end());
  CHECK(words == fixture_words);
  CHECK(set.words[0] == "conflict");
  CHECK(set.words[1] == "disagreement");  // WORD2 of row 1 before WORD1 of row 2
  CHECK(set.gold("AVG_SCORE") == fixture["pairs"]["gold_AVG_SCORE"].get<std::vector<double>>());
  CHECK(set.gold("AVG_SCORE_0_10") ==
        fixture["pairs"]["gold_AVG_SCORE_0_10"].get<std::vector<double>>());
  CHECK_THROWS_AS(set.gold("STD"), hc::Error);
}

TEST_CASE("hyperlex: the noun and verb files, and the POS filter") {
  const auto nouns = hc::load_hyperlex(shared_path("data/hyperlex/hyperlex-nouns.txt"));
  const auto verbs = hc::load_hyperlex(shared_path("data/hyperlex/hyperlex-verbs.txt"));
  CHECK(nouns.pairs.size() == 2163);
  CHECK(verbs.pairs.size() == 453);
  const auto filtered = hc::load_hyperlex(shared_path("data/hyperlex/hyperlex-all.txt"), "V");
  REQUIRE(filtered.pairs.size() == 453);
  CHECK(filtered.count_pos("N") == 0);
  CHECK(filtered.pairs.front().word1 == verbs.pairs.front().word1);
  CHECK(filtered.words.size() == verbs.words.size());
  CHECK(filtered.pairs.front().line == 3);  // lines stay those of the file
  CHECK_THROWS_WITH(hc::load_hyperlex(shared_path("data/hyperlex/hyperlex-all.txt"), "nouns"),
                    Contains("unknown HyperLex POS filter 'nouns'"));
}

TEST_CASE("hyperlex: columns by header name, header-less files, gzip, CRLF, blank lines") {
  TempDir dir;
  const auto reordered = dir / "reordered.txt";
  hc::test::write_bytes(reordered, "POS WORD2 WORD1 AVG_SCORE TYPE\nN animal dog 5.5 hyp-1\n");
  const auto set = hc::load_hyperlex(reordered);
  REQUIRE(set.pairs.size() == 1);
  CHECK(set.pairs[0].word1 == "dog");
  CHECK(set.pairs[0].word2 == "animal");
  CHECK(set.pairs[0].avg_score == 5.5);
  CHECK_FALSE(set.has_avg_score_0_10);
  CHECK(std::isnan(set.pairs[0].avg_score_0_10));
  CHECK_THROWS_WITH(set.gold("AVG_SCORE_0_10"), Contains("no AVG_SCORE_0_10 column"));

  const auto bare = dir / "bare.txt";
  hc::test::write_bytes(bare, "dog animal N hyp-1 5.5\r\n\r\ncat animal N hyp-1\t5.9 9.8\r\n");
  const auto headerless = hc::load_hyperlex(bare);
  REQUIRE(headerless.pairs.size() == 2);
  CHECK(headerless.pairs[1].avg_score == 5.9);
  CHECK(headerless.pairs[1].line == 3);
  CHECK(headerless.words == std::vector<std::string>{"dog", "animal", "cat"});

  const auto gz = dir / "all.txt.gz";
  hc::write_text_file(gz, hc::read_text_file(shared_path("data/hyperlex/hyperlex-verbs.txt")));
  CHECK(hc::load_hyperlex(gz).pairs.size() == 453);
}

TEST_CASE("hyperlex: malformed lines are errors naming file and line") {
  TempDir dir;
  const std::string file = (dir / "bad.txt").string();
  const std::string good = "dog animal N hyp-1 5.50 9.17 0.5 6 5\n";
  CHECK_THAT(load_error(dir, std::string(kHeader) + good + "cat animal N hyp-1\n"),
             Contains(file + ":3:") && Contains("expected at least 6"));
  CHECK_THAT(load_error(dir, std::string(kHeader) + good + good + "cat animal N hyp-1 high 9 1\n"),
             Contains(file + ":4:") && Contains("AVG_SCORE must be a number, got 'high'"));
  CHECK_THAT(load_error(dir, std::string(kHeader) + "cat animal N hyp-1 5.5 9.x 1\n"),
             Contains(file + ":2:") && Contains("AVG_SCORE_0_10"));
  CHECK_THAT(load_error(dir, std::string(kHeader) + "cat animal ADJ hyp-1 5.5 9 1\n"),
             Contains(file + ":2:") && Contains("POS must be N or V, got 'ADJ'"));
  CHECK_THAT(load_error(dir, std::string(kHeader) + "cat animal N hyp-1 nan 9 1\n"),
             Contains(file + ":2:"));
  CHECK_THAT(load_error(dir, std::string(kHeader) + good + kHeader),
             Contains(file + ":3:") && Contains("second header"));
  CHECK_THAT(load_error(dir, "WORD1 WORD2 POS AVG_SCORE\n" + good),
             Contains(file + ":1:") && Contains("no TYPE column"));
}

TEST_CASE("hyperlex: empty files and filters that leave nothing are clear errors") {
  TempDir dir;
  CHECK_THAT(load_error(dir, ""), Contains("is empty"));
  CHECK_THAT(load_error(dir, "\n  \n"), Contains("is empty"));
  CHECK_THAT(load_error(dir, kHeader), Contains("no HyperLex pairs after the header"));
  CHECK_THAT(load_error(dir, std::string(kHeader) + "dog animal N hyp-1 5.5 9.2 1\n", "V"),
             Contains("no pairs with POS V"));
  CHECK_THROWS_WITH(hc::load_hyperlex(dir / "missing.txt"), Contains("no such HyperLex file"));
}

TEST_CASE("hyperlex: options declare checked config keys") {
  hc::HyperLexOptions options;
  hc::ConfigSchema schema;
  options.declare(schema);
  schema.apply_override("hyperlex.file=x.txt");
  schema.apply_override("hyperlex.pos=N");
  schema.validate();
  CHECK(options.pos == "N");
  schema.apply_override("hyperlex.pos=nouns");
  CHECK_THROWS_WITH(schema.validate(), Contains("hyperlex.pos"));
  hc::HyperLexOptions other;
  hc::ConfigSchema gold_schema;
  other.declare(gold_schema);
  gold_schema.apply_override("hyperlex.file=x.txt");
  gold_schema.apply_override("hyperlex.gold=STD");
  CHECK_THROWS_AS(gold_schema.validate(), hc::Error);
}
