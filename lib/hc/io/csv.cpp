#include "hc/io/csv.h"

#include <fmt/format.h>

#include <ostream>

#include "hc/core/error.h"
#include "hc/io/text_file.h"

namespace hc {
namespace fs = std::filesystem;

class CsvReader::Lines {
 public:
  virtual ~Lines() = default;
  virtual bool next(std::string& line) = 0;
  virtual std::size_t line_number() const = 0;
};

namespace {

class FileLines : public CsvReader::Lines {
 public:
  explicit FileLines(const fs::path& path) : reader_(path) {}
  bool next(std::string& line) override { return reader_.next(line); }
  std::size_t line_number() const override { return reader_.line_number(); }

 private:
  LineReader reader_;
};

class StringLines : public CsvReader::Lines {
 public:
  explicit StringLines(std::string text) : text_(std::move(text)) {}
  bool next(std::string& line) override {
    if (position_ >= text_.size()) return false;
    std::size_t newline = text_.find('\n', position_);
    std::size_t stop = newline == std::string::npos ? text_.size() : newline;
    std::size_t end = stop;
    if (end > position_ && text_[end - 1] == '\r') --end;
    line.assign(text_, position_, end - position_);
    position_ = stop + 1;
    ++line_number_;
    return true;
  }
  std::size_t line_number() const override { return line_number_; }

 private:
  std::string text_;
  std::size_t position_ = 0;
  std::size_t line_number_ = 0;
};

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string join(const std::vector<std::string>& names) {
  return fmt::format("{}", fmt::join(names, ", "));
}

std::optional<std::size_t> find_in(const std::vector<std::string>& header, std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}

std::size_t column_in(const std::vector<std::string>& header, std::string_view name,
                      const std::string& source) {
  if (auto found = find_in(header, name)) return *found;
  if (header.empty()) throw runtime_error("{}: no column '{}': the file has no header", source, name);
  throw runtime_error("{}: no column '{}'; available columns: {}", source, name, join(header));
}

}  // namespace

CsvReader::CsvReader(const fs::path& path, CsvOptions options)
    : CsvReader(std::make_unique<FileLines>(path), path.string(), options) {}

CsvReader CsvReader::from_string(std::string text, std::string source, CsvOptions options) {
  return CsvReader(std::make_unique<StringLines>(std::move(text)), std::move(source), options);
}

CsvReader::CsvReader(std::unique_ptr<Lines> lines, std::string source, CsvOptions options)
    : lines_(std::move(lines)), source_(std::move(source)), options_(options) {
  if (options_.has_header) {
    CsvRow header;
    if (read_record(header)) header_ = std::move(header.fields);
  }
}

CsvReader::~CsvReader() = default;
CsvReader::CsvReader(CsvReader&&) noexcept = default;
CsvReader& CsvReader::operator=(CsvReader&&) noexcept = default;

std::size_t CsvReader::column(std::string_view name) const {
  return column_in(header_, name, source_);
}

std::optional<std::size_t> CsvReader::find_column(std::string_view name) const {
  return find_in(header_, name);
}

std::string CsvReader::where(const CsvRow& row) const {
  return fmt::format("{}:{}", source_, row.line);
}

bool CsvReader::next(CsvRow& row) { return read_record(row); }

bool CsvReader::read_record(CsvRow& row) {
  std::string& line = line_;
  do {
    if (!lines_->next(line)) return false;
    if (lines_->line_number() == 1 && line.compare(0, kUtf8Bom.size(), kUtf8Bom) == 0) {
      line.erase(0, kUtf8Bom.size());
    }
  } while (options_.skip_empty_lines && line.empty());

  const char delimiter = options_.delimiter;
  row.line = lines_->line_number();
  row.fields.clear();
  std::size_t i = 0;
  for (;;) {  // one field per pass
    std::string field;
    if (i < line.size() && line[i] == '"') {
      std::size_t opened_line = lines_->line_number();
      std::size_t opened_column = i + 1;
      ++i;
      for (;;) {
        std::size_t quote = line.find('"', i);
        if (quote == std::string::npos) {
          // The field goes on past this line end: the line break belongs to it.
          field.append(line, i, std::string::npos);
          field += '\n';
          if (!lines_->next(line)) {
            throw runtime_error(
                "{}:{}: unterminated quoted field (the quote in column {} of line {} is never "
                "closed)",
                source_, row.line, opened_column, opened_line);
          }
          i = 0;
          continue;
        }
        field.append(line, i, quote - i);
        if (quote + 1 < line.size() && line[quote + 1] == '"') {
          field += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      row.fields.push_back(std::move(field));
      if (i == line.size()) break;
      if (line[i] != delimiter) {
        throw runtime_error(
            "{}:{}: unexpected '{}' after the closing quote of field {} (quotes inside a quoted "
            "field must be doubled)",
            source_, lines_->line_number(), line[i], row.fields.size());
      }
      ++i;
      if (i == line.size()) {  // a delimiter ending the line: one more, empty, field
        row.fields.emplace_back();
        break;
      }
    } else {
      std::size_t stop = line.find(delimiter, i);
      if (stop == std::string::npos) {
        row.fields.emplace_back(line, i, std::string::npos);
        break;
      }
      row.fields.emplace_back(line, i, stop - i);
      i = stop + 1;
      if (i == line.size()) {
        row.fields.emplace_back();
        break;
      }
    }
  }

  if (expected_fields_ == 0) {
    expected_fields_ = row.fields.size();
  } else if (row.fields.size() != expected_fields_) {
    std::string names = header_.empty() ? "" : fmt::format(" ({})", join(header_));
    throw runtime_error("{}:{}: expected {} fields{}, got {}", source_, row.line, expected_fields_,
                        names, row.fields.size());
  }
  return true;
}

std::size_t CsvTable::column(std::string_view name) const { return column_in(header, name, source); }

std::optional<std::size_t> CsvTable::find_column(std::string_view name) const {
  return find_in(header, name);
}

const std::string& CsvTable::at(const CsvRow& row, std::string_view column_name) const {
  return row.fields[column(column_name)];
}

std::string CsvTable::where(const CsvRow& row) const {
  return fmt::format("{}:{}", source, row.line);
}

namespace {
CsvTable drain(CsvReader& reader) {
  CsvTable table;
  table.source = reader.source();
  table.header = reader.header();
  CsvRow row;
  while (reader.next(row)) table.rows.push_back(std::move(row));
  return table;
}
}  // namespace

CsvTable read_csv(const fs::path& path, CsvOptions options) {
  CsvReader reader(path, options);
  return drain(reader);
}

CsvTable parse_csv(std::string text, std::string source, CsvOptions options) {
  CsvReader reader = CsvReader::from_string(std::move(text), std::move(source), options);
  return drain(reader);
}

std::string csv_quote(std::string_view field, char delimiter) {
  bool needs_quotes = field.find_first_of(std::string{delimiter, '"', '\n', '\r'}) !=
                          std::string_view::npos ||
                      (!field.empty() && (field.front() == ' ' || field.back() == ' '));
  if (!needs_quotes) return std::string(field);
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

void CsvWriter::write_row(const std::vector<std::string>& fields) {
  if (fields.size() == 1 && fields[0].empty()) {  // an empty line would read back as no record
    out_ << "\"\"\n";
    return;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out_ << delimiter_;
    out_ << csv_quote(fields[i], delimiter_);
  }
  out_ << '\n';
}

}  // namespace hc
