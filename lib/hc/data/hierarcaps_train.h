#pragma once
// The HierarCaps train format, as the official train.py reads it: a CSV (plain or gzip) with
// columns `positive` and `negative`, each 4 texts from general to specific joined by " => "
// (split on exactly that, as `str.split(' => ')`; the texts are not stripped), plus whatever
// identifies the row's image (`image_url` and/or `id`), carried along. Torch-free.
//
// Not load_hierarcaps_pairs (hierarcaps_pairs.h): that reader follows the official evaluation
// (split on "=>", texts stripped, image_url must hold a COCO id); train rows are split as
// train.py splits them, and their images (Conceptual Captions in the official set) need no id.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "hc/data/hierarcaps.h"

namespace hc {

struct HierarCapsTrainRow {
  HierarCapsChain positive;  // levels 1..4, general -> specific
  HierarCapsChain negative;  // level t contradicts positive level t, entails positive level t-1
  std::string id;            // the `id` column, else the row's 0-based index
  std::string image_url;     // the `image_url` column, "" when the file has none
  std::size_t line = 0;      // line of the record in the CSV
};

struct HierarCapsTrainSet {
  std::filesystem::path source;
  std::vector<HierarCapsTrainRow> rows;  // file order
};

// train.py's split: `text.split(' => ')`, which must give exactly 4 texts, none of them empty or
// only spaces (such a text embeds onto the root, where the exterior angle is undefined). A
// violation is an hc::Error starting with `where` and naming the column.
HierarCapsChain split_train_chain(std::string_view joined, std::string_view where,
                                  std::string_view column);

// Reads the whole file. Missing `positive` / `negative` columns, CSV syntax errors, malformed
// chains and a file without rows are hc::Errors naming the file, line and row.
HierarCapsTrainSet load_hierarcaps_train(const std::filesystem::path& csv);

// What identifies an image across CSVs: the file name at the end of an image URL or path
// (".../val2014/COCO_val2014_000000179765.jpg" -> "COCO_val2014_000000179765.jpg"), so that the
// same image matches whatever host or folder the CSVs name it under. "" for an empty url.
std::string image_key(std::string_view url);

// Drops the rows of `set` whose image (image_key of image_url) is also the image of a row of
// `other_csv` (any CSV with an `image_url` column, e.g. the HierarCaps test set): no test image
// leaks into training. Returns how many rows were dropped. A set without image_url values, or
// another CSV without an image_url column, is an hc::Error naming the file.
std::size_t exclude_images(HierarCapsTrainSet& set, const std::filesystem::path& other_csv);

// The image file of each row: `folder` / image_key(image_url), the same identity exclude_images
// matches on (for HierarCaps' COCO URLs the COCO file name, e.g. COCO_val2014_000000179765.jpg).
// A row without an image_url, or whose file does not exist, is an hc::Error naming `csv`, the
// row's line and id, and the path looked for (no row is skipped silently).
std::vector<std::filesystem::path> train_image_files(const std::vector<HierarCapsTrainRow>& rows,
                                                     const std::filesystem::path& csv,
                                                     const std::filesystem::path& folder);

}  // namespace hc
