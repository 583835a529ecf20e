#pragma once
// HGCLIP's graph network (GNNModel): three GATConv layers in -> hidden -> hidden -> out with
// `heads` heads each and exact (erf) GELU between them, over the label graph.
//
// How the heads combine (HgclipOptions::gnn_heads):
//  - GnnHeads::Head0 (the official code): DGL keeps a head axis per layer, so the three layers
//    return [N, 8, 8, 8, out] and HGCLIP.forward keeps [:, 0, 0, 0, :]. Heads never mix, so that
//    is the chain of head 0 of every layer: a single-head network whose other heads are
//    computed and dropped (their parameters get zero gradient). Computed here as that chain.
//  - GnnHeads::Mean: every layer averages its heads ([N, heads, F] -> [N, F]), a true
//    multi-head network with the same parameter shapes (hc's default).
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "hc/hgclip/gat_conv.h"

namespace hc {

enum class GnnHeads { Head0, Mean };
GnnHeads parse_gnn_heads(const std::string& text);  // "head0" or "mean"

struct GraphNetworkOutput {
  at::Tensor output;                 // [N, out]
  std::vector<at::Tensor> layers;    // each layer's output before the GELU: [N, F]
  // Each layer's edge softmax: [E] (Head0: head 0's) or [E, heads] (Mean).
  std::vector<at::Tensor> attention;
};

class GraphNetworkImpl : public torch::nn::Module {
 public:
  // Modules "conv1", "conv2", "conv3", parameters uninitialised (see reset_parameters).
  GraphNetworkImpl(int64_t in_features, int64_t hidden, int64_t out_features, int64_t heads,
                   GnnHeads mode, const at::TensorOptions& options);

  // x [N, in_features]: one feature row per node.
  GraphNetworkOutput forward(const GraphEdges& graph, const at::Tensor& x) const;

  void reset_parameters(at::Generator& generator);  // DGL's GATConv initialisation

  GnnHeads mode() const { return mode_; }
  const std::vector<GatConv>& convs() const { return convs_; }

 private:
  GnnHeads mode_;
  std::vector<GatConv> convs_;
};
TORCH_MODULE(GraphNetwork);

}  // namespace hc
