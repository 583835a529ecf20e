#include "hc/hgclip/graph_network.h"

#include <ATen/ATen.h>

#include "hc/core/error.h"
#include "hc/model/shape_text.h"

namespace hc {

GnnHeads parse_gnn_heads(const std::string& text) {
  if (text == "head0") return GnnHeads::Head0;
  if (text == "mean") return GnnHeads::Mean;
  throw usage_error("graph network heads '{}': expected 'head0' or 'mean'", text);
}

GraphNetworkImpl::GraphNetworkImpl(int64_t in_features, int64_t hidden, int64_t out_features,
                                   int64_t heads, GnnHeads mode,
                                   const at::TensorOptions& options)
    : mode_(mode) {
  const int64_t sizes[] = {in_features, hidden, hidden, out_features};
  for (int i = 0; i < 3; ++i) {
    convs_.push_back(register_module("conv" + std::to_string(i + 1),
                                     GatConv(sizes[i], sizes[i + 1], heads, options)));
  }
}

GraphNetworkOutput GraphNetworkImpl::forward(const GraphEdges& graph, const at::Tensor& x) const {
  if (x.dim() != 2) {
    throw usage_error("graph network: input must be [nodes, features], got {}",
                      shape_text(x.sizes()));
  }
  GraphNetworkOutput out;
  at::Tensor h = x;
  for (std::size_t i = 0; i < convs_.size(); ++i) {
    if (i > 0) h = at::gelu(h);
    GatOutput layer;
    if (mode_ == GnnHeads::Head0) {
      layer = convs_[i]->forward_head(graph, h, 0);
    } else {
      layer = convs_[i]->forward(graph, h);
      layer.features = layer.features.mean(-2);
    }
    h = layer.features;
    out.layers.push_back(layer.features);
    out.attention.push_back(layer.attention);
  }
  out.output = h;
  return out;
}

void GraphNetworkImpl::reset_parameters(at::Generator& generator) {
  for (auto& conv : convs_) conv->reset_parameters(generator);
}

}  // namespace hc
