// HGCLIP's pieces one by one: fp16 rounding of prompt copies (values and per-copy gradients),
// deep prompt hooks, the text prompt learner's context rules, prototype attention, class
// prototypes and their empty-class rules, the hierarchical loss, the options, and the model's
// frozen / learnable split.

#include "catch_torch.h"

#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/hgclip/class_prototypes.h"
#include "hc/hgclip/deep_prompts.h"
#include "hc/hgclip/hgclip_model.h"
#include "hc/hgclip/hierarchical_loss.h"
#include "hc/hgclip/prototype_attention.h"
#include "hc/hgclip/text_prompt_learner.h"
#include "hc/model/clip_weights.h"
#include "hc/text/clip_tokenizer.h"
#include "test_paths.h"
#include "test_support.h"

namespace {

std::filesystem::path tiny_model() { return hc::test::shared_path("fixtures/hgclip/model"); }

hc::ClassHierarchy three_levels() {
  return hc::parse_class_hierarchy(
      "rooster, birds, animals\nemu, birds, animals\nceiling_fan, household_items, objects\n"
      "lamp, household_items, objects\n",
      "test");
}

}  // namespace

TEST_CASE("fp16 rounding of prompt copies: fp16 values, per-copy fp16 gradients",
          "[hgclip][prompts]") {
  torch::Tensor prompts = (torch::randn({3, 5}) * 0.37).requires_grad_(true);
  torch::Tensor copies = hc::round_copies_to_fp16(prompts, 4, true);
  REQUIRE(copies.sizes() == std::vector<int64_t>{4, 3, 5});
  CHECK(copies.scalar_type() == torch::kFloat);
  CHECK(torch::equal(copies[2], prompts.detach().to(torch::kHalf).to(torch::kFloat)));
  torch::Tensor upstream = torch::randn({4, 3, 5}) * 3.1;
  copies.backward(upstream);
  torch::Tensor want = upstream.to(torch::kHalf).to(torch::kFloat).sum(0);
  CHECK(torch::equal(prompts.grad(), want));
  // Without rounding: exact values, the plain sum.
  prompts.grad().zero_();
  hc::round_copies_to_fp16(prompts, 4, false).backward(upstream);
  CHECK(torch::allclose(prompts.grad(), upstream.sum(0)));
}

TEST_CASE("Deep prompts: text rows 1..n replaced, vision rows appended then replaced",
          "[hgclip][prompts]") {
  const auto options = torch::TensorOptions().dtype(torch::kFloat);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(5);
  hc::DeepPrompts text(hc::PromptTower::Text, 3, 2, 8, options);
  text->reset_parameters(generator);
  CHECK(text->named_parameters().contains("transformer.resblocks.1.VPT_shallow"));
  CHECK(text->named_parameters().contains("transformer.resblocks.2.VPT_shallow"));
  CHECK_FALSE(text->input_prompts.defined());
  hc::TowerHooks hooks = text->hooks(false);
  CHECK_FALSE(hooks.after_embeddings);
  torch::Tensor hidden = torch::randn({3, 6, 8});
  CHECK(torch::equal(hooks.before_layer(0, hidden), hidden));
  CHECK(torch::equal(hooks.before_layer(3, hidden), hidden));
  torch::Tensor at2 = hooks.before_layer(2, hidden);
  CHECK(torch::equal(at2.slice(1, 0, 1), hidden.slice(1, 0, 1)));
  CHECK(torch::equal(at2.slice(1, 3), hidden.slice(1, 3)));
  CHECK(torch::equal(at2[1].slice(0, 1, 3), text->layer_prompts[1].detach()));

  hc::DeepPrompts vision(hc::PromptTower::Vision, 2, 3, 8, options);
  vision->reset_parameters(generator);
  CHECK(vision->named_parameters().contains("VPT"));
  hc::TowerHooks vhooks = vision->hooks(true);
  torch::Tensor appended = vhooks.after_embeddings(hidden);
  REQUIRE(appended.sizes() == std::vector<int64_t>{3, 9, 8});
  CHECK(torch::equal(appended.slice(1, 0, 6), hidden));
  CHECK(torch::equal(appended[0].slice(0, 6),
                     vision->input_prompts.detach().to(torch::kHalf).to(torch::kFloat)));
  torch::Tensor at1 = vhooks.before_layer(1, appended);
  CHECK(torch::equal(at1.slice(1, 0, 6), hidden));
  CHECK(torch::equal(at1[2].slice(0, 6),
                     vision->layer_prompts[0].detach().to(torch::kHalf).to(torch::kFloat)));
  hc::DeepPrompts none(hc::PromptTower::Vision, 0, 4, 8, options);
  CHECK(none->parameters().empty());
}

TEST_CASE("Text prompt learner: context from ctx_init, or random 'X' words", "[hgclip][prompts]") {
  hc::ClipModel clip = hc::load_clip(tiny_model(), torch::kCPU, torch::kFloat);
  auto tokenizer = hc::ClipTokenizer::load(tiny_model());
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(1);
  hc::TextPromptLearner two(*clip->text_model, tokenizer, std::vector<std::string>{"sweet_pepper", "cat"}, 2,
                            "a_photo of a", generator);
  CHECK(two->prompts() == std::vector<std::string>{"a photo of a sweet pepper.", "a photo of a cat."});
  auto ids = tokenizer.encode("a photo");
  torch::Tensor rows = clip->text_model->token_embedding.index_select(
      0, torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())));
  CHECK(torch::equal(two->ctx.detach(), rows));
  torch::Tensor prompts = two->forward();
  REQUIRE(prompts.sizes() == std::vector<int64_t>{2, 77, clip->text_model->token_embedding.size(1)});
  // Rows 1..n_ctx are the learnable context; the rest are fixed token embeddings.
  torch::Tensor embedded = at::embedding(clip->text_model->token_embedding, two->token_ids);
  CHECK(torch::equal(prompts.slice(1, 3).detach(), embedded.slice(1, 3)));
  CHECK(torch::equal(prompts[1].slice(0, 1, 3).detach(), two->ctx.detach()));
  CHECK(torch::equal(two->eot_index, two->token_ids.argmax(-1)));

  hc::TextPromptLearner random(*clip->text_model, tokenizer, std::vector<std::string>{"cat"}, 5, "a photo of a",
                               generator);
  CHECK(random->prompts() == std::vector<std::string>{"X X X X X cat."});
  CHECK(random->ctx.std().item<double>() == Approx(0.02).epsilon(0.5));
  CHECK_THROWS_AS(hc::TextPromptLearner(*clip->text_model, tokenizer, std::vector<std::string>{}, 4, "",
                                        generator),
                  hc::Error);
}

TEST_CASE("Prototype attention: softmax over classes, mean + max pooling", "[hgclip]") {
  torch::Tensor tokens = torch::randn({2, 5, 4});
  torch::Tensor prototypes = torch::randn({3, 4});
  hc::PrototypeAttention a = hc::prototype_attention(tokens, prototypes);
  for (int64_t b = 0; b < 2; ++b) {
    torch::Tensor s = torch::matmul(tokens[b], prototypes.t()) * 2;
    torch::Tensor w = torch::softmax(s, 1);
    torch::Tensor v = torch::matmul(w, prototypes);
    CHECK(torch::allclose(a.logits[b], s));
    CHECK(torch::allclose(a.weights[b], w));
    CHECK(torch::allclose(a.pooled[b], v.mean(0) + std::get<0>(v.max(0))));
  }
  CHECK(a.weights.sum(-1).allclose(torch::ones({2, 5})));
  CHECK_THROWS_AS(hc::prototype_attention(tokens, torch::randn({3, 5})), hc::Error);
}

TEST_CASE("Class prototypes: per-class means over every level, empty-class rules", "[hgclip]") {
  torch::Tensor features = torch::tensor({{1.0f, 0.0f}, {3.0f, 2.0f}, {5.0f, 4.0f}});
  // Nodes: 0, 1 coarse; 2, 3, 4 fine. Images -> (coarse, fine).
  torch::Tensor nodes = torch::tensor({{0, 2}, {0, 2}, {1, 4}}, torch::kLong);
  torch::Tensor p = hc::class_prototypes(features, nodes, 5, hc::EmptyClassRule::CopyPrevious);
  CHECK(torch::allclose(p[0], torch::tensor({2.0f, 1.0f})));
  CHECK(torch::allclose(p[2], torch::tensor({2.0f, 1.0f})));
  CHECK(torch::allclose(p[3], p[2]));  // empty: the previous class's mean
  CHECK(torch::allclose(p[4], torch::tensor({5.0f, 4.0f})));
  CHECK_THROWS_WITH(hc::class_prototypes(features, nodes, 5, hc::EmptyClassRule::Error),
                    Catch::Matchers::Contains("class node 3 has no image"));
  torch::Tensor gap = torch::tensor({{0, 2}, {0, 2}, {1, 5}}, torch::kLong);
  CHECK_THROWS_WITH(hc::class_prototypes(features, gap, 6, hc::EmptyClassRule::CopyPrevious),
                    Catch::Matchers::Contains("neither has the previous class"));
  torch::Tensor first = torch::tensor({{1, 2}, {1, 2}, {1, 3}}, torch::kLong);
  CHECK_THROWS_WITH(hc::class_prototypes(features, first, 4, hc::EmptyClassRule::CopyPrevious),
                    Catch::Matchers::Contains("no previous class"));
  CHECK_THROWS_AS(hc::class_prototypes(features, nodes, 4, hc::EmptyClassRule::CopyPrevious),
                  hc::Error);
}

TEST_CASE("Hierarchical loss: official weights, finest level doubled, over L", "[hgclip]") {
  torch::Tensor logits = torch::randn({4, 2 + 3 + 5});
  std::vector<torch::Tensor> levels = hc::split_level_logits(logits, {2, 3, 5});
  REQUIRE(levels.size() == 3);
  CHECK(torch::equal(levels[1], logits.slice(1, 2, 5)));
  std::vector<torch::Tensor> labels{torch::tensor({0, 1, 1, 0}), torch::tensor({2, 0, 1, 1}),
                                    torch::tensor({4, 3, 0, 1})};
  hc::HierarchicalLoss loss = hc::hierarchical_loss(levels, labels);
  torch::Tensor want = (torch::nn::functional::cross_entropy(levels[0], labels[0]) +
                        torch::nn::functional::cross_entropy(levels[1], labels[1]) +
                        2 * torch::nn::functional::cross_entropy(levels[2], labels[2])) /
                       3;
  CHECK(loss.loss.item<double>() == Approx(want.item<double>()));
  CHECK(hc::official_level_weights(2) == std::vector<double>{1.0, 2.0});
  CHECK_THROWS_AS(hc::hierarchical_loss(levels, {labels[0], labels[1], torch::tensor({5, 0, 0, 0})}),
                  hc::Error);
  CHECK_THROWS_AS(hc::split_level_logits(logits, {2, 3}), hc::Error);
}

TEST_CASE("HGCLIP options: keys, checks and the official switches", "[hgclip]") {
  hc::HgclipOptions options;
  hc::ConfigSchema schema;
  options.declare(schema);
  for (const char* key : {"hgclip.n_ctx", "hgclip.ctx_init", "hgclip.vision_depth",
                          "hgclip.language_depth", "hgclip.gnn_hidden", "hgclip.gnn_heads",
                          "hgclip.gnn_head_mode", "hgclip.duplicate_edges", "hgclip.fp16_prompts",
                          "hgclip.empty_class", "hgclip.hierarchy.class_order"}) {
    CHECK(schema.contains(key));
  }
  schema.apply_override("hgclip.gnn_head_mode=head0");
  schema.apply_override("hgclip.n_ctx=2");
  schema.validate();
  CHECK(options.gnn_heads_mode() == hc::GnnHeads::Head0);
  CHECK(options.n_ctx == 2);
  schema.apply_override("hgclip.duplicate_edges=merge");
  CHECK_THROWS_AS(schema.validate(), hc::Error);

  hc::HgclipOptions official = hc::HgclipOptions::official();
  CHECK(official.gnn_heads_mode() == hc::GnnHeads::Head0);
  CHECK(official.duplicate_edges_mode() == hc::DuplicateEdges::Keep);
  CHECK(official.fp16_prompts);
  // configs/hgclip/official.yaml sets the same switches.
  hc::HgclipOptions from_file;
  hc::ConfigSchema file_schema;
  from_file.declare(file_schema);
  file_schema.load_file(std::filesystem::path(HC_TEST_SOURCE_DIR) / "configs/hgclip/official.yaml");
  file_schema.validate();
  CHECK(from_file.gnn_head_mode == official.gnn_head_mode);
  CHECK(from_file.duplicate_edges == official.duplicate_edges);
  CHECK(from_file.fp16_prompts == official.fp16_prompts);
  CHECK(from_file.prompt_tokens_attend == official.prompt_tokens_attend);
  CHECK(from_file.empty_class == official.empty_class);
  CHECK(hc::HgclipOptions().gnn_heads_mode() == hc::GnnHeads::Mean);
  CHECK(hc::HgclipOptions().duplicate_edges_mode() == hc::DuplicateEdges::Remove);
}

TEST_CASE("HGCLIP model: CLIP frozen, learnable parameters trained, shapes", "[hgclip]") {
  hc::ClipModel clip = hc::load_clip(tiny_model(), torch::kCPU, torch::kFloat);
  auto tokenizer = hc::ClipTokenizer::load(tiny_model());
  hc::ClassHierarchy h = three_levels();
  hc::HgclipOptions options;
  options.vision_depth = 2;
  options.language_depth = 3;
  options.gnn_hidden = 8;
  options.gnn_heads = 2;
  hc::HgclipModel model(clip, tokenizer, h, hc::build_label_graph(h, options.duplicate_edges_mode()),
                        options);
  const int64_t classes = h.num_classes();
  const int64_t dim = clip->config().projection_dim;
  const int64_t size = clip->config().vision.image_size;
  hc::HgclipOutput out = model->forward(torch::randn({2, 3, size, size}), torch::randn({classes, dim}));
  CHECK(out.logits.sizes() == std::vector<int64_t>{2, classes});
  CHECK(out.spatial_features.size(1) == clip->config().vision.num_patches() + options.vision_ctx);
  CHECK(out.text_features.norm(2, -1).allclose(torch::ones({classes})));
  std::vector<torch::Tensor> levels = model->level_logits(out.logits);
  std::vector<torch::Tensor> labels{torch::tensor({0, 1}), torch::tensor({1, 0}),
                                    torch::tensor({3, 2})};
  hc::hierarchical_loss(levels, labels).loss.backward();
  for (const auto& param : model->clip->parameters()) CHECK_FALSE(param.grad().defined());
  for (const auto& [name, param] : model->learnable_parameters()) {
    INFO(name);
    REQUIRE(param.grad().defined());
    // attn_r can cancel in the softmax (it is shared by all in-edges of a node); everything
    // else gets a gradient, in every head in "mean" mode.
    if (name.find("attn_r") != std::string::npos) continue;
    if (name.find("fc.weight") != std::string::npos) {
      for (const torch::Tensor& head : param.grad().chunk(options.gnn_heads, 0)) {
        CHECK(head.abs().max().item<float>() > 0.0f);
      }
    }
    CHECK(param.grad().abs().max().item<float>() > 0.0f);
  }

  options.vision_depth = clip->config().vision.num_layers + 1;
  CHECK_THROWS_WITH(hc::HgclipModel(clip, tokenizer, h, hc::build_label_graph(h, hc::DuplicateEdges::Remove), options),
                    Catch::Matchers::Contains("hgclip.vision_depth"));
  CHECK_THROWS_AS(model->forward(torch::randn({1, 3, size, size}), torch::randn({classes - 1, dim})),
                  hc::Error);
  auto params = model->learnable_parameters();
  std::map<std::string, torch::Tensor> values;
  for (const auto& [name, param] : params) values[name] = torch::zeros_like(param);
  values.erase("prompt_learner.ctx");
  values["bogus"] = torch::zeros({1});
  CHECK_THROWS_WITH(model->load_learnable_parameters(values, "ckpt"),
                    Catch::Matchers::Contains("missing prompt_learner.ctx") &&
                        Catch::Matchers::Contains("unknown bogus"));
}
