#include "hc/data/hierarcaps.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/data/hierarcaps_images.h"
#include "hc/io/csv.h"
#include "hc/text/unicode_space.h"
#include "hc/text/utf8.h"

namespace hc {
namespace {

constexpr std::size_t kIdsShownInErrors = 5;

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool is_ascii_python_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

// Python's str.strip(): a plain-ASCII path, and the Unicode one for the rest.
std::string python_strip(std::string_view text, std::string_view where) {
  if (is_ascii(text)) {
    std::size_t begin = 0;
    std::size_t end = text.size();
    while (begin < end && is_ascii_python_space(text[begin])) ++begin;
    while (end > begin && is_ascii_python_space(text[end - 1])) --end;
    return std::string(text.substr(begin, end - begin));
  }
  std::u32string code_points = text::decode_utf8(text, where);
  return text::encode_utf8(text::python_strip(code_points));
}

std::string ids_preview(const std::vector<int64_t>& ids) {
  std::size_t shown = std::min(ids.size(), kIdsShownInErrors);
  std::string text = fmt::format("{}", fmt::join(ids.begin(), ids.begin() + shown, ", "));
  if (shown < ids.size()) text += fmt::format(", ... ({} more)", ids.size() - shown);
  return text;
}

}  // namespace

HierarCapsChain split_hierarcaps_chain(std::string_view captions, std::string_view where,
                                       std::string_view column) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t arrow = captions.find("=>", start);
    parts.push_back(captions.substr(start, arrow == std::string_view::npos ? std::string_view::npos
                                                                           : arrow - start));
    if (arrow == std::string_view::npos) break;
    start = arrow + 2;
  }
  if (parts.size() != kHierarCapsTiers) {
    throw runtime_error("{}: column '{}' has {} tier{}, expected {} texts joined by '=>'", where,
                        column, parts.size(), parts.size() == 1 ? "" : "s", kHierarCapsTiers);
  }
  HierarCapsChain chain;
  for (std::size_t t = 0; t < kHierarCapsTiers; ++t) chain[t] = python_strip(parts[t], where);
  return chain;
}

std::vector<std::string> HierarCapsSet::texts() const {
  std::vector<std::string> all;
  all.reserve(rows.size() * kHierarCapsTiers);
  for (const auto& row : rows) all.insert(all.end(), row.captions.begin(), row.captions.end());
  return all;
}

void HierarCapsOptions::declare(ConfigSchema& schema, const std::string& section, bool flags) {
  auto csv_key =
      schema.add(section + ".csv", csv, "HierarCaps CSV (id,captions,image_url), plain or .gz");
  auto images_key = schema.add(section + ".images", images,
                               "folder of the COCO images the CSV's image_url ids refer to");
  auto skip_key =
      schema.add(section + ".skip_missing_images", skip_missing_images,
                 "leave out rows whose image file is missing (and list them) instead of failing");
  if (flags) {
    csv_key.flag("--csv");
    images_key.flag("--images");
    skip_key.flag("--skip-missing");
  }
}

HierarCapsSet load_hierarcaps(const HierarCapsOptions& options) {
  if (options.csv.empty()) {
    throw usage_error("no HierarCaps CSV given: set data.csv (--csv), e.g. hierarcaps_test.csv");
  }
  CsvReader reader(options.csv);
  const std::size_t captions_column = reader.column("captions");
  const std::size_t url_column = reader.column("image_url");
  const std::optional<std::size_t> id_column = reader.find_column("id");

  std::optional<CocoImageFolder> folder;
  if (!options.images.empty()) folder = index_coco_images(options.images);

  HierarCapsSet set;
  set.source = options.csv;
  set.image_folder = options.images;
  std::unordered_map<int64_t, std::size_t> image_of_id;
  std::unordered_map<int64_t, bool> missing;  // id -> already listed

  CsvRow record;
  std::size_t index = 0;
  for (; reader.next(record); ++index) {
    std::string where = fmt::format("{}: row {}", reader.where(record), index + 1);
    HierarCapsRow row;
    row.id = id_column ? record[*id_column] : std::to_string(index);
    row.captions = split_hierarcaps_chain(record[captions_column], where, "captions");
    row.image_url = record[url_column];
    row.line = record.line;
    std::optional<int64_t> coco_id = coco_id_from_url(row.image_url);
    if (!coco_id) {
      throw runtime_error("{}: image_url '{}' has no COCO id (expected '_<digits>' as in "
                          "COCO_val2014_000000000139.jpg)", where, row.image_url);
    }
    row.coco_id = *coco_id;

    auto known = image_of_id.find(row.coco_id);
    if (known == image_of_id.end()) {
      std::filesystem::path file;
      if (folder) {
        auto found = folder->files.find(row.coco_id);
        if (found == folder->files.end()) {
          if (missing.emplace(row.coco_id, true).second) set.missing_coco_ids.push_back(row.coco_id);
          set.skipped.push_back({row.id, row.line, row.coco_id});
          continue;
        }
        if (found->second.size() > 1) {
          std::vector<std::string> names;
          for (const auto& path : found->second) names.push_back(path.filename().string());
          throw runtime_error("{}: COCO id {} matches {} files in {} ({}): keep one", where,
                              row.coco_id, names.size(), folder->folder.string(),
                              fmt::join(names, ", "));
        }
        file = found->second.front();
      }
      known = image_of_id.emplace(row.coco_id, set.images.size()).first;
      set.images.push_back({row.coco_id, file, {}});
    }
    row.image = known->second;
    set.images[row.image].rows.push_back(set.rows.size());
    set.rows.push_back(std::move(row));
  }

  if (!set.missing_coco_ids.empty() && !options.skip_missing_images) {
    throw runtime_error(
        "{}: {} of the images its rows refer to are not in {} (COCO ids {}); add them, or set "
        "skip_missing_images to evaluate without those {} rows",
        options.csv.string(), set.missing_coco_ids.size(), options.images.string(),
        ids_preview(set.missing_coco_ids), set.skipped.size());
  }
  if (set.rows.empty()) {
    throw runtime_error("{}: no rows{}", options.csv.string(),
                        set.skipped.empty() ? "" : " with an image (all were skipped)");
  }
  return set;
}

}  // namespace hc
