#include "hc/model/clip_encoder.h"

#include <string>

#include "hc/core/error.h"

namespace hc {

ClipEncoderImpl::ClipEncoderImpl(int64_t width, int64_t heads, int64_t intermediate,
                                 int64_t layers, Activation activation, double layer_norm_eps,
                                 const at::TensorOptions& options) {
  // A plain module named "layers" with children "0", "1", ...: Hugging Face's
  // "encoder.layers.N." names, without ModuleList in the header.
  auto list = register_module("layers", std::make_shared<torch::nn::Module>());
  for (int64_t i = 0; i < layers; ++i) {
    layers_.push_back(list->register_module(
        std::to_string(i), std::make_shared<TransformerBlockImpl>(
                               width, heads, intermediate, activation, layer_norm_eps, options)));
  }
}

at::Tensor ClipEncoderImpl::forward(at::Tensor x, const at::Tensor& allowed,
                                    const TowerHooks& hooks) const {
  for (int64_t i = 0; i < num_layers(); ++i) {
    if (hooks.before_layer) {
      const int64_t length = x.size(1);
      x = hooks.before_layer(i, x);
      if (allowed.defined() && x.size(1) != length) {
        throw usage_error("a before_layer hook changed the sequence length at layer {} from {} "
                          "to {}; the text tower's mask needs a constant length",
                          i, length, x.size(1));
      }
    }
    x = layers_[static_cast<std::size_t>(i)]->forward(x, allowed);
  }
  return x;
}

}  // namespace hc
