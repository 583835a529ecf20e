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

#include "hc/data/image_captions.h"

namespace hc {

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

}  // namespace hc
