#include "hc/data/hierarcaps_train.h"

#include <algorithm>
#include <optional>

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

}  // namespace hc
