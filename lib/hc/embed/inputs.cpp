#include "hc/embed/inputs.h"

#include <algorithm>

#include "hc/core/error.h"
#include "hc/core/strings.h"
#include "hc/hub/ascii_text.h"
#include "hc/io/csv.h"
#include "hc/io/text_file.h"
#include "hc/text/utf8.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

bool is_csv_name(const fs::path& path) {
  const std::string name = hub::ascii_lower(path.filename().string());
  for (const char* suffix : {".csv", ".tsv", ".csv.gz", ".tsv.gz"}) {
    if (ends_with(name, suffix)) return true;
  }
  return false;
}

bool is_tsv_name(const fs::path& path) {
  const std::string name = hub::ascii_lower(path.filename().string());
  return ends_with(name, ".tsv") || ends_with(name, ".tsv.gz");
}

bool path_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// Rows of one column of a CSV file, with "file.csv:LINE" of each.
struct ColumnValues {
  std::vector<std::string> values;
  std::vector<std::size_t> lines;
};

ColumnValues read_column(const CsvColumnSpec& spec) {
  if (!path_exists(spec.file)) throw runtime_error("{}: no such file", spec.file.string());
  CsvOptions options;
  if (is_tsv_name(spec.file)) options.delimiter = '\t';
  CsvReader reader(spec.file, options);
  const std::size_t column = reader.column(spec.column);
  ColumnValues out;
  CsvRow row;
  while (reader.next(row)) {
    out.values.push_back(row[column]);
    out.lines.push_back(row.line);
  }
  return out;
}

[[noreturn]] void throw_column_needed(const fs::path& file, const std::string& what) {
  CsvOptions options;
  if (is_tsv_name(file)) options.delimiter = '\t';
  std::string columns;
  const CsvReader reader(file, options);
  for (const auto& name : reader.header()) {
    columns += (columns.empty() ? "" : ", ") + name;
  }
  throw usage_error("{} is a CSV file: name the column of {} as {}:COLUMN (columns: {})",
                    file.string(), what, file.string(), columns);
}

// A listed image: resolved against `base`, and required to be a file.
fs::path listed_image(const std::string& entry, const fs::path& base, const std::string& where) {
  const fs::path path = fs::path(entry).is_absolute() ? fs::path(entry) : base / entry;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw runtime_error("{}: image {} {}", where, path.string(),
                        path_exists(path) ? "is not a file" : "does not exist");
  }
  return path;
}

std::vector<fs::path> images_in_folder(const fs::path& folder) {
  std::vector<fs::path> paths;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_error;
    if (it->is_regular_file(type_error) && has_image_extension(it->path())) {
      paths.push_back(it->path());
    }
  }
  if (ec) throw runtime_error("cannot list the folder {}: {}", folder.string(), ec.message());
  std::sort(paths.begin(), paths.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  if (paths.empty()) {
    throw runtime_error(
        "the folder {} holds no image files (.jpg, .jpeg, .png, .bmp, .webp, .tif, .tiff, .ppm, "
        ".pgm; sub-folders are not searched)",
        folder.string());
  }
  return paths;
}

std::vector<fs::path> images_in_list(const fs::path& list) {
  std::vector<fs::path> paths;
  const fs::path base = list.parent_path();
  LineReader reader(list);
  std::string line;
  while (reader.next(line)) {
    const std::string entry = hub::trim_ascii_space(line);
    if (entry.empty() || entry.front() == '#') continue;
    paths.push_back(
        listed_image(entry, base, list.string() + ":" + std::to_string(reader.line_number())));
  }
  if (paths.empty()) throw runtime_error("{}: the list names no images", list.string());
  return paths;
}

}  // namespace

std::optional<CsvColumnSpec> parse_csv_column_spec(const std::string& spec) {
  if (path_exists(spec)) return std::nullopt;
  const auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) return std::nullopt;
  CsvColumnSpec parsed{spec.substr(0, colon), spec.substr(colon + 1)};
  if (!is_csv_name(parsed.file) && !path_exists(parsed.file)) return std::nullopt;
  return parsed;
}

bool has_image_extension(const fs::path& path) {
  static const char* const kExtensions[] = {".jpg",  ".jpeg", ".png", ".bmp", ".webp",
                                            ".tif",  ".tiff", ".ppm", ".pgm"};
  const std::string extension = hub::ascii_lower(path.extension().string());
  return std::any_of(std::begin(kExtensions), std::end(kExtensions),
                     [&](const char* known) { return extension == known; });
}

TextRecords read_texts(const std::string& spec) {
  if (auto column = parse_csv_column_spec(spec)) {
    const ColumnValues values = read_column(*column);
    TextRecords records;
    records.source = column->file.string();
    for (std::size_t i = 0; i < values.values.size(); ++i) {
      text::decode_utf8(values.values[i], records.source + ":" + std::to_string(values.lines[i]));
    }
    records.texts = values.values;
    records.lines = values.lines;
    return records;
  }
  if (spec != "-" && is_csv_name(spec) && path_exists(spec)) throw_column_needed(spec, "texts");
  if (spec != "-" && !path_exists(spec)) throw runtime_error("texts {}: no such file", spec);
  return read_text_records(spec);
}

ImageList read_images(const std::string& spec) {
  ImageList list{spec, {}};
  std::error_code ec;
  if (auto column = parse_csv_column_spec(spec)) {
    const ColumnValues values = read_column(*column);
    const fs::path base = column->file.parent_path();
    for (std::size_t i = 0; i < values.values.size(); ++i) {
      const std::string where = column->file.string() + ":" + std::to_string(values.lines[i]);
      const std::string entry = hub::trim_ascii_space(values.values[i]);
      if (entry.empty()) throw runtime_error("{}: empty image path in column '{}'", where, column->column);
      list.paths.push_back(listed_image(entry, base, where));
    }
    if (list.paths.empty()) throw runtime_error("{}: no rows", column->file.string());
  } else if (fs::is_directory(spec, ec)) {
    list.paths = images_in_folder(spec);
  } else if (!path_exists(spec)) {
    throw runtime_error("images {}: no such file or folder", spec);
  } else if (is_csv_name(spec)) {
    throw_column_needed(spec, "image paths");
  } else if (has_image_extension(spec)) {
    list.paths.push_back(spec);
  } else {
    list.paths = images_in_list(spec);
  }
  return list;
}

}  // namespace hc
