#pragma once
// Graph attention with the semantics of DGL's GATConv (dgl.nn.pytorch.conv.GATConv, DGL 1.1;
// HGCLIP's arguments: no dropout, no residual, no activation, with bias), computed with index
// operations (index_select / index_add, and a padded in-edge table for the softmax maximum)
// over an edge list:
//
//   z_i = W x_i, split in `heads` heads of F features        (fc: Linear without bias)
//   e_ji = LeakyReLU_0.2(attn_l[h] . z_j[h] + attn_r[h] . z_i[h])   for every edge j -> i
//   alpha_ji = softmax of e over the in-edges of i            (a duplicated edge counts per copy)
//   out_i[h] = sum over edges j -> i of alpha_ji[h] z_j[h] + bias[h]
//
// Any device and floating dtype; gradients flow to the four parameters and the input features.
#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "hc/hgclip/label_graph.h"

namespace hc {

// A graph's edges as int64 tensors on one device.
struct GraphEdges {
  at::Tensor src;       // [E]
  at::Tensor dst;       // [E]
  at::Tensor in_edges;  // [N, max in-degree]: each node's in-edge ids, padded with -1
  int64_t num_nodes = 0;

  GraphEdges to(const at::Device& device) const;
};
GraphEdges graph_edges(const LabelGraph& graph, const at::Device& device);

// DGL's edge_softmax: scores [E, ...] normalised over the in-edges of each destination node
// (max-subtracted, so large scores do not overflow).
at::Tensor edge_softmax(const GraphEdges& graph, const at::Tensor& scores);

struct GatOutput {
  at::Tensor features;   // forward: [N, *, heads, F]; forward_head: [N, *, F]
  at::Tensor attention;  // the edge softmax: forward: [E, *, heads]; forward_head: [E, *]
};

class GatConvImpl : public torch::nn::Module {
 public:
  // Parameters are allocated uninitialised: call reset_parameters() or copy values in.
  GatConvImpl(int64_t in_features, int64_t out_features, int64_t heads,
              const at::TensorOptions& options);

  // features [N, *, in_features] (DGL keeps any middle dimensions, so stacked layers see a head
  // axis per earlier layer).
  GatOutput forward(const GraphEdges& graph, const at::Tensor& features) const;
  // One head alone, the same values as forward(...).select(-2, head) without computing the
  // others (their parameters get zero gradient).
  GatOutput forward_head(const GraphEdges& graph, const at::Tensor& features, int64_t head) const;

  // DGL's initialisation: xavier_normal with gain calculate_gain('relu') = sqrt(2) on fc.weight,
  // attn_l and attn_r, zero bias. Values are drawn on the CPU in float32.
  void reset_parameters(at::Generator& generator);

  int64_t heads() const { return heads_; }
  int64_t out_features() const { return out_features_; }

  at::Tensor fc_weight;  // "fc.weight" [heads * F, in_features]; head h owns rows h F .. (h+1) F - 1
  at::Tensor attn_l;     // "attn_l" [1, heads, F]
  at::Tensor attn_r;     // "attn_r" [1, heads, F]
  at::Tensor bias;       // "bias" [heads * F]

 private:
  int64_t in_features_;
  int64_t out_features_;
  int64_t heads_;
};
TORCH_MODULE(GatConv);

}  // namespace hc
