#include "hc/hgclip/gat_conv.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "hc/core/error.h"
#include "hc/model/layers.h"
#include "hc/model/shape_text.h"

namespace hc {

GraphEdges graph_edges(const LabelGraph& graph, const at::Device& device) {
  const auto options = at::TensorOptions().dtype(at::kLong);
  std::vector<std::vector<int64_t>> incoming(static_cast<std::size_t>(graph.num_nodes));
  std::size_t widest = 0;
  for (int64_t e = 0; e < graph.num_edges(); ++e) {
    auto& list = incoming[static_cast<std::size_t>(graph.dst[e])];
    list.push_back(e);
    widest = std::max(widest, list.size());
  }
  std::vector<int64_t> padded(incoming.size() * widest, -1);
  for (std::size_t node = 0; node < incoming.size(); ++node) {
    std::copy(incoming[node].begin(), incoming[node].end(), padded.begin() + node * widest);
  }
  GraphEdges edges;
  edges.src = at::tensor(graph.src, options);
  edges.dst = at::tensor(graph.dst, options);
  edges.in_edges = at::tensor(padded, options)
                       .view({graph.num_nodes, static_cast<int64_t>(widest)});
  edges.num_nodes = graph.num_nodes;
  return edges.to(device);
}

GraphEdges GraphEdges::to(const at::Device& device) const {
  return {src.to(device), dst.to(device), in_edges.to(device), num_nodes};
}

at::Tensor edge_softmax(const GraphEdges& graph, const at::Tensor& scores) {
  const int64_t edges = graph.src.size(0);
  if (scores.dim() < 1 || scores.size(0) != edges) {
    throw usage_error("edge_softmax: scores must be [{} edges, ...], got {}", edges,
                      shape_text(scores.sizes()));
  }
  if (edges == 0) return scores;
  // Each node's maximum over its in-edges keeps exp() in range; it cancels out, so it carries
  // no gradient. Gathered through the padded in-edge table: [N, width, ...].
  const int64_t width = graph.in_edges.size(1);
  std::vector<int64_t> gathered_shape = scores.sizes().vec();
  gathered_shape[0] = width;
  gathered_shape.insert(gathered_shape.begin(), graph.num_nodes);
  std::vector<int64_t> pad_shape(gathered_shape.size(), 1);
  pad_shape[0] = graph.num_nodes;
  pad_shape[1] = width;
  at::Tensor gathered = scores.detach()
                            .index_select(0, graph.in_edges.clamp_min(0).reshape({-1}))
                            .view(gathered_shape)
                            .masked_fill(graph.in_edges.lt(0).view(pad_shape),
                                         -std::numeric_limits<double>::infinity());
  at::Tensor max = gathered.amax(1);  // [N, ...]; -inf for a node without in-edges (unused)
  at::Tensor exps = (scores - max.index_select(0, graph.dst)).exp();
  std::vector<int64_t> node_shape = scores.sizes().vec();
  node_shape[0] = graph.num_nodes;
  at::Tensor sums = at::zeros(node_shape, scores.options()).index_add(0, graph.dst, exps);
  return exps / sums.index_select(0, graph.dst);
}

namespace {

// z [N, M, H, F] (M: the flattened middle dimensions), attn_l / attn_r / bias [H, F].
GatOutput attend(const GraphEdges& graph, const at::Tensor& z, const at::Tensor& attn_l,
                 const at::Tensor& attn_r, const at::Tensor& bias) {
  at::Tensor el = (z * attn_l).sum(-1);  // [N, M, H]: the source term
  at::Tensor er = (z * attn_r).sum(-1);  // the destination term
  at::Tensor scores =
      at::leaky_relu(el.index_select(0, graph.src) + er.index_select(0, graph.dst), 0.2);
  at::Tensor attention = edge_softmax(graph, scores);  // [E, M, H]
  at::Tensor messages = z.index_select(0, graph.src) * attention.unsqueeze(-1);
  at::Tensor out = at::zeros(z.sizes(), z.options()).index_add(0, graph.dst, messages) + bias;
  return {out, attention};
}

// std of xavier_normal_ with gain sqrt(2), fans as torch computes them for shape.
double xavier_relu_std(at::IntArrayRef shape) {
  int64_t receptive = 1;
  for (std::size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  const double fan_in = static_cast<double>(shape[1] * receptive);
  const double fan_out = static_cast<double>(shape[0] * receptive);
  return std::sqrt(2.0) * std::sqrt(2.0 / (fan_in + fan_out));
}

}  // namespace

GatConvImpl::GatConvImpl(int64_t in_features, int64_t out_features, int64_t heads,
                         const at::TensorOptions& options)
    : in_features_(in_features), out_features_(out_features), heads_(heads) {
  if (in_features <= 0 || out_features <= 0 || heads <= 0) {
    throw usage_error("GATConv: sizes must be positive, got in {} out {} heads {}", in_features,
                      out_features, heads);
  }
  fc_weight = register_weight_module(*this, "fc", {heads * out_features, in_features}, options);
  attn_l = register_parameter("attn_l", at::empty({1, heads, out_features}, options));
  attn_r = register_parameter("attn_r", at::empty({1, heads, out_features}, options));
  bias = register_parameter("bias", at::empty({heads * out_features}, options));
}

namespace {

void check_features(const GraphEdges& graph, const at::Tensor& features, int64_t in_features) {
  if (features.dim() < 2 || features.size(0) != graph.num_nodes ||
      features.size(-1) != in_features) {
    throw usage_error("GATConv: features must be [{} nodes, ..., {}], got {}", graph.num_nodes,
                      in_features, shape_text(features.sizes()));
  }
}

// [N, *] of features without its last dimension, plus `tail`.
std::vector<int64_t> lead_shape(const at::Tensor& features, int64_t rows,
                                std::vector<int64_t> tail) {
  std::vector<int64_t> shape = features.sizes().vec();
  shape.pop_back();
  shape[0] = rows;
  shape.insert(shape.end(), tail.begin(), tail.end());
  return shape;
}

}  // namespace

GatOutput GatConvImpl::forward(const GraphEdges& graph, const at::Tensor& features) const {
  check_features(graph, features, in_features_);
  const int64_t nodes = graph.num_nodes;
  const int64_t edges = graph.src.size(0);
  at::Tensor x = features.reshape({nodes, -1, in_features_});
  at::Tensor z = at::linear(x, fc_weight).view({nodes, x.size(1), heads_, out_features_});
  GatOutput out = attend(graph, z, attn_l.select(0, 0), attn_r.select(0, 0),
                         bias.view({heads_, out_features_}));
  out.features = out.features.view(lead_shape(features, nodes, {heads_, out_features_}));
  out.attention = out.attention.view(lead_shape(features, edges, {heads_}));
  return out;
}

GatOutput GatConvImpl::forward_head(const GraphEdges& graph, const at::Tensor& features,
                                    int64_t head) const {
  check_features(graph, features, in_features_);
  if (head < 0 || head >= heads_) {
    throw usage_error("GATConv: head {} out of range [0, {})", head, heads_);
  }
  const int64_t nodes = graph.num_nodes;
  const int64_t edges = graph.src.size(0);
  const int64_t f = out_features_;
  at::Tensor x = features.reshape({nodes, -1, in_features_});
  at::Tensor z = at::linear(x, fc_weight.narrow(0, head * f, f)).view({nodes, x.size(1), 1, f});
  GatOutput out = attend(graph, z, attn_l.select(0, 0).narrow(0, head, 1),
                         attn_r.select(0, 0).narrow(0, head, 1),
                         bias.narrow(0, head * f, f).view({1, f}));
  out.features = out.features.view(lead_shape(features, nodes, {f}));
  out.attention = out.attention.view(lead_shape(features, edges, {}));
  return out;
}

void GatConvImpl::reset_parameters(at::Generator& generator) {
  torch::NoGradGuard no_grad;
  for (at::Tensor* param : {&fc_weight, &attn_l, &attn_r}) {
    at::Tensor values = at::empty(param->sizes(), at::kFloat);
    values.normal_(0.0, xavier_relu_std(param->sizes()), generator);
    param->copy_(values);
  }
  bias.zero_();
}

}  // namespace hc
