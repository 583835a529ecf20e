#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/io/text_file.h"
#include "test_support.h"

namespace {

std::vector<std::string> all_lines(const std::filesystem::path& path) {
  hc::LineReader reader(path);
  std::vector<std::string> lines;
  std::string line;
  while (reader.next(line)) {
    lines.push_back(line);
    REQUIRE(reader.line_number() == lines.size());
  }
  return lines;
}

// A text long enough to span several read chunks and gzip blocks.
std::string long_text() {
  std::string text;
  for (int i = 0; i < 60000; ++i) text += "line " + std::to_string(i) + " of a long text\n";
  return text;
}

}  // namespace

TEST_CASE("text file: plain and gzip files read to the same text") {
  hc::test::TempDir dir;
  std::string text = long_text();
  hc::write_text_file(dir / "a.txt", text);
  hc::write_text_file(dir / "a.txt.gz", text);
  REQUIRE(hc::is_gzip_file(dir / "a.txt.gz"));
  REQUIRE_FALSE(hc::is_gzip_file(dir / "a.txt"));
  REQUIRE(hc::test::read_bytes(dir / "a.txt.gz").size() < text.size() / 4);
  REQUIRE(hc::read_text_file(dir / "a.txt") == text);
  REQUIRE(hc::read_text_file(dir / "a.txt.gz") == text);
  auto lines = all_lines(dir / "a.txt.gz");
  REQUIRE(lines.size() == 60000);
  REQUIRE(lines.back() == "line 59999 of a long text");
}

TEST_CASE("text file: gzip magic, not the name, decides") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "compressed.dat", hc::gzip_compress("hidden\n"));
  REQUIRE(hc::read_text_file(dir / "compressed.dat") == "hidden\n");
}

TEST_CASE("text file: line reader: CRLF, blank lines and a last line without newline") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "t.txt", "a\r\n\r\nb\nlast");
  REQUIRE(all_lines(dir / "t.txt") == std::vector<std::string>{"a", "", "b", "last"});
  hc::test::write_bytes(dir / "u.txt", "one\n");
  REQUIRE(all_lines(dir / "u.txt") == std::vector<std::string>{"one"});
  hc::test::write_bytes(dir / "empty.txt", "");
  REQUIRE(all_lines(dir / "empty.txt").empty());
  REQUIRE(hc::read_text_file(dir / "empty.txt").empty());
}

TEST_CASE("text file: concatenated gzip members read as one text") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "multi.gz", hc::gzip_compress("first\n") + hc::gzip_compress("second\n"));
  REQUIRE(hc::read_text_file(dir / "multi.gz") == "first\nsecond\n");
}

TEST_CASE("text file: truncated gzip is an error naming the file") {
  hc::test::TempDir dir;
  std::string gz = hc::gzip_compress(long_text());
  auto path = dir / "cut.csv.gz";
  hc::test::write_bytes(path, gz.substr(0, gz.size() / 2));
  REQUIRE_THROWS_WITH(hc::read_text_file(path),
                      Catch::Contains(path.string()) && Catch::Contains("truncated"));
  // Losing only the 8-byte trailer (CRC and size) is caught too.
  hc::test::write_bytes(path, gz.substr(0, gz.size() - 4));
  REQUIRE_THROWS_WITH(hc::read_text_file(path), Catch::Contains("truncated"));
  hc::LineReader reader(path);
  std::string line;
  REQUIRE_THROWS_AS([&] { while (reader.next(line)) {} }(), hc::Error);
}

TEST_CASE("text file: corrupt gzip is an error naming the file") {
  hc::test::TempDir dir;
  std::string gz = hc::gzip_compress(long_text());
  auto path = dir / "bad.gz";
  SECTION("flipped bytes in the compressed data") {
    for (std::size_t i = 20; i < 60; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  }
  SECTION("wrong checksum") { gz[gz.size() - 6] = static_cast<char>(gz[gz.size() - 6] ^ 1); }
  SECTION("garbage after the stream") { gz += "garbage"; }
  hc::test::write_bytes(path, gz);
  REQUIRE_THROWS_WITH(hc::read_text_file(path),
                      Catch::Contains(path.string()) && Catch::Contains("corrupt gzip"));
}

TEST_CASE("text file: a .gz file that is not gzip is an error") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "plain.csv.gz", "id,name\n");
  REQUIRE_THROWS_WITH(hc::read_text_file(dir / "plain.csv.gz"), Catch::Contains("not a gzip file"));
}

TEST_CASE("text file: missing files and folders are errors naming them") {
  hc::test::TempDir dir;
  REQUIRE_THROWS_WITH(hc::read_text_file(dir / "nope.txt"),
                      Catch::Contains("nope.txt") && Catch::Contains("no such file"));
  REQUIRE_THROWS_WITH(hc::LineReader(dir.path()), Catch::Contains("is a folder"));
  try {
    hc::read_text_file(dir / "nope.txt");
  } catch (const hc::Error& e) {
    REQUIRE(e.kind() == hc::Error::Kind::Runtime);
  }
}

TEST_CASE("text file: gzip in memory round-trips and rejects non-gzip data") {
  std::string data = long_text();
  REQUIRE(hc::gzip_decompress(hc::gzip_compress(data), "mem") == data);
  REQUIRE(hc::gzip_decompress(hc::gzip_compress(""), "mem").empty());
  REQUIRE_THROWS_WITH(hc::gzip_decompress("plain", "blob"), Catch::Contains("blob"));
}

TEST_CASE("text file: the real HierarCaps expanded file reads line by line") {
  auto path = hc::test::shared_path("data/hierarcaps/hierarcaps_test_expanded.csv.gz");
  auto lines = all_lines(path);
  REQUIRE(lines.size() > 20000);
  REQUIRE(lines.front() == "positive,negative,image_url");
}
