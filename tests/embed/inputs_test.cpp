// Input readers: texts from lines, JSONL and CSV columns; images from folders, list files and
// CSV columns; errors naming the file and line.
#include <catch2/catch.hpp>

#include "hc/core/error.h"
#include "hc/embed/inputs.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::TempDir;
using hc::test::write_bytes;

// Whether reading throws an hc::Error of the given kind whose message holds `part`.
template <typename Read>
void require_error(Read read, hc::Error::Kind kind, const std::string& part) {
  try {
    read();
    FAIL("no error; expected one containing " << part);
  } catch (const hc::Error& e) {
    CHECK_THAT(e.what(), Contains(part));
    CHECK(static_cast<int>(e.kind()) == static_cast<int>(kind));
  }
}

}  // namespace

TEST_CASE("Texts from a file of lines, a JSONL file and a CSV column", "[embed][inputs]") {
  TempDir dir;
  write_bytes(dir / "lines.txt", "a dog\n\nA CAT\r\n");
  auto lines = hc::read_texts((dir / "lines.txt").string());
  CHECK(lines.texts == std::vector<std::string>{"a dog", "", "A CAT"});

  write_bytes(dir / "t.jsonl", "{\"text\": \"one\\ntwo\"}\n\n{\"text\": \"three\"}\n");
  CHECK(hc::read_texts((dir / "t.jsonl").string()).texts ==
        std::vector<std::string>{"one\ntwo", "three"});

  write_bytes(dir / "caps.csv", "id,caption\n1,\"a, b\"\n2,c\n");
  auto csv = hc::read_texts((dir / "caps.csv").string() + ":caption");
  CHECK(csv.texts == std::vector<std::string>{"a, b", "c"});
  CHECK(csv.where(1) == (dir / "caps.csv").string() + ":3");

  write_bytes(dir / "caps.tsv", "id\tcaption\n1\tx y\n");
  CHECK(hc::read_texts((dir / "caps.tsv").string() + ":caption").texts ==
        std::vector<std::string>{"x y"});
}

TEST_CASE("Text reader errors name the file, line or column", "[embed][inputs]") {
  TempDir dir;
  write_bytes(dir / "caps.csv", "id,caption\n1,a\n");
  const std::string csv = (dir / "caps.csv").string();
  require_error([&] { hc::read_texts(csv + ":nope"); }, hc::Error::Kind::Runtime, "caption");
  require_error([&] { hc::read_texts(csv); }, hc::Error::Kind::Usage, csv + ":COLUMN");
  require_error([&] { hc::read_texts((dir / "missing.txt").string()); }, hc::Error::Kind::Runtime,
                "missing.txt");
  require_error([&] { hc::read_texts((dir / "missing.csv").string() + ":caption"); },
                hc::Error::Kind::Runtime, "missing.csv");
  write_bytes(dir / "bad.jsonl", "{\"text\": \"ok\"}\n{\"txt\": 1}\n");
  require_error([&] { hc::read_texts((dir / "bad.jsonl").string()); }, hc::Error::Kind::Runtime,
                "bad.jsonl:2");
  write_bytes(dir / "latin1.txt", "ok\ncaf\xe9\n");
  require_error([&] { hc::read_texts((dir / "latin1.txt").string()); }, hc::Error::Kind::Runtime,
                "latin1.txt:2");
}

TEST_CASE("Images from a folder: image files only, sorted by name", "[embed][inputs]") {
  TempDir dir;
  for (const char* name : {"b.png", "a.JPG", "c.jpeg", "notes.txt", "d.webp"}) {
    write_bytes(dir / "imgs" / name, "x");
  }
  write_bytes(dir / "imgs" / "sub" / "e.png", "x");
  const auto list = hc::read_images((dir / "imgs").string());
  std::vector<std::string> names;
  for (const auto& path : list.paths) names.push_back(path.filename().string());
  CHECK(names == std::vector<std::string>{"a.JPG", "b.png", "c.jpeg", "d.webp"});

  fs::create_directories(dir / "empty");
  require_error([&] { hc::read_images((dir / "empty").string()); }, hc::Error::Kind::Runtime,
                "no image files");
}

TEST_CASE("Images from a list file or a CSV column, relative to the file", "[embed][inputs]") {
  TempDir dir;
  write_bytes(dir / "data" / "imgs" / "x.jpg", "x");
  write_bytes(dir / "data" / "y.png", "y");
  write_bytes(dir / "data" / "list.txt",
              "# images\nimgs/x.jpg\n\n  y.png  \n" + (dir / "data" / "y.png").string() + "\n");
  const auto list = hc::read_images((dir / "data" / "list.txt").string());
  REQUIRE(list.paths.size() == 3);
  CHECK(list.paths[0] == dir / "data" / "imgs" / "x.jpg");
  CHECK(list.paths[1] == dir / "data" / "y.png");
  CHECK(list.paths[2] == dir / "data" / "y.png");

  write_bytes(dir / "data" / "meta.csv", "file,label\nimgs/x.jpg,cat\ny.png,dog\n");
  const auto csv = hc::read_images((dir / "data" / "meta.csv").string() + ":file");
  CHECK(csv.paths == std::vector<fs::path>{dir / "data" / "imgs" / "x.jpg", dir / "data" / "y.png"});

  // One image file on its own.
  CHECK(hc::read_images((dir / "data" / "y.png").string()).paths.size() == 1);
}

TEST_CASE("Image list errors name the list and line", "[embed][inputs]") {
  TempDir dir;
  write_bytes(dir / "a.jpg", "x");
  write_bytes(dir / "list.txt", "a.jpg\nmissing.jpg\n");
  require_error([&] { hc::read_images((dir / "list.txt").string()); }, hc::Error::Kind::Runtime,
                (dir / "list.txt").string() + ":2");
  write_bytes(dir / "meta.csv", "file\na.jpg\n\"\"\n");
  require_error([&] { hc::read_images((dir / "meta.csv").string() + ":file"); },
                hc::Error::Kind::Runtime, "meta.csv:3");
  require_error([&] { hc::read_images((dir / "meta.csv").string()); }, hc::Error::Kind::Usage,
                "COLUMN");
  require_error([&] { hc::read_images((dir / "nowhere").string()); }, hc::Error::Kind::Runtime,
                "nowhere");
  write_bytes(dir / "empty.txt", "# nothing\n");
  require_error([&] { hc::read_images((dir / "empty.txt").string()); }, hc::Error::Kind::Runtime,
                "names no images");
}

TEST_CASE("CSV column specs", "[embed][inputs]") {
  TempDir dir;
  CHECK(hc::parse_csv_column_spec("data.csv:caption")->column == "caption");
  CHECK(hc::parse_csv_column_spec("data.csv.gz:caption")->file == fs::path("data.csv.gz"));
  CHECK_FALSE(hc::parse_csv_column_spec("texts.txt"));
  CHECK_FALSE(hc::parse_csv_column_spec("texts.txt:col"));  // not CSV-like and not a file
  CHECK_FALSE(hc::parse_csv_column_spec("data.csv:"));
  write_bytes(dir / "odd:name.txt", "x\n");  // an existing path wins over the column syntax
  CHECK_FALSE(hc::parse_csv_column_spec((dir / "odd:name.txt").string()));
}
