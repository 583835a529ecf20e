// Reading the texts `hc tokenize` works on: lines or JSONL, and errors that name file:line.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/io/text_file.h"
#include "hc/text/text_records.h"
#include "test_support.h"

using hc::test::TempDir;
using hc::test::write_bytes;

TEST_CASE("line input: every line is a text, CRLF or LF, no phantom last line", "[text][records]") {
  TempDir dir;
  write_bytes(dir / "texts.txt", "first\r\n\nthird  \nlast\n");
  const hc::TextRecords records = hc::read_text_records((dir / "texts.txt").string());
  CHECK(records.texts == std::vector<std::string>{"first", "", "third  ", "last"});
  CHECK(records.lines == std::vector<std::size_t>{1, 2, 3, 4});
  CHECK(records.where(2) == (dir / "texts.txt").string() + ":3");
}

TEST_CASE("JSONL input: the text field, blank lines skipped, gzip read as well", "[text][records]") {
  TempDir dir;
  const std::string jsonl = "{\"text\": \"a\\nb\", \"other\": 1}\n\n  \n{\"text\": \"caf\\u00e9\"}";
  write_bytes(dir / "texts.jsonl", jsonl);
  const hc::TextRecords records = hc::read_text_records((dir / "texts.jsonl").string());
  CHECK(records.texts == std::vector<std::string>{"a\nb", "caf\u00e9"});
  CHECK(records.lines == std::vector<std::size_t>{1, 4});

  write_bytes(dir / "texts.jsonl.gz", hc::gzip_compress(jsonl));
  CHECK(hc::read_text_records((dir / "texts.jsonl.gz").string()).texts == records.texts);
}

TEST_CASE("text input errors name the file and line", "[text][records]") {
  TempDir dir;
  const std::string path = (dir / "in.jsonl").string();
  SECTION("missing file") {
    CHECK_THROWS_WITH(hc::read_text_records((dir / "absent.txt").string()),
                      Catch::Contains("absent.txt"));
  }
  SECTION("not JSON") {
    write_bytes(path, "{\"text\": \"ok\"}\n{\"text\": \n");
    CHECK_THROWS_WITH(hc::read_text_records(path),
                      Catch::Contains("in.jsonl:2") && Catch::Contains("not valid JSON"));
  }
  SECTION("not an object") {
    write_bytes(path, "[\"text\"]\n");
    CHECK_THROWS_WITH(hc::read_text_records(path),
                      Catch::Contains("in.jsonl:1") && Catch::Contains("JSON object"));
  }
  SECTION("no text string") {
    write_bytes(path, "{\"text\": \"ok\"}\n\n{\"caption\": \"x\"}\n");
    CHECK_THROWS_WITH(hc::read_text_records(path),
                      Catch::Contains("in.jsonl:3") && Catch::Contains("\"text\""));
  }
  SECTION("invalid UTF-8 in a line") {
    write_bytes(dir / "in.txt", "fine\nbro\xffken\n");
    CHECK_THROWS_WITH(hc::read_text_records((dir / "in.txt").string()),
                      Catch::Contains("in.txt:2") && Catch::Contains("UTF-8"));
  }
}
