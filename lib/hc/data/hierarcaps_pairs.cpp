#include "hc/data/hierarcaps_pairs.h"

#include <unordered_set>

#include <fmt/format.h>

#include "hc/core/error.h"
#include "hc/data/hierarcaps_images.h"
#include "hc/io/csv.h"

namespace hc {

std::vector<std::string> HierarCapsPairSet::distinct_positive_texts() const {
  std::vector<std::string> texts;
  std::unordered_set<std::string> seen;
  for (const auto& row : rows) {
    for (const auto& text : row.positive) {
      if (seen.insert(text).second) texts.push_back(text);
    }
  }
  return texts;
}

HierarCapsPairSet load_hierarcaps_pairs(const std::filesystem::path& csv) {
  CsvReader reader(csv);
  const std::size_t positive_column = reader.column("positive");
  const std::size_t negative_column = reader.column("negative");
  const std::optional<std::size_t> url_column = reader.find_column("image_url");

  HierarCapsPairSet set;
  set.source = csv;
  CsvRow record;
  for (std::size_t index = 0; reader.next(record); ++index) {
    std::string where = fmt::format("{}: row {}", reader.where(record), index + 1);
    HierarCapsPair pair;
    pair.positive = split_hierarcaps_chain(record[positive_column], where, "positive");
    pair.negative = split_hierarcaps_chain(record[negative_column], where, "negative");
    pair.line = record.line;
    if (url_column) {
      pair.image_url = record[*url_column];
      pair.coco_id = coco_id_from_url(pair.image_url);
      if (!pair.coco_id) {
        throw runtime_error("{}: image_url '{}' has no COCO id (expected '_<digits>')", where,
                            pair.image_url);
      }
    }
    set.rows.push_back(std::move(pair));
  }
  return set;
}

}  // namespace hc
