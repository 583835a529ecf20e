#pragma once
// A small synthetic stand-in for the HierarCaps test set, for the offline demo and tests when
// the real data is absent: generated images (a coloured shape on a coloured background) and a
// CSV in the test set's layout (id,captions,image_url; 4 tiers general -> specific, e.g.
// "shape => circle => red circle => a large red circle on a blue background"), with image files
// named so that the official COCO-id matching ties them to their rows.
#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace hc {

struct SyntheticHierarCaps {
  std::filesystem::path csv;     // dir/hierarcaps_synthetic.csv
  std::filesystem::path images;  // dir/images/synthetic_<id>.jpg
  std::size_t rows = 0;
};

// Writes `count` images and rows into dir (created; existing files of the same names are
// replaced). The same seed gives the same files.
SyntheticHierarCaps write_synthetic_hierarcaps(const std::filesystem::path& dir,
                                               std::size_t count = 24, uint64_t seed = 0);

}  // namespace hc
