// Graph attention with DGL GATConv semantics: checked against a direct per-node evaluation of
// the equations in float64, on a multigraph with duplicate edges, several heads and a middle
// dimension; the single-head path, the edge softmax, the initialisation, and the graph network's
// head modes (the head-0 chain equals DGL's literal stacking sliced [:, 0, 0, 0]).

#include "catch_torch.h"

#include <cmath>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>

#include "hc/core/error.h"
#include "hc/hgclip/gat_conv.h"
#include "hc/hgclip/graph_network.h"

namespace {

// A multigraph: 0 -> 2 twice, parent links, self-loops last; node 1 only has its self-loop.
hc::LabelGraph test_graph() {
  hc::LabelGraph g;
  g.num_nodes = 4;
  g.src = {0, 0, 1, 0, 2, 0, 1, 2, 3};
  g.dst = {2, 2, 3, 3, 3, 0, 1, 2, 3};
  return g;
}

void fill_random(hc::GatConvImpl& conv, uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : conv.parameters()) p.copy_(torch::empty(p.sizes()).normal_(0.0, 0.5, generator));
}

// out_i[h] = sum over edges j -> i of softmax_in(i)(LeakyReLU(a_l.z_j + a_r.z_i)) z_j + b, per
// node and head, in float64 loops. x [N, in] -> [N, heads, F].
torch::Tensor reference_gat(const hc::LabelGraph& g, const hc::GatConvImpl& conv,
                            const torch::Tensor& x, torch::Tensor* attention) {
  const int64_t heads = conv.heads(), f = conv.out_features();
  auto w = conv.fc_weight.detach().to(torch::kDouble);
  auto z = torch::matmul(x.to(torch::kDouble), w.t()).view({g.num_nodes, heads, f});
  auto al = conv.attn_l.detach().to(torch::kDouble)[0];
  auto ar = conv.attn_r.detach().to(torch::kDouble)[0];
  auto b = conv.bias.detach().to(torch::kDouble).view({heads, f});
  auto out = torch::zeros({g.num_nodes, heads, f}, torch::kDouble);
  *attention = torch::zeros({g.num_edges(), heads}, torch::kDouble);
  for (int64_t i = 0; i < g.num_nodes; ++i) {
    for (int64_t h = 0; h < heads; ++h) {
      std::vector<int64_t> in_edges;
      double total = 0.0;
      std::vector<double> weights;
      for (int64_t e = 0; e < g.num_edges(); ++e) {
        if (g.dst[e] != i) continue;
        double score = (al[h] * z[g.src[e]][h]).sum().item<double>() +
                       (ar[h] * z[i][h]).sum().item<double>();
        score = score > 0 ? score : 0.2 * score;
        in_edges.push_back(e);
        weights.push_back(std::exp(score));
        total += weights.back();
      }
      for (std::size_t k = 0; k < in_edges.size(); ++k) {
        const double a = weights[k] / total;
        (*attention)[in_edges[k]][h] = a;
        out[i][h] += a * z[g.src[in_edges[k]]][h];
      }
      out[i][h] += b[h];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("GATConv follows DGL's equations on a multigraph, every head", "[hgclip][gat]") {
  const hc::LabelGraph g = test_graph();
  hc::GatConv conv(5, 3, 4, torch::TensorOptions().dtype(torch::kFloat));
  fill_random(*conv, 7);
  torch::Tensor x = torch::randn({4, 5});
  hc::GatOutput out = conv->forward(hc::graph_edges(g, torch::kCPU), x);
  torch::Tensor attention;
  torch::Tensor want = reference_gat(g, *conv, x, &attention);
  REQUIRE(out.features.sizes() == std::vector<int64_t>{4, 4, 3});
  REQUIRE(out.attention.sizes() == std::vector<int64_t>{9, 4});
  CHECK(torch::allclose(out.features.to(torch::kDouble), want, 1e-5, 1e-5));
  CHECK(torch::allclose(out.attention.to(torch::kDouble), attention, 1e-6, 1e-6));
  // Node 0 has only its self-loop: weight 1. The two copies of 0 -> 2 weigh the same and,
  // with the self-loop, share node 2's softmax.
  CHECK(out.attention[5].allclose(torch::ones({4})));
  CHECK(out.attention[0].allclose(out.attention[1]));
  CHECK((out.attention[0] * 2 + out.attention[7]).allclose(torch::ones({4})));
}

TEST_CASE("GATConv keeps middle dimensions and one head equals its slice", "[hgclip][gat]") {
  const hc::LabelGraph g = test_graph();
  const hc::GraphEdges edges = hc::graph_edges(g, torch::kCPU);
  hc::GatConv conv(6, 2, 3, torch::TensorOptions().dtype(torch::kFloat));
  fill_random(*conv, 11);
  torch::Tensor x = torch::randn({4, 2, 6});
  hc::GatOutput all = conv->forward(edges, x);
  REQUIRE(all.features.sizes() == std::vector<int64_t>{4, 2, 3, 2});
  REQUIRE(all.attention.sizes() == std::vector<int64_t>{9, 2, 3});
  // Each middle row is an independent graph signal.
  hc::GatOutput row1 = conv->forward(edges, x.select(1, 1));
  CHECK(torch::allclose(all.features.select(1, 1), row1.features, 1e-6, 1e-6));

  for (int64_t head = 0; head < 3; ++head) {
    hc::GatOutput one = conv->forward_head(edges, x, head);
    CHECK(torch::allclose(one.features, all.features.select(-2, head), 1e-6, 1e-6));
    CHECK(torch::allclose(one.attention, all.attention.select(-1, head), 1e-6, 1e-6));
  }
  // The single-head path gives the other heads' parameters exactly zero gradient.
  conv->forward_head(edges, x, 1).features.sum().backward();
  CHECK(conv->fc_weight.grad().narrow(0, 0, 2).abs().max().item<float>() == 0.0f);
  CHECK(conv->fc_weight.grad().narrow(0, 2, 2).abs().max().item<float>() > 0.0f);
  CHECK(conv->bias.grad().narrow(0, 4, 2).abs().max().item<float>() == 0.0f);
  CHECK(conv->attn_l.grad()[0][0].abs().max().item<float>() == 0.0f);

  CHECK_THROWS_AS(conv->forward(edges, torch::randn({3, 6})), hc::Error);
  CHECK_THROWS_AS(conv->forward_head(edges, x, 3), hc::Error);
}

TEST_CASE("edge_softmax normalises over in-edges and survives large scores", "[hgclip][gat]") {
  const hc::LabelGraph g = test_graph();
  const hc::GraphEdges edges = hc::graph_edges(g, torch::kCPU);
  torch::Tensor scores = torch::randn({9, 2}) * 1000;
  torch::Tensor a = hc::edge_softmax(edges, scores);
  CHECK(torch::isfinite(a).all().item<bool>());
  torch::Tensor sums = torch::zeros({4, 2}).index_add(0, edges.dst, a);
  CHECK(sums.allclose(torch::ones({4, 2})));
  // Turning the edges around normalises over out-edges instead: another result.
  hc::GraphEdges reversed = hc::graph_edges(g.reversed(), torch::kCPU);
  CHECK_FALSE(hc::edge_softmax(reversed, scores.abs() / 1000).allclose(
      hc::edge_softmax(edges, scores.abs() / 1000)));
}

TEST_CASE("GATConv initialisation: DGL's xavier_normal (gain sqrt 2) and zero bias",
          "[hgclip][gat]") {
  hc::GatConv conv(64, 64, 8, torch::TensorOptions().dtype(torch::kFloat));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(3);
  conv->reset_parameters(generator);
  const double fc_std = std::sqrt(2.0) * std::sqrt(2.0 / (64 + 512));
  CHECK(conv->fc_weight.std().item<double>() == Approx(fc_std).epsilon(0.05));
  const double attn_std = std::sqrt(2.0) * std::sqrt(2.0 / (512 + 64));
  CHECK(conv->attn_l.std().item<double>() == Approx(attn_std).epsilon(0.1));
  CHECK(conv->bias.abs().max().item<float>() == 0.0f);
}

TEST_CASE("Graph network: the head-0 chain is DGL's stacking sliced [:, 0, 0, 0]; mean averages",
          "[hgclip][gat]") {
  const hc::LabelGraph g = test_graph();
  const hc::GraphEdges edges = hc::graph_edges(g, torch::kCPU);
  const auto options = torch::TensorOptions().dtype(torch::kFloat);
  hc::GraphNetwork head0(5, 3, 5, 2, hc::GnnHeads::Head0, options);
  for (hc::GatConv conv : head0->convs()) fill_random(*conv, 13);
  torch::Tensor x = torch::randn({4, 5});

  // The official GNNModel: GATConv keeps a head axis per layer.
  const auto& convs = head0->convs();
  torch::Tensor h1 = convs[0]->forward(edges, x).features;                  // [N, 2, 3]
  torch::Tensor h2 = convs[1]->forward(edges, torch::gelu(h1)).features;    // [N, 2, 2, 3]
  hc::GatOutput h3 = convs[2]->forward(edges, torch::gelu(h2));             // [N, 2, 2, 2, 5]
  hc::GraphNetworkOutput chain = head0->forward(edges, x);
  using torch::indexing::Slice;
  CHECK(torch::allclose(chain.output, h3.features.index({Slice(), 0, 0, 0}), 1e-5, 1e-6));
  CHECK(torch::allclose(chain.layers[1], h2.index({Slice(), 0, 0}), 1e-5, 1e-6));
  CHECK(torch::allclose(chain.attention[2], h3.attention.index({Slice(), 0, 0, 0}), 1e-5, 1e-6));
  CHECK(chain.layers.size() == 3);

  hc::GraphNetwork mean(5, 3, 5, 2, hc::GnnHeads::Mean, options);
  for (std::size_t i = 0; i < 3; ++i) {
    torch::NoGradGuard no_grad;
    for (auto& p : mean->convs()[i]->named_parameters()) {
      p.value().copy_(head0->convs()[i]->named_parameters()[p.key()]);
    }
  }
  torch::Tensor m1 = convs[0]->forward(edges, x).features.mean(-2);
  torch::Tensor m2 = convs[1]->forward(edges, torch::gelu(m1)).features.mean(-2);
  torch::Tensor m3 = convs[2]->forward(edges, torch::gelu(m2)).features.mean(-2);
  hc::GraphNetworkOutput averaged = mean->forward(edges, x);
  CHECK(torch::allclose(averaged.output, m3, 1e-5, 1e-6));
  CHECK(averaged.attention[0].sizes() == std::vector<int64_t>{9, 2});
  CHECK(hc::parse_gnn_heads("head0") == hc::GnnHeads::Head0);
  CHECK_THROWS_AS(hc::parse_gnn_heads("concat"), hc::Error);
}
