#pragma once
// HierarCaps files of positive / negative hierarchy pairs: the expanded set
// (hierarcaps_test_expanded.csv.gz: `positive,negative,image_url`, ~23K automatically generated
// hierarchies on COCO val captions, the candidate pool of the qualitative retrieval mode) and
// the train set (`positive,negative`, no image_url). Each chain is 4 texts joined by "=>".
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hc/data/hierarcaps.h"

namespace hc {

struct HierarCapsPair {
  HierarCapsChain positive;
  HierarCapsChain negative;
  std::string image_url;           // empty without an image_url column
  std::optional<int64_t> coco_id;  // from image_url (hierarcaps_images.h)
  std::size_t line = 0;
};

struct HierarCapsPairSet {
  std::filesystem::path source;
  std::vector<HierarCapsPair> rows;

  // Every distinct positive text, in order of first appearance (row by row, tier by tier): the
  // qualitative mode's candidates.
  std::vector<std::string> distinct_positive_texts() const;
};

// Reads a plain or gzip CSV with columns positive and negative (image_url optional). Rows
// without 4 tiers in either chain, and image URLs without a COCO id, are hc::Errors naming the
// file, line and row.
HierarCapsPairSet load_hierarcaps_pairs(const std::filesystem::path& csv);

}  // namespace hc
