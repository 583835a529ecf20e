// ClipTokenizer: parity with OpenAI's simple_tokenizer on every case of the shared fixture set
// with both forms of the vocabulary (../shared/fixtures/tokenizer/README.md describes how the
// ids were made), then the API around it: specials, decode, batches, threads.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"
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

namespace {

const hc::ClipTokenizer& clip_tokenizer() {
  static const hc::ClipTokenizer tokenizer =
      hc::ClipTokenizer::load(hc::test::shared_path("data/clip-tokenizer"));
  return tokenizer;
}

std::vector<int64_t> row_of(const hc::TokenBatch& batch, int64_t row) {
  return {batch.ids.begin() + row * batch.length, batch.ids.begin() + (row + 1) * batch.length};
}

}  // namespace

TEST_CASE("encode, specials and vocabulary facts", "[text]") {
  const auto& tokenizer = clip_tokenizer();
  CHECK(tokenizer.bos_id() == 49406);
  CHECK(tokenizer.eos_id() == 49407);
  CHECK(tokenizer.vocab_size() == 49408);
  CHECK(tokenizer.encode("a photo of a cat") == std::vector<int32_t>{320, 1125, 539, 320, 2368});
  CHECK(tokenizer.encode_with_specials("") == std::vector<int32_t>{49406, 49407});
  // The special-token strings inside a text become the special ids.
  CHECK(tokenizer.encode("a <|EndOfText|> b") == std::vector<int32_t>{320, 49407, 321});
  CHECK_THROWS_WITH(tokenizer.encode("bad \xff byte"), Catch::Contains("invalid UTF-8"));
}

TEST_CASE("decode inverts encode for ordinary text", "[text]") {
  const auto& tokenizer = clip_tokenizer();
  CHECK(tokenizer.decode(tokenizer.encode("a photo of a cat")) == "a photo of a cat ");
  // Lower-cased, and punctuation is its own word (simple_tokenizer.decode gives the same).
  CHECK(tokenizer.decode(tokenizer.encode("Caf\u00e9 \u2615 \u6771\u4eac, na\u00efve r\u00e9sum\u00e9!")) ==
        "caf\u00e9 \u2615 \u6771\u4eac , na\u00efve r\u00e9sum\u00e9 ! ");
  CHECK(tokenizer.decode({49406, 320, 49407}) == "<|startoftext|>a <|endoftext|>");
  CHECK(tokenizer.decode({137}) == "\ufffd");  // half a UTF-8 sequence
  CHECK_THROWS_WITH(tokenizer.decode({320, 49408}), Catch::Contains("49408"));
  CHECK_THROWS_AS(tokenizer.decode({-1}), hc::Error);
}

TEST_CASE("batch pads, masks and finds the end token", "[text][batch]") {
  const auto& tokenizer = clip_tokenizer();
  const hc::TokenBatch batch = tokenizer.batch({"a photo of a cat", "", "a <|endoftext|> b"});
  REQUIRE(batch.rows == 3);
  REQUIRE(batch.length == 77);
  REQUIRE(batch.ids.size() == 3 * 77);
  REQUIRE(batch.attention_mask.size() == 3 * 77);

  std::vector<int64_t> expected(77, 0);
  const std::vector<int64_t> cat{49406, 320, 1125, 539, 320, 2368, 49407};
  std::copy(cat.begin(), cat.end(), expected.begin());
  CHECK(row_of(batch, 0) == expected);
  CHECK(batch.lengths == std::vector<int64_t>{7, 2, 5});
  // The first end token, as CLIP's argmax over ids picks it.
  CHECK(batch.eot_index == std::vector<int64_t>{6, 1, 2});
  for (int64_t row = 0; row < batch.rows; ++row) {
    for (int64_t col = 0; col < batch.length; ++col) {
      CHECK(batch.attention_mask[row * batch.length + col] == (col < batch.lengths[row] ? 1 : 0));
    }
  }
}

TEST_CASE("batch truncates keeping the end token, or refuses", "[text][batch]") {
  const auto& tokenizer = clip_tokenizer();
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "word ";  // 102 ids with the specials

  const hc::TokenBatch batch = tokenizer.batch({"short", long_text}, 77, true, 49407);
  const std::vector<int64_t> row = row_of(batch, 1);
  CHECK(row.front() == 49406);
  CHECK(row[75] == 2653);
  CHECK(row.back() == 49407);
  CHECK(batch.lengths[1] == 77);
  CHECK(batch.eot_index[1] == 76);
  // Padding with the end id (some checkpoints do) leaves the first end token where it was.
  CHECK(batch.eot_index[0] == 2);
  CHECK(row_of(batch, 0)[10] == 49407);
  CHECK(batch.attention_mask[10] == 0);

  CHECK_THROWS_WITH(tokenizer.batch({"short", long_text}, 77, false),
                    Catch::Contains("text 1") && Catch::Contains("102"));
  CHECK(tokenizer.batch({"a photo of a cat"}, 7, false).lengths[0] == 7);  // exactly fits
  CHECK_THROWS_AS(tokenizer.batch({"x"}, 0), hc::Error);
  CHECK(hc::fit_to_context({49406, 1, 2, 3, 49407}, 3, true, 49407, "t") ==
        std::vector<int32_t>{49406, 1, 49407});
}

TEST_CASE("encode from several threads gives the single-thread ids", "[text][threads]") {
  const auto tokenizer = hc::ClipTokenizer::load(hc::test::shared_path("data/clip-tokenizer"));
  const std::vector<FixtureCase> cases = read_cases();
  constexpr std::size_t kThreads = 8;
  std::vector<std::vector<std::vector<int32_t>>> results(kThreads);
  std::vector<std::thread> threads;
  // Each thread walks all cases from a different start, so the threads fill the cold cache
  // together and look up words others are inserting.
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      results[t].resize(cases.size());
      for (std::size_t k = 0; k < cases.size(); ++k) {
        const std::size_t i = (k + t * cases.size() / kThreads) % cases.size();
        results[t][i] = tokenizer.encode_with_specials(cases[i].text);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::size_t matched = 0;
  for (std::size_t t = 0; t < kThreads; ++t) {
    for (std::size_t i = 0; i < cases.size(); ++i) matched += results[t][i] == cases[i].ids;
  }
  CHECK(matched == kThreads * cases.size());
  CHECK(tokenizer.cached_words() > 1000);
}

TEST_CASE("batch equals clip.tokenize(truncate=True) of the model fixtures", "[text][batch]") {
  // texts.json holds texts of exactly 77 and 78 ids, longer ones, and one with <|endoftext|>.
  const std::string fixture = GENERATE(std::string("tiny-gelu"), std::string("tiny-quickgelu"));
  INFO(fixture);
  const auto folder = hc::test::shared_path("fixtures/model/" + fixture);
  std::ifstream texts_file(folder / "texts.json");
  const std::vector<std::string> texts =
      nlohmann::json::parse(texts_file).at("texts").get<std::vector<std::string>>();
  const hc::TokenBatch batch = hc::ClipTokenizer::load(folder).batch(texts);

  const auto expected = hc::SafetensorsFile::open(folder / "expected.safetensors");
  const auto int64s = [&](const std::string& name) {
    const hc::TensorView& view = expected->get(name);
    REQUIRE(view.dtype == hc::DType::I64);
    const auto* first = reinterpret_cast<const int64_t*>(view.data);
    return std::vector<int64_t>(first, first + view.numel());
  };
  CHECK(batch.ids == int64s("input_ids"));
  CHECK(batch.attention_mask == int64s("attention_mask"));
  CHECK(batch.eot_index == int64s("eot_index"));
}
