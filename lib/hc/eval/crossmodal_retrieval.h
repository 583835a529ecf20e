#pragma once
// Cross-modal retrieval, Recall@K in both directions, for any set of captioned images: the
// paper's "pretraining knowledge retained" check (for HierarCaps, each row's most specific text
// against its image).
//   text -> image: a caption is a hit at K when its own image is among the K images most
//                  similar to it;
//   image -> text: an image is a hit at K when any of its captions is among the K captions most
//                  similar to it.
// The rank of the correct item counts the items scoring strictly higher (ties go to the
// correct item). Embeddings are normalised in float32 first.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace hc {

struct HierarCapsSet;

struct CrossModalRecall {
  std::vector<int> ks;
  std::vector<double> text_to_image;  // R@K per k, fraction of captions
  std::vector<double> image_to_text;  // R@K per k, fraction of images
  std::size_t captions = 0;
  std::size_t images = 0;
};

// captions [N, D], images [M, D] (any device), image_of_caption: N indices into images. Every
// image needs at least one caption; ks must be positive. Violations are hc::Errors.
CrossModalRecall crossmodal_recall(const at::Tensor& captions, const at::Tensor& images,
                                   const std::vector<int64_t>& image_of_caption,
                                   const std::vector<int>& ks = {1, 5, 10});

// {captions, images, text_to_image: {"R@1": .., ...}, image_to_text: {...}}
nlohmann::ordered_json crossmodal_json(const CrossModalRecall& recall);

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
