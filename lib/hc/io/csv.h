#pragma once
// CSV after RFC 4180: quoted fields may hold the delimiter, doubled quotes and line breaks;
// CRLF or LF line ends; a UTF-8 byte-order mark is skipped. Plain and .gz files read the same
// way (hc/io/text_file.h). Every row remembers the line it starts on, so errors about its
// content can point at `file.csv:LINE`.
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hc {

struct CsvOptions {
  char delimiter = ',';
  bool has_header = true;         // the first record names the columns
  bool skip_empty_lines = true;   // a line with nothing on it (outside quotes) is no record
};

struct CsvRow {
  std::size_t line = 0;  // 1-based line of the record's first character
  std::vector<std::string> fields;

  std::size_t size() const { return fields.size(); }
  const std::string& operator[](std::size_t column) const { return fields[column]; }
};

// Streams the records of a CSV file (plain or gzip) or of text in memory. Malformed input
// (an unterminated quote, stray text after a closing quote, a record with the wrong number
// of fields) is an hc::Error naming the source and line.
class CsvReader {
 public:
  explicit CsvReader(const std::filesystem::path& path, CsvOptions options = {});
  // Text in memory; source names it in error messages.
  static CsvReader from_string(std::string text, std::string source, CsvOptions options = {});
  ~CsvReader();
  CsvReader(CsvReader&&) noexcept;
  CsvReader& operator=(CsvReader&&) noexcept;

  // The header's column names (empty without a header).
  const std::vector<std::string>& header() const { return header_; }
  // The index of a column; an unknown name is an hc::Error listing the available columns.
  std::size_t column(std::string_view name) const;
  std::optional<std::size_t> find_column(std::string_view name) const;

  // Reads the next record; false at the end.
  bool next(CsvRow& row);

  const std::string& source() const { return source_; }
  // "file.csv:LINE", the prefix for errors about a row's content.
  std::string where(const CsvRow& row) const;

  class Lines;  // where physical lines come from

 private:
  CsvReader(std::unique_ptr<Lines> lines, std::string source, CsvOptions options);
  bool read_record(CsvRow& row);

  std::unique_ptr<Lines> lines_;
  std::string source_;
  CsvOptions options_;
  std::vector<std::string> header_;
  std::size_t expected_fields_ = 0;  // 0 until the first record fixes it
  std::string line_;
};

// A whole CSV file in memory.
struct CsvTable {
  std::string source;
  std::vector<std::string> header;
  std::vector<CsvRow> rows;

  std::size_t column(std::string_view name) const;
  std::optional<std::size_t> find_column(std::string_view name) const;
  // The field of row in the named column.
  const std::string& at(const CsvRow& row, std::string_view column_name) const;
  std::string where(const CsvRow& row) const;
};

CsvTable read_csv(const std::filesystem::path& path, CsvOptions options = {});
CsvTable parse_csv(std::string text, std::string source, CsvOptions options = {});

// A field as it must appear in a CSV file: quoted when it holds the delimiter, a quote, a line
// break or leading/trailing spaces; inner quotes doubled.
std::string csv_quote(std::string_view field, char delimiter = ',');

// Writes records to a stream, quoting as needed; lines end with "\n".
class CsvWriter {
 public:
  explicit CsvWriter(std::ostream& out, char delimiter = ',') : out_(out), delimiter_(delimiter) {}
  void write_row(const std::vector<std::string>& fields);

 private:
  std::ostream& out_;
  char delimiter_;
};

}  // namespace hc
