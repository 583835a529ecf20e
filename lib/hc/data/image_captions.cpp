#include "hc/data/image_captions.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/data/hierarcaps.h"
#include "hc/io/csv.h"

namespace hc {
namespace fs = std::filesystem;
namespace {
constexpr std::size_t kPathsShownInErrors = 3;
}  // namespace

ImageCaptions hierarcaps_image_captions(const HierarCapsSet& set, int tier) {
  if (tier < 1 || tier > static_cast<int>(kHierarCapsTiers)) {
    throw usage_error("cross-modal retrieval: tier must be between 1 and {}, got {}",
                      kHierarCapsTiers, tier);
  }
  ImageCaptions out;
  out.source = set.source;
  for (const auto& image : set.images) {
    if (image.file.empty()) {
      throw usage_error("cross-modal retrieval over {} needs its image folder", set.source.string());
    }
    out.images.push_back(image.file);
  }
  for (const auto& row : set.rows) {
    out.captions.push_back(row.captions[static_cast<std::size_t>(tier - 1)]);
    out.image_of_caption.push_back(static_cast<int64_t>(row.image));
  }
  return out;
}

ImageCaptions load_image_captions(const fs::path& csv, const std::string& image_column,
                                  const std::string& caption_column, const fs::path& image_root) {
  CsvReader reader(csv);
  const std::size_t image_index = reader.column(image_column);
  const std::size_t caption_index = reader.column(caption_column);
  const fs::path root = image_root.empty() ? csv.parent_path() : image_root;

  ImageCaptions out;
  out.source = csv;
  std::unordered_map<std::string, int64_t> image_ids;
  std::vector<std::string> missing;
  CsvRow row;
  while (reader.next(row)) {
    const std::string& caption = row[caption_index];
    const std::string& image = row[image_index];
    if (caption.empty() || image.empty()) {
      throw runtime_error("{}: empty {} column", reader.where(row),
                          caption.empty() ? caption_column : image_column);
    }
    fs::path file = fs::path(image).is_absolute() ? fs::path(image) : root / image;
    auto [it, inserted] = image_ids.emplace(file.string(), static_cast<int64_t>(out.images.size()));
    if (inserted) {
      std::error_code ec;
      if (!fs::is_regular_file(file, ec)) missing.push_back(file.string());
      out.images.push_back(std::move(file));
    }
    out.captions.push_back(caption);
    out.image_of_caption.push_back(it->second);
  }
  if (out.captions.empty()) throw runtime_error("{}: no rows", csv.string());
  if (!missing.empty()) {
    const std::size_t shown = std::min(missing.size(), kPathsShownInErrors);
    throw runtime_error("{}: {} of its {} images are missing ({}{})", csv.string(), missing.size(),
                        out.images.size(),
                        fmt::join(missing.begin(), missing.begin() + shown, ", "),
                        shown < missing.size() ? ", ..." : "");
  }
  return out;
}

}  // namespace hc
