// `hc tokenize` end to end: text and JSONL files in, one JSON line of ids out per text.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

using hc::test::quoted;

std::string vocab_folder() { return quoted(hc::test::shared_path("data/clip-tokenizer")); }

hc::test::CommandResult tokenize(const std::string& arguments) {
  return hc::test::run_command(hc::test::binary("hc") + " tokenize " + arguments);
}

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

}  // namespace

TEST_CASE("hc tokenize: one text per line, untruncated ids with the specials") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "texts.txt", "A photo of a CAT.\n\ncaf\u00e9 &amp; friends\r\nlast");
  const auto result = tokenize("--vocab " + vocab_folder() + " " + quoted(dir / "texts.txt"));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto lines = json_lines(result.out);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["text"] == "A photo of a CAT.");
  CHECK(lines[0]["ids"] == nlohmann::json{49406, 320, 1125, 539, 320, 2368, 269, 49407});
  CHECK(lines[1]["ids"] == nlohmann::json{49406, 49407});  // an empty line is an empty text
  CHECK(lines[2]["text"] == "caf\u00e9 &amp; friends");    // "\r\n" ends the line
  CHECK(lines[3]["text"] == "last");
  // Non-ASCII as-is, in json.dumps' layout.
  CHECK_THAT(result.out, Contains("{\"text\": \"caf\u00e9 &amp; friends\", \"ids\": [49406, "));
}

TEST_CASE("hc tokenize: JSONL input keeps newlines inside texts; --context-length cuts") {
  hc::test::TempDir dir;
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "word ";
  hc::test::write_bytes(dir / "texts.jsonl",
                        "{\"text\": \"two\\nlines\", \"id\": 7}\n\n{\"text\": \"" + long_text +
                            "\"}\n");
  const auto gz = quoted(hc::test::shared_path(
      "data/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz"));
  const auto result = tokenize("--vocab " + gz + " --context-length 77 -o " +
                               quoted(dir / "ids.jsonl") + " " + quoted(dir / "texts.jsonl"));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.empty());
  const auto lines = json_lines(hc::test::read_bytes(dir / "ids.jsonl"));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["text"] == "two\nlines");
  CHECK(lines[0]["ids"] == nlohmann::json{49406, 1237, 3418, 49407});
  REQUIRE(lines[1]["ids"].size() == 77);
  CHECK(lines[1]["ids"][76] == 49407);

  const auto untruncated = tokenize("--vocab " + gz + " " + quoted(dir / "texts.jsonl"));
  REQUIRE(untruncated.exit_code == 0);
  CHECK(json_lines(untruncated.out)[1]["ids"].size() == 102);

  const auto refused = tokenize("--vocab " + gz + " --context-length 77 --no-truncate " +
                                quoted(dir / "texts.jsonl"));
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Contains("texts.jsonl:3") && Contains("102 tokens"));
}

TEST_CASE("hc tokenize: errors name the file and line, with the right exit code") {
  hc::test::TempDir dir;
  SECTION("missing input file") {
    const auto result = tokenize("--vocab " + vocab_folder() + " " + quoted(dir / "absent.txt"));
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Contains("absent.txt"));
  }
  SECTION("malformed JSONL line") {
    hc::test::write_bytes(dir / "bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"x\"\n");
    const auto result = tokenize("--vocab " + vocab_folder() + " " + quoted(dir / "bad.jsonl"));
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Contains("bad.jsonl:2"));
    CHECK(result.out.empty());
  }
  SECTION("JSONL line without a text string") {
    hc::test::write_bytes(dir / "bad.jsonl", "{\"text\": 3}\n");
    const auto result = tokenize("--vocab " + vocab_folder() + " " + quoted(dir / "bad.jsonl"));
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Contains("bad.jsonl:1") && Contains("\"text\""));
  }
  SECTION("missing --vocab is a usage error") {
    hc::test::write_bytes(dir / "texts.txt", "hello\n");
    const auto result = tokenize(quoted(dir / "texts.txt"));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Contains("--vocab"));
  }
  SECTION("--model takes the tokenizer of a checkpoint folder") {
    hc::test::write_bytes(dir / "texts.txt", "a goat on an island\n");
    const auto from_model = tokenize(
        "--model " + quoted(hc::test::shared_path("fixtures/model/tiny-gelu")) + " " +
        quoted(dir / "texts.txt"));
    const auto from_vocab = tokenize("--vocab " + vocab_folder() + " " + quoted(dir / "texts.txt"));
    CHECK(from_model.exit_code == 0);
    CHECK(from_model.out == from_vocab.out);
  }
  SECTION("a hub id that is not cached names the cache and suggests hc fetch") {
    hc::test::write_bytes(dir / "texts.txt", "hello\n");
    const auto result = tokenize("--model nobody/no-such-model " + quoted(dir / "texts.txt"));
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.err, Contains("hc fetch"));
  }
  SECTION("a broken vocabulary") {
    hc::test::write_bytes(dir / "texts.txt", "hello\n");
    const auto result = tokenize("--vocab " + quoted(dir / "nowhere") + " " +
                                 quoted(dir / "texts.txt"));
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Contains("nowhere"));
  }
}
