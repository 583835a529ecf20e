#include "hc/hgclip/prototype_attention.h"

#include <tuple>

#include <ATen/ATen.h>

#include "hc/core/error.h"
#include "hc/model/shape_text.h"

namespace hc {

PrototypeAttention prototype_attention(const at::Tensor& tokens, const at::Tensor& prototypes) {
  if (tokens.dim() != 3 || prototypes.dim() != 2 || tokens.size(2) != prototypes.size(1)) {
    throw usage_error("prototype attention: tokens [B, T, D] and prototypes [K, D] expected, got "
                      "{} and {}",
                      shape_text(tokens.sizes()), shape_text(prototypes.sizes()));
  }
  PrototypeAttention out;
  out.logits = at::matmul(tokens, prototypes.t()) * 2;
  out.weights = at::softmax(out.logits, -1);
  at::Tensor values = at::matmul(out.weights, prototypes);  // [B, T, D]
  out.pooled = values.mean(1) + std::get<0>(values.max(1));
  return out;
}

}  // namespace hc
