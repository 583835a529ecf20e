// Parity with OpenAI's simple_tokenizer: every case of the shared fixture set, with both forms
// of the vocabulary (../shared/fixtures/tokenizer/README.md describes how the ids were made).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "hc/text/clip_tokenizer.h"
#include "test_support.h"

namespace {

struct FixtureCase {
  std::size_t line = 0;
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<FixtureCase> read_cases() {
  const auto path = hc::test::shared_path("fixtures/tokenizer/cases.jsonl");
  std::ifstream in(path);
  std::vector<FixtureCase> cases;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const auto json = nlohmann::json::parse(line);
    cases.push_back({number, json.at("text").get<std::string>(),
                     json.at("ids").get<std::vector<int32_t>>()});
  }
  return cases;
}

std::string ids_text(const std::vector<int32_t>& ids) { return nlohmann::json(ids).dump(); }

}  // namespace

TEST_CASE("every fixture case tokenises exactly as simple_tokenizer", "[text][fixture]") {
  const std::string form = GENERATE(std::string("data/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz"),
                                    std::string("data/clip-tokenizer"));
  INFO("vocabulary: " << form);
  const auto tokenizer = hc::ClipTokenizer::load(hc::test::shared_path(form));
  const std::vector<FixtureCase> cases = read_cases();
  REQUIRE(cases.size() == 6843);

  std::size_t matched = 0;
  std::ostringstream first_mismatches;
  int shown = 0;
  for (const FixtureCase& c : cases) {
    const std::vector<int32_t> ids = tokenizer.encode_with_specials(c.text);
    if (ids == c.ids) {
      ++matched;
    } else if (shown++ < 5) {
      first_mismatches << "\n  line " << c.line << ": " << nlohmann::json(c.text).dump()
                       << "\n    expected " << ids_text(c.ids) << "\n    got      "
                       << ids_text(ids);
    }
  }
  INFO(matched << "/" << cases.size() << " cases match; first mismatches:"
               << first_mismatches.str());
  CHECK(matched == cases.size());
}
