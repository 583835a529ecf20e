#include "hc/data/hierarcaps_train.h"

#include <algorithm>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

#include "hc/core/error.h"
#include "hc/io/csv.h"

namespace hc {
namespace {

constexpr std::string_view kSeparator = " => ";

bool blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

}  // namespace

HierarCapsChain split_train_chain(std::string_view joined, std::string_view where,
                                  std::string_view column) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    std::size_t found = joined.find(kSeparator, start);
    parts.push_back(joined.substr(start, found == std::string_view::npos ? found : found - start));
    if (found == std::string_view::npos) break;
    start = found + kSeparator.size();
  }
  if (parts.size() != kHierarCapsTiers) {
    throw runtime_error("{}: column '{}' has {} text{}, expected {} joined by '{}'", where, column,
                        parts.size(), parts.size() == 1 ? "" : "s", kHierarCapsTiers, kSeparator);
  }
  HierarCapsChain chain;
  for (std::size_t level = 0; level < kHierarCapsTiers; ++level) {
    if (blank(parts[level])) {
      throw runtime_error("{}: column '{}' has an empty text at level {} (of {})", where, column,
                          level + 1, kHierarCapsTiers);
    }
    chain[level] = std::string(parts[level]);
  }
  return chain;
}

HierarCapsTrainSet load_hierarcaps_train(const std::filesystem::path& csv) {
  CsvReader reader(csv);
  const std::size_t positive_column = reader.column("positive");
  const std::size_t negative_column = reader.column("negative");
  const std::optional<std::size_t> id_column = reader.find_column("id");
  const std::optional<std::size_t> url_column = reader.find_column("image_url");

  HierarCapsTrainSet set;
  set.source = csv;
  CsvRow record;
  for (std::size_t index = 0; reader.next(record); ++index) {
    const std::string where = fmt::format("{}: row {}", reader.where(record), index + 1);
    HierarCapsTrainRow row;
    row.positive = split_train_chain(record[positive_column], where, "positive");
    row.negative = split_train_chain(record[negative_column], where, "negative");
    row.id = id_column ? record[*id_column] : std::to_string(index);
    if (url_column) row.image_url = record[*url_column];
    row.line = record.line;
    set.rows.push_back(std::move(row));
  }
  if (set.rows.empty()) throw runtime_error("{}: no rows", csv.string());
  return set;
}

std::string image_key(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const std::size_t slash = url.find_last_of("/\\");
  return std::string(slash == std::string_view::npos ? url : url.substr(slash + 1));
}

std::size_t exclude_images(HierarCapsTrainSet& set, const std::filesystem::path& other_csv) {
  CsvReader reader(other_csv);
  const std::optional<std::size_t> url_column = reader.find_column("image_url");
  if (!url_column) {
    throw runtime_error("{}: no 'image_url' column: expected the images to exclude from {}",
                        other_csv.string(), set.source.string());
  }
  std::unordered_set<std::string> excluded;
  CsvRow record;
  while (reader.next(record)) {
    const std::string key = image_key(record[*url_column]);
    if (!key.empty()) excluded.insert(key);
  }
  const std::size_t before = set.rows.size();
  for (const HierarCapsTrainRow& row : set.rows) {
    if (row.image_url.empty()) {
      throw runtime_error("{}: line {}: no image_url, so rows cannot be matched against the "
                          "images of {}",
                          set.source.string(), row.line, other_csv.string());
    }
  }
  set.rows.erase(std::remove_if(set.rows.begin(), set.rows.end(),
                                [&](const HierarCapsTrainRow& row) {
                                  return excluded.count(image_key(row.image_url)) > 0;
                                }),
                 set.rows.end());
  return before - set.rows.size();
}

std::vector<std::filesystem::path> train_image_files(const std::vector<HierarCapsTrainRow>& rows,
                                                     const std::filesystem::path& csv,
                                                     const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  files.reserve(rows.size());
  for (const HierarCapsTrainRow& row : rows) {
    const std::string key = image_key(row.image_url);
    if (key.empty()) {
      throw runtime_error("{}: line {}: row id {} has no image_url, so it has no image in {}",
                          csv.string(), row.line, row.id, folder.string());
    }
    std::filesystem::path file = folder / key;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      throw runtime_error("{}: line {}: the image of row id {} ({}) is missing: no file {}",
                          csv.string(), row.line, row.id, row.image_url, file.string());
    }
    files.push_back(std::move(file));
  }
  return files;
}

}  // namespace hc
