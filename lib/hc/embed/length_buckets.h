#pragma once
// Length-bucketed batching for the text tower. Torch-free.
//
// CLIP's text tower gives the same embedding for a sequence padded to any length: position ids
// are 0..L-1 whatever L is, and the causal mask hides everything after the end-of-text token
// that is pooled. So a batch only needs padding to its own longest sequence; sorting texts by
// length first makes most batches short (HierarCaps captions: ~12 tokens instead of 77).
#include <cstddef>
#include <vector>

namespace hc {

// Splits the indices 0..lengths.size()-1 into batches of at most batch_size, ordered by length,
// longest first (an out-of-memory batch fails at the start, not after most of the work). Ties
// keep input order.
std::vector<std::vector<std::size_t>> length_buckets(const std::vector<std::size_t>& lengths,
                                                     std::size_t batch_size);

}  // namespace hc
