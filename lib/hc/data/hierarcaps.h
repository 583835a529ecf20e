#pragma once
// The HierarCaps test set (hierarcaps_test.csv: `id,captions,image_url`, captions = 4 texts from
// general to specific joined by "=>") with its rows tied to COCO image files as the official
// evaluation (`code/evaluation/hierarchical_retrieval.py`, `_load_data`) ties them: by the COCO
// id in image_url (hierarcaps_images.h). One image may have several rows (several COCO
// references); images are listed once, in order of first appearance.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace hc {

class ConfigSchema;

inline constexpr std::size_t kHierarCapsTiers = 4;
// Texts of one hierarchy, general -> specific.
using HierarCapsChain = std::array<std::string, kHierarCapsTiers>;

// The official row2texts: split on "=>", each part stripped as Python's str.strip() does. Not
// exactly 4 parts is an hc::Error starting with `where` (e.g. "file.csv:12: row 11") and naming
// the column.
HierarCapsChain split_hierarcaps_chain(std::string_view captions, std::string_view where,
                                       std::string_view column);

struct HierarCapsRow {
  std::string id;              // the CSV's id column as written (the row's 0-based index if absent)
  HierarCapsChain captions;
  std::string image_url;
  int64_t coco_id = 0;
  std::size_t image = 0;       // index into HierarCapsSet::images
  std::size_t line = 0;        // line of the record in the CSV
};

struct HierarCapsImage {
  int64_t coco_id = 0;
  std::filesystem::path file;     // the matched file; empty when no image folder was given
  std::vector<std::size_t> rows;  // its rows (indices into HierarCapsSet::rows), CSV order
};

// A row left out because its image file is missing (skip_missing_images).
struct HierarCapsSkippedRow {
  std::string id;
  std::size_t line = 0;
  int64_t coco_id = 0;
};

struct HierarCapsSet {
  std::filesystem::path source;
  std::filesystem::path image_folder;        // empty when images were not matched
  std::vector<HierarCapsRow> rows;           // CSV order (skipped rows removed)
  std::vector<HierarCapsImage> images;       // distinct, in order of first appearance
  std::vector<HierarCapsSkippedRow> skipped;  // CSV order
  std::vector<int64_t> missing_coco_ids;     // distinct ids without a file, first appearance

  // All rows' texts, row-major (row 0 tiers 1..4, row 1 ...): the order of the [n, 4, D] text
  // embeddings the metrics take.
  std::vector<std::string> texts() const;
};

struct HierarCapsOptions {
  std::filesystem::path csv;     // hierarcaps_test.csv (plain or gzip)
  std::filesystem::path images;  // folder of COCO images; empty = rows are not matched to files
  // Rows whose image is missing: false = one hc::Error naming how many and the first ids;
  // true = leave those rows out and list them in HierarCapsSet::skipped.
  bool skip_missing_images = false;

  // Keys <section>.csv, <section>.images, <section>.skip_missing_images; with flags, also
  // --csv, --images and --skip-missing.
  void declare(ConfigSchema& schema, const std::string& section = "hierarcaps",
               bool flags = true);
};

// Reads the CSV (columns captions and image_url required, id optional; CSV syntax errors, rows
// without 4 tiers and image URLs without a COCO id are hc::Errors naming the file, line and
// row) and, when options.images is set, matches each row to its image file.
HierarCapsSet load_hierarcaps(const HierarCapsOptions& options);

}  // namespace hc
