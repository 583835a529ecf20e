#pragma once
// Embeddings made elsewhere (any framework) for the HierarCaps metrics, in the layout of the
// shared metrics fixtures (fixtures/metrics/README.md):
//   text  [rows, 4, D]  the CSV's rows in order, tiers general -> specific
//   image [images, D]   distinct images in order of first appearance in the CSV
//   root  [D]           optional: the embedding of the empty string
// Any floating dtype; rows need not be normalised (the metric normalises in float32).
#include <filesystem>

#include <ATen/core/Tensor.h>

#include "hc/data/hierarcaps.h"

namespace hc {

struct RetrievalEmbeddings {
  std::filesystem::path source;
  at::Tensor text;    // [set.rows, 4, D], float32 on the CPU
  at::Tensor images;  // [set.images, D]
  at::Tensor root;    // [D], undefined when the file has none
  int64_t dim = 0;
};

// Reads the file for set. A file holding every row of the CSV while set skipped some (missing
// images) is narrowed to set's rows. Missing tensors, wrong shapes (naming what set expects),
// disagreeing dimensions and non-floating dtypes are hc::Errors naming the file.
RetrievalEmbeddings read_retrieval_embeddings(const std::filesystem::path& file,
                                              const HierarCapsSet& set);

}  // namespace hc
