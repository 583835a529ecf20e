#pragma once
// Captioned images for cross-modal retrieval: the texts of one HierarCaps tier with their images,
// or any image-caption CSV. Torch-free.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hc {

struct HierarCapsSet;

// Captions and their images, images listed once in order of first appearance.
struct ImageCaptions {
  std::filesystem::path source;
  std::vector<std::string> captions;
  std::vector<int64_t> image_of_caption;    // per caption, an index into images
  std::vector<std::filesystem::path> images;
};

// The text of tier `tier` (1 = most general, 4 = most specific) of every row, with the row's
// image (set.images order). A set without image files, or a tier outside 1..4, is an hc::Error.
ImageCaptions hierarcaps_image_captions(const HierarCapsSet& set, int tier = 4);

// Any image-caption CSV (plain or gzip): one caption per row, the image file in image_column
// (relative paths resolved against image_root, or the CSV's folder when image_root is empty).
// Unknown columns, empty captions and missing image files are hc::Errors naming the file and
// line (missing files: one error with their count and the first ones).
ImageCaptions load_image_captions(const std::filesystem::path& csv, const std::string& image_column,
                                  const std::string& caption_column,
                                  const std::filesystem::path& image_root = {});

}  // namespace hc
