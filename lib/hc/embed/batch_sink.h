#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

namespace hc {

// Called by the embedders after each forward pass with the positions of the batch's inputs (in
// the list given to embed()) and their raw embeddings, [rows.size(), P] float32 on the CPU: the
// engine hands them to the embedding cache as they come, so a run stopped half-way keeps them.
using EmbedBatchSink =
    std::function<void(const std::vector<int64_t>& rows, const at::Tensor& raw_embeddings)>;

}  // namespace hc
