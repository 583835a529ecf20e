#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/io/csv.h"
#include "hc/io/text_file.h"
#include "test_support.h"

using Fields = std::vector<std::string>;

namespace {

std::vector<std::string> split_captions(const std::string& captions) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t arrow = captions.find(" => ", start);
    parts.push_back(captions.substr(start, arrow - start));
    if (arrow == std::string::npos) return parts;
    start = arrow + 4;
  }
}

}  // namespace

TEST_CASE("csv: quoted fields with delimiters, doubled quotes and line breaks") {
  auto table = hc::parse_csv(
      "id,text,n\n"
      "1,\"a, b\",2\n"
      "2,\"she said \"\"hi\"\"\",3\n"
      "3,\"two\nlines\",4\n"
      "4,,\n"
      "5,\"\",\"\"\n",
      "mem.csv");
  REQUIRE(table.header == Fields{"id", "text", "n"});
  REQUIRE(table.rows.size() == 5);
  REQUIRE(table.rows[0].fields == Fields{"1", "a, b", "2"});
  REQUIRE(table.rows[1].fields == Fields{"2", "she said \"hi\"", "3"});
  REQUIRE(table.rows[2].fields == Fields{"3", "two\nlines", "4"});
  REQUIRE(table.rows[3].fields == Fields{"4", "", ""});
  REQUIRE(table.rows[4].fields == Fields{"5", "", ""});
  // Line numbers are those of each record's start: record 3 spans lines 4-5.
  REQUIRE(table.rows[0].line == 2);
  REQUIRE(table.rows[2].line == 4);
  REQUIRE(table.rows[3].line == 6);
  REQUIRE(table.where(table.rows[3]) == "mem.csv:6");
  REQUIRE(table.at(table.rows[1], "n") == "3");
}

TEST_CASE("csv: CRLF line ends, a byte-order mark and no final newline") {
  auto table = hc::parse_csv("\xEF\xBB\xBFid,name\r\n1,\"x\r\ny\"\r\n2,z", "bom.csv");
  REQUIRE(table.header == Fields{"id", "name"});
  REQUIRE(table.column("id") == 0);
  REQUIRE(table.rows.size() == 2);
  REQUIRE(table.rows[0].fields == Fields{"1", "x\ny"});
  REQUIRE(table.rows[1].fields == Fields{"2", "z"});
  REQUIRE(table.rows[1].line == 4);
}

TEST_CASE("csv: blank lines are skipped but counted") {
  auto table = hc::parse_csv("a,b\n\n1,2\n\n\n3,4\n", "blank.csv");
  REQUIRE(table.rows.size() == 2);
  REQUIRE(table.rows[0].line == 3);
  REQUIRE(table.rows[1].line == 6);
}

TEST_CASE("csv: other delimiters and no header") {
  hc::CsvOptions options;
  options.delimiter = '\t';
  options.has_header = false;
  auto table = hc::parse_csv("a\tb,c\n\"x\ty\"\tz\n", "t.tsv", options);
  REQUIRE(table.header.empty());
  REQUIRE(table.rows.size() == 2);
  REQUIRE(table.rows[0].fields == Fields{"a", "b,c"});
  REQUIRE(table.rows[1].fields == Fields{"x\ty", "z"});
  REQUIRE_THROWS_WITH(table.column("a"), Catch::Contains("no header"));
}

TEST_CASE("csv: an unknown column names the file and the columns it has") {
  auto table = hc::parse_csv("id,captions,image_url\n1,a,b\n", "data/h.csv");
  REQUIRE_THROWS_WITH(table.column("caption"),
                      "data/h.csv: no column 'caption'; available columns: id, captions, image_url");
  REQUIRE_FALSE(table.find_column("caption"));
  REQUIRE(table.find_column("image_url") == 2u);
}

TEST_CASE("csv: malformed rows name the file and line") {
  SECTION("wrong field count") {
    REQUIRE_THROWS_WITH(hc::parse_csv("id,text,n\n1,a,2\n\n2,b,c,3\n", "bad.csv"),
                        "bad.csv:4: expected 3 fields (id, text, n), got 4");
    REQUIRE_THROWS_WITH(hc::parse_csv("id,text,n\n1,\"a\nb\"\n", "bad.csv"),
                        Catch::StartsWith("bad.csv:2: expected 3 fields"));
  }
  SECTION("unterminated quote reports the line the record starts on") {
    REQUIRE_THROWS_WITH(hc::parse_csv("id,text\n1,ok\n2,\"never closed\n3,more\n", "open.csv"),
                        Catch::StartsWith("open.csv:3: unterminated quoted field") &&
                            Catch::Contains("column 3 of line 3"));
  }
  SECTION("text after a closing quote") {
    REQUIRE_THROWS_WITH(hc::parse_csv("id,text\n1,\"a\"b\n", "stray.csv"),
                        Catch::StartsWith("stray.csv:2: unexpected 'b' after the closing quote"));
  }
  SECTION("errors are runtime errors") {
    try {
      hc::parse_csv("a\n\"", "x.csv");
      FAIL("no error");
    } catch (const hc::Error& e) {
      REQUIRE(e.kind() == hc::Error::Kind::Runtime);
    }
  }
}

TEST_CASE("csv: a stray quote inside an unquoted field is kept") {
  auto table = hc::parse_csv("name,size\na 5\" screen,3\n", "q.csv");
  REQUIRE(table.rows[0].fields == Fields{"a 5\" screen", "3"});
}

TEST_CASE("csv: the writer quotes only when needed and reads back") {
  std::ostringstream out;
  hc::CsvWriter writer(out);
  Fields tricky{"plain", "a,b", "say \"x\"", "two\nlines", " padded", ""};
  writer.write_row({"c1", "c2", "c3", "c4", "c5", "c6"});
  writer.write_row(tricky);
  REQUIRE(out.str() ==
          "c1,c2,c3,c4,c5,c6\nplain,\"a,b\",\"say \"\"x\"\"\",\"two\nlines\",\" padded\",\n");
  auto table = hc::parse_csv(out.str(), "written.csv");
  REQUIRE(table.rows.size() == 1);
  REQUIRE(table.rows[0].fields == tricky);

  std::ostringstream single;
  hc::CsvWriter one(single);
  one.write_row({"only"});
  one.write_row({""});
  hc::CsvOptions no_header;
  no_header.has_header = false;
  REQUIRE(hc::parse_csv(single.str(), "one.csv", no_header).rows.size() == 2);
}

TEST_CASE("csv: gzip files read the same as plain ones") {
  hc::test::TempDir dir;
  std::string text = "id,text\n1,\"a\nb\"\n2,c\n";
  hc::write_text_file(dir / "t.csv", text);
  hc::write_text_file(dir / "t.csv.gz", text);
  auto plain = hc::read_csv(dir / "t.csv");
  auto gz = hc::read_csv(dir / "t.csv.gz");
  REQUIRE(plain.rows.size() == 2);
  REQUIRE(gz.rows.size() == 2);
  REQUIRE(plain.rows[0].fields == gz.rows[0].fields);
  REQUIRE(gz.rows[1].line == 4);
  REQUIRE(gz.source == (dir / "t.csv.gz").string());
}

TEST_CASE("csv: a truncated gzip CSV is an error naming the file") {
  hc::test::TempDir dir;
  std::string text = "id,text\n";
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + ",row " + std::to_string(i) + "\n";
  std::string gz = hc::gzip_compress(text);
  auto path = dir / "cut.csv.gz";
  hc::test::write_bytes(path, gz.substr(0, gz.size() - 100));
  REQUIRE_THROWS_WITH(hc::read_csv(path), Catch::Contains(path.string()) && Catch::Contains("gzip"));
}

TEST_CASE("csv: the streaming reader gives rows one at a time") {
  auto reader = hc::CsvReader::from_string("a,b\n1,2\n3,4\n", "s.csv");
  REQUIRE(reader.header() == Fields{"a", "b"});
  std::size_t b = reader.column("b");
  hc::CsvRow row;
  std::vector<std::string> seen;
  while (reader.next(row)) seen.push_back(row[b] + "@" + reader.where(row));
  REQUIRE(seen == Fields{"2@s.csv:2", "4@s.csv:3"});
  REQUIRE_THROWS_WITH(reader.column("c"), Catch::Contains("available columns: a, b"));
}

TEST_CASE("csv: the real HierarCaps test set") {
  auto table = hc::read_csv(hc::test::shared_path("data/hierarcaps/hierarcaps_test.csv"));
  REQUIRE(table.header == Fields{"id", "captions", "image_url"});
  REQUIRE(table.rows.size() == 1000);
  const auto& first = table.rows.front();
  REQUIRE(first.line == 2);
  REQUIRE(table.at(first, "id") == "0");
  auto captions = split_captions(table.at(first, "captions"));
  REQUIRE(captions == Fields{"table", "table with plates",
                             "table with three plates, with man and woman holding utensil",
                             "A table with three plates with food and a man and a woman both "
                             "holding utensil near plates."});
  REQUIRE(table.at(first, "image_url") ==
          "http://images.cocodataset.org/val2014/COCO_val2014_000000301718.jpg");
  for (const auto& row : table.rows) {
    INFO(table.where(row));
    REQUIRE(split_captions(table.at(row, "captions")).size() == 4);
  }
  REQUIRE(table.at(table.rows.back(), "id") == "999");
}

TEST_CASE("csv: the real HierarCaps expanded pool (gzip)") {
  auto path = hc::test::shared_path("data/hierarcaps/hierarcaps_test_expanded.csv.gz");
  hc::CsvReader reader(path);
  REQUIRE(reader.header() == Fields{"positive", "negative", "image_url"});
  std::size_t positive = reader.column("positive");
  hc::CsvRow row;
  std::size_t rows = 0;
  while (reader.next(row)) {
    ++rows;
    if (rows == 1) {
      REQUIRE(split_captions(row[positive]) ==
              Fields{"motorized transportation", "motorcycle", "a motorcycle parked in front",
                     "A black Honda motorcycle parked in front of a garage."});
    }
  }
  REQUIRE(rows > 20000);
  REQUIRE(row.line > 20000);
}
