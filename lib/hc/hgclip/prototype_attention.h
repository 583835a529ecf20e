#pragma once
// HGCLIP's prototype attention (design_details["attention"] == 1): the image tokens after CLS
// attend to the class prototypes after the prototype graph network. Per image b, with F_b the
// projected tokens [T, D] and P the prototypes [K, D]:
//   S = 2 F_b P^T          [T, K]
//   A = softmax(S) over the classes (not over the tokens)
//   V = A P                [T, D]
//   pooled_b = mean over rows of V + max over rows of V (elementwise; the max's gradient goes
//              to one row per element, as torch.max(dim) routes it)
// All images at once; any device and floating dtype.
#include <ATen/core/Tensor.h>

namespace hc {

struct PrototypeAttention {
  at::Tensor logits;   // S: [B, T, K]
  at::Tensor weights;  // A: [B, T, K]
  at::Tensor pooled;   // [B, D]
};

// tokens [B, T, D], prototypes [K, D].
PrototypeAttention prototype_attention(const at::Tensor& tokens, const at::Tensor& prototypes);

}  // namespace hc
