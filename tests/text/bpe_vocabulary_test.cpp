// Loading vocabularies: a small made-up one in both forms, and every broken file we can think
// of, each an hc::Error naming the file (and line or token) at fault.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include "hc/core/error.h"
#include "hc/io/text_file.h"
#include "hc/text/bpe_vocabulary.h"
#include "hc/text/byte_level.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/text/utf8.h"
#include "test_support.h"

using hc::test::TempDir;
using hc::test::write_bytes;

namespace {

std::string byte_char(uint8_t byte) {
  std::string out;
  hc::text::append_utf8(hc::text::byte_to_char(byte), out);
  return out;
}

// Bytes, bytes with </w>, the given merges joined, the special tokens: the gz file's layout.
nlohmann::json tiny_vocab(const std::vector<std::pair<std::string, std::string>>& merges) {
  nlohmann::json vocab = nlohmann::json::object();
  int id = 0;
  for (uint8_t b : hc::text::byte_order()) vocab[byte_char(b)] = id++;
  for (uint8_t b : hc::text::byte_order()) vocab[byte_char(b) + "</w>"] = id++;
  for (const auto& [left, right] : merges) vocab[left + right] = id++;
  vocab["<|startoftext|>"] = id++;
  vocab["<|endoftext|>"] = id++;
  return vocab;
}

void write_hf(const TempDir& dir, const nlohmann::json& vocab, const std::string& merges) {
  write_bytes(dir / "vocab.json", vocab.dump());
  write_bytes(dir / "merges.txt", merges);
}

}  // namespace

TEST_CASE("a small vocabulary in Hugging Face form", "[text][vocab]") {
  TempDir dir;
  const nlohmann::json vocab = tiny_vocab({{"h", "i</w>"}, {"o", "k</w>"}});
  write_hf(dir, vocab, "#version: 0.2\nh i</w>\r\no k</w>\n\n");
  const auto tokenizer = hc::ClipTokenizer::load(dir.path());
  CHECK(tokenizer.vocab_size() == 512 + 2 + 2);
  CHECK(tokenizer.bos_id() == 514);
  CHECK(tokenizer.encode("Hi ok") == std::vector<int32_t>{vocab["hi</w>"], vocab["ok</w>"]});
  CHECK(tokenizer.encode("ih") == std::vector<int32_t>{vocab["i"], vocab["h</w>"]});
  CHECK(tokenizer.decode(tokenizer.encode("hi ih")) == "hi ih ");
  // Naming either file finds the other beside it.
  CHECK(hc::ClipTokenizer::load(dir / "merges.txt").vocab_size() == 516);
  CHECK(hc::ClipTokenizer::load(dir / "vocab.json").vocab_size() == 516);
}

TEST_CASE("missing vocabulary files", "[text][vocab]") {
  TempDir dir;
  CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir / "nowhere"), Catch::Contains("nowhere"));
  CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir.path()),
                    Catch::Contains("no tokenizer vocabulary") && Catch::Contains("vocab.json"));
  write_bytes(dir / "vocab.json", tiny_vocab({}).dump());
  CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir.path()), Catch::Contains("merges.txt"));
  write_bytes(dir / "notes.txt", "hello");
  CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir / "notes.txt"),
                    Catch::Contains("notes.txt") && Catch::Contains("not a tokenizer vocabulary"));
}

TEST_CASE("corrupt Hugging Face vocabulary files", "[text][vocab]") {
  TempDir dir;
  SECTION("vocab.json is not JSON") {
    write_hf(dir, nullptr, "#version: 0.2\n");
    write_bytes(dir / "vocab.json", "{\"a\": 1,");
    CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir.path()),
                      Catch::Contains("vocab.json") && Catch::Contains("not valid JSON"));
  }
  SECTION("vocab.json maps a token to a non-integer") {
    nlohmann::json vocab = tiny_vocab({});
    vocab["bad"] = "7";
    write_hf(dir, vocab, "#version: 0.2\nh i\n");
    CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir.path()),
                      Catch::Contains("vocab.json") && Catch::Contains("'bad'"));
  }
  SECTION("a merge line without two tokens") {
    write_hf(dir, tiny_vocab({{"h", "i"}}), "#version: 0.2\nh i\nx y z\n");
    CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir.path()),
                      Catch::Contains("merges.txt:3") && Catch::Contains("two tokens"));
  }
  SECTION("a merge whose result is not a token") {
    write_hf(dir, tiny_vocab({{"h", "i"}}), "#version: 0.2\nh i\no k\n");
    CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir.path()),
                      Catch::Contains("merge 2") && Catch::Contains("'ok'"));
  }
  SECTION("no special tokens") {
    nlohmann::json vocab = tiny_vocab({{"h", "i"}});
    vocab.erase("<|endoftext|>");
    write_hf(dir, vocab, "h i\n");
    CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir.path()), Catch::Contains("<|endoftext|>"));
  }
  SECTION("an id past the number of tokens") {
    nlohmann::json vocab = tiny_vocab({{"h", "i"}});
    vocab["far"] = 1 << 30;
    write_hf(dir, vocab, "h i\n");
    CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir.path()),
                      Catch::Contains("'far'") && Catch::Contains("from 0 to 515"));
  }
  SECTION("two tokens share an id") {
    nlohmann::json vocab = tiny_vocab({{"h", "i"}});
    vocab["extra"] = 3;
    write_hf(dir, vocab, "h i\n");
    CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir.path()), Catch::Contains("id 3"));
  }
  SECTION("invalid UTF-8") {
    write_hf(dir, tiny_vocab({{"h", "i"}}), "#version: 0.2\nh \xff\n");
    CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir.path()),
                      Catch::Contains("merges.txt") && Catch::Contains("UTF-8"));
  }
}

TEST_CASE("corrupt OpenAI .gz vocabulary files", "[text][vocab]") {
  TempDir dir;
  const auto real = hc::test::shared_path("data/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz");
  SECTION("truncated gzip") {
    const std::string bytes = hc::test::read_bytes(real);
    write_bytes(dir / "bpe.txt.gz", bytes.substr(0, bytes.size() / 2));
    CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir / "bpe.txt.gz"), Catch::Contains("bpe.txt.gz"));
  }
  SECTION("too few merges") {
    write_bytes(dir / "bpe.txt.gz", hc::gzip_compress("#version: 0.2\nh i\n"));
    CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir / "bpe.txt.gz"),
                      Catch::Contains("bpe.txt.gz") && Catch::Contains("48894 merges"));
  }
  SECTION("a bad merge line") {
    std::string text = hc::read_text_file(real);
    text.replace(text.find("\nt h\n"), 5, "\nth\n");  // line 3 loses its separator
    write_bytes(dir / "bpe.txt.gz", hc::gzip_compress(text));
    CHECK_THROWS_WITH(hc::ClipTokenizer::load(dir / "bpe.txt.gz"),
                      Catch::Contains("bpe.txt.gz:3") && Catch::Contains("two tokens"));
  }
}
