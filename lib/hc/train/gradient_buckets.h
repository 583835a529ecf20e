#pragma once
// Many tensors exchanged as a few flat buffers: one collective per bucket instead of one per
// tensor (latency dominates small all-reduces), without ever holding a second copy of a whole
// large model in one buffer.
#include <cstddef>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

namespace hc {

// Indices into a list of tensors. A bucket holds tensors of one dtype and device only, in list
// order, and at most max_bytes of them; a tensor larger than max_bytes is a bucket of its own.
// Undefined tensors are in no bucket. Equal lists give equal plans on every rank.
std::vector<std::vector<std::size_t>> plan_buckets(const std::vector<at::Tensor>& tensors,
                                                   std::size_t max_bytes);

// The bucket's tensors concatenated into one contiguous 1-D tensor of dtype `as`.
at::Tensor flatten_bucket(const std::vector<at::Tensor>& tensors,
                          const std::vector<std::size_t>& bucket, c10::ScalarType as);

// The flat buffer copied back into the bucket's tensors, in place (any strides, any dtype).
void unflatten_bucket(const at::Tensor& flat, const std::vector<at::Tensor>& tensors,
                      const std::vector<std::size_t>& bucket);

}  // namespace hc
