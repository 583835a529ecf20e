// Parity with fixtures/hgclip (the official HGCLIP code on a tiny random CLIP, see its README):
// every captured tensor of one training step and the gradient of every learnable parameter,
// within the fixture's own tolerances (expected.json -> tolerances), on each device present.
// Names, shapes, sizes, class lists and hyperparameters all come from the fixture's files.

#include "catch_torch.h"

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/hgclip/class_prototypes.h"
#include "hc/hgclip/hierarchical_loss.h"
#include "hc/model/clip_weights.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/vision/preprocess.h"
#include "hgclip_fixture.h"

namespace {

using hc::test::closeness;
using hc::test::HgclipFixture;
using Json = nlohmann::ordered_json;

std::vector<torch::Device> devices_present() {
  std::vector<torch::Device> devices{torch::kCPU};
  if (torch::cuda::is_available()) devices.emplace_back(torch::kCUDA, 0);
  return devices;
}

void disable_tf32() {
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
}

// One training step of the model: outputs under the fixture's tensor names, and gradients.
struct Step {
  std::map<std::string, torch::Tensor> tensors;
  std::map<std::string, torch::Tensor> grads;
};

Step run_step(hc::HgclipModel& model, const HgclipFixture& fixture) {
  const torch::Device device = model->clip->device();
  hc::HgclipOutput out = model->forward(fixture.tensor("pixel_values").to(device),
                                        fixture.tensor("prototypes").to(device));
  Step step;
  auto& t = step.tensors;
  t["prompt_embeddings"] = out.prompt_embeddings;
  t["text_features_clip"] = out.text_features_clip;
  const std::pair<const char*, const hc::GraphNetworkOutput*> graphs[] = {
      {"gat_text", &out.text_graph}, {"gat_image", &out.image_graph}};
  for (const auto& [prefix, graph] : graphs) {
    for (std::size_t l = 0; l < graph->layers.size(); ++l) {
      const std::string layer = std::to_string(l + 1);
      t[std::string(prefix) + ".conv" + layer + "_head0"] = graph->layers[l];
      t[std::string(prefix) + ".attention" + layer + "_head0"] = graph->attention[l];
    }
  }
  t["text_features"] = out.text_features;
  t["prototype_features"] = out.prototype_features;
  t["image_features"] = out.image_features;
  t["spatial_features"] = out.spatial_features;
  t["proto_attention_logits"] = out.attention.logits;
  t["proto_attention"] = out.attention.weights;
  t["proto_pooled"] = out.attention.pooled;
  t["logits_proto"] = out.logits_proto;
  t["logits_global"] = out.logits_global;
  t["logits"] = out.logits;
  t["logit_scale_exp"] = out.logit_scale_exp;

  const Json& loss_json = fixture.json.at("loss");
  const auto weights = loss_json.at("level_weights").get<std::vector<double>>();
  REQUIRE(loss_json.at("denominator").get<double>() ==
          static_cast<double>(model->level_sizes().size()));
  std::vector<torch::Tensor> levels = model->level_logits(out.logits);
  std::vector<torch::Tensor> labels = fixture.labels();
  hc::HierarchicalLoss loss = hc::hierarchical_loss(levels, labels, weights);
  const Json& level_json = fixture.json.at("hierarchy").at("levels");
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const std::string name = level_json[l].at("name").get<std::string>();
    t["logits." + name] = levels[l];
    t["ce." + name] = loss.per_level[l];
  }
  t["loss"] = loss.loss;
  loss.loss.backward();
  for (const auto& [name, param] : model->learnable_parameters()) {
    step.grads[name] = param.grad().defined() ? param.grad().clone() : torch::zeros_like(param);
  }
  return step;
}

// The tolerance row of a tensor name ("logits.<level>" uses the "logits" row).
const Json& tensor_tolerance(const HgclipFixture& fixture, const std::string& name) {
  const Json& rows = fixture.json.at("tolerances").at("tensors");
  if (name.rfind("logits.", 0) == 0) return rows.at("logits");
  return rows.at(name);
}

// Names of the compared tensors and gradients that miss their tolerance; prints every figure.
std::set<std::string> failures(const Step& step, const HgclipFixture& fixture,
                               const std::string& label, bool print) {
  std::set<std::string> failed;
  for (const auto& [name, got] : step.tensors) {
    if (got.sizes() != fixture.tensor(name).sizes()) {
      failed.insert(name);
      continue;
    }
    const Json& tol = tensor_tolerance(fixture, name);
    auto c = closeness(got, fixture.tensor(name), tol.at("atol").get<double>(),
                       tol.at("rtol").get<double>());
    if (print) {
      std::printf("hgclip parity %s %-32s max abs diff %.3g (atol %.3g)\n", label.c_str(),
                  name.c_str(), c.max_abs_diff, tol.at("atol").get<double>());
    }
    if (!c.all_within) failed.insert(name);
  }
  const Json& grad_rows = fixture.json.at("tolerances").at("grads");
  for (const auto& [name, got] : step.grads) {
    const Json& tol = grad_rows.at(name);
    const double atol = tol.at("atol").get<double>();
    const double rtol = tol.at("rtol").get<double>();
    auto c = closeness(got, fixture.tensor("grad." + name), atol, rtol);
    bool ok = c.all_within;
    if (tol.contains("atol_max")) {
      // fp16-rounded prompt tokens: a few per-copy gradients may flip by one fp16 ulp.
      auto loose = closeness(got, fixture.tensor("grad." + name),
                             tol.at("atol_max").get<double>(), rtol);
      ok = loose.all_within && c.share_outside <= tol.at("max_share_above_atol").get<double>();
    }
    if (print) {
      std::printf("hgclip parity %s grad.%-50s max abs diff %.3g (atol %.3g), share above atol "
                  "%.3f\n",
                  label.c_str(), name.c_str(), c.max_abs_diff, atol, c.share_outside);
    }
    if (!ok) failed.insert("grad." + name);
  }
  return failed;
}

}  // namespace

TEST_CASE("HGCLIP's label graph is the fixture's, edge for edge", "[hgclip][parity]") {
  HgclipFixture fixture = hc::test::load_hgclip_fixture();
  hc::ClassHierarchy hierarchy = fixture.hierarchy();
  const Json& graph_json = fixture.json.at("hierarchy").at("graph");
  hc::LabelGraph graph = hc::build_label_graph(hierarchy, hc::DuplicateEdges::Keep);
  CHECK(graph.num_nodes == graph_json.at("num_nodes").get<int64_t>());
  CHECK(graph.src == graph_json.at("src").get<std::vector<int64_t>>());
  CHECK(graph.dst == graph_json.at("dst").get<std::vector<int64_t>>());
  CHECK(graph.in_degrees() == graph_json.at("in_degrees").get<std::vector<int64_t>>());
  CHECK(torch::equal(torch::tensor(graph.src, torch::kLong), fixture.tensor("edge_src")));
  CHECK(torch::equal(torch::tensor(graph.dst, torch::kLong), fixture.tensor("edge_dst")));
  CHECK(hierarchy.all_classes() ==
        fixture.json.at("hierarchy").at("labels_name").get<std::vector<std::string>>());
  for (const auto& level : fixture.json.at("hierarchy").at("levels")) {
    const int64_t l = hierarchy.find_level(level.at("name").get<std::string>());
    const auto columns = level.at("columns").get<std::vector<int64_t>>();
    CHECK(hierarchy.offset(l) == columns[0]);
    CHECK(hierarchy.offset(l) + hierarchy.level_size(l) == columns[1]);
  }
  // Removing duplicates changes nothing when the fixture has none.
  if (graph_json.at("duplicate_edges").get<int64_t>() == 0) {
    CHECK(hc::build_label_graph(hierarchy, hc::DuplicateEdges::Remove).src == graph.src);
  }
}

TEST_CASE("HGCLIP's prompts, tokens and initial context are the fixture's", "[hgclip][parity]") {
  HgclipFixture fixture = hc::test::load_hgclip_fixture();
  hc::ClassHierarchy hierarchy = fixture.hierarchy();
  hc::ClipModel clip = hc::load_clip(fixture.model_dir(), torch::kCPU, torch::kFloat);
  auto tokenizer = hc::ClipTokenizer::load(fixture.model_dir());
  hc::HgclipOptions options = fixture.options();
  hc::HgclipModel model(clip, tokenizer, hierarchy,
                        hc::build_label_graph(hierarchy, options.duplicate_edges_mode()), options);
  const Json& prompts = fixture.json.at("prompts");
  CHECK(model->prompt_learner->prompts() == prompts.at("texts").get<std::vector<std::string>>());
  CHECK(torch::equal(model->prompt_learner->token_ids, fixture.tensor("tokenized_prompts")));
  CHECK(torch::equal(model->prompt_learner->eot_index,
                     torch::tensor(prompts.at("eot_index").get<std::vector<int64_t>>())));
  CHECK(torch::equal(model->prompt_learner->initial_ctx, fixture.tensor("init.prompt_learner.ctx")));

  // The learnable parameters carry the official names, in the official order, with its shapes.
  std::vector<std::string> names;
  for (const auto& [name, param] : model->learnable_parameters()) {
    names.push_back(name);
    CHECK(param.sizes() == fixture.tensor("param." + name).sizes());
  }
  CHECK(names == fixture.json.at("learnable_parameters").get<std::vector<std::string>>());
}

TEST_CASE("HGCLIP's prototypes match the fixture: plain CLIP features and class means",
          "[hgclip][parity]") {
  HgclipFixture fixture = hc::test::load_hgclip_fixture();
  const Json& tol = fixture.json.at("tolerances").at("prototypes");
  const double atol = tol.at("atol").get<double>();
  const double rtol = tol.at("rtol").get<double>();
  hc::ClipModel clip = hc::load_clip(fixture.model_dir(), torch::kCPU, torch::kFloat);
  torch::NoGradGuard no_grad;
  torch::Tensor features = clip->encode_image(fixture.tensor("proto_pixel_values")).image_embeds;
  auto c = closeness(features, fixture.tensor("proto_image_features"), atol, rtol);
  std::printf("hgclip parity proto_image_features max abs diff %.3g (atol %.3g)\n",
              c.max_abs_diff, atol);
  CHECK(c.all_within);

  const auto nodes = fixture.json.at("inputs").at("proto_nodes").get<std::vector<std::vector<int64_t>>>();
  std::vector<int64_t> flat;
  for (const auto& row : nodes) flat.insert(flat.end(), row.begin(), row.end());
  torch::Tensor node_tensor =
      torch::tensor(flat, torch::kLong).view({static_cast<int64_t>(nodes.size()), -1});
  const int64_t classes = fixture.hierarchy().num_classes();
  torch::Tensor prototypes =
      hc::class_prototypes(fixture.tensor("proto_image_features"), node_tensor, classes,
                           hc::EmptyClassRule::CopyPrevious);
  auto p = closeness(prototypes, fixture.tensor("prototypes"), atol, rtol);
  std::printf("hgclip parity prototypes max abs diff %.3g (atol %.3g)\n", p.max_abs_diff, atol);
  CHECK(p.all_within);
  const auto fallback = fixture.json.at("inputs").at("prototype_fallback_nodes");
  if (!fallback.empty()) {
    CHECK_THROWS_AS(hc::class_prototypes(fixture.tensor("proto_image_features"), node_tensor,
                                         classes, hc::EmptyClassRule::Error),
                    hc::Error);
  }
}

TEST_CASE("HGCLIP forward, loss and gradients match the official code", "[hgclip][parity]") {
  disable_tf32();
  const torch::Device device = GENERATE(from_range(devices_present()));
  INFO("device " << device.str());
  HgclipFixture fixture = hc::test::load_hgclip_fixture();
  hc::HgclipModel model = hc::test::fixture_model(fixture, fixture.options(), device);
  Step step = run_step(model, fixture);

  // Every captured tensor of the fixture is compared (inputs, parameters and integer tensors
  // are checked by the other cases).
  const std::set<std::string> not_outputs{"pixel_values", "proto_pixel_values",
                                          "proto_image_features", "prototypes",
                                          "tokenized_prompts", "edge_src", "edge_dst"};
  for (const auto& [name, tensor] : fixture.tensors) {
    if (not_outputs.count(name) || name.rfind("labels.", 0) == 0 ||
        name.rfind("param.", 0) == 0 || name.rfind("grad.", 0) == 0 ||
        name.rfind("init.", 0) == 0) {
      continue;
    }
    INFO(name);
    CHECK(step.tensors.count(name) == 1);
  }
  CHECK(step.grads.size() == fixture.json.at("learnable_parameters").size());
  std::set<std::string> failed = failures(step, fixture, device.str(), /*print=*/true);
  for (const std::string& name : failed) FAIL_CHECK("outside the fixture's tolerance: " << name);
  CHECK(failed.empty());
}

TEST_CASE("Deliberate mistakes break the HGCLIP parity tolerances", "[hgclip][parity]") {
  HgclipFixture fixture = hc::test::load_hgclip_fixture();

  SECTION("no fp16 rounding of the deep prompts") {
    hc::HgclipOptions options = fixture.options();
    options.fp16_prompts = false;
    hc::HgclipModel model = hc::test::fixture_model(fixture, options, torch::kCPU);
    std::set<std::string> failed = failures(run_step(model, fixture), fixture, "no-fp16", false);
    CHECK(failed.count("logits"));
    CHECK(failed.count("grad.image_encoder.VPT"));
  }
  SECTION("graph attention softmax over out-edges (edges turned around)") {
    hc::HgclipOptions options = fixture.options();
    hc::HgclipModel model = hc::test::fixture_model(fixture, options, torch::kCPU);
    hc::ClassHierarchy hierarchy = fixture.hierarchy();
    model->set_graph(hc::build_label_graph(hierarchy, options.duplicate_edges_mode()).reversed());
    std::set<std::string> failed = failures(run_step(model, fixture), fixture, "reversed", false);
    CHECK(failed.count("gat_text.attention1_head0"));
    CHECK(failed.count("logits"));
  }
  SECTION("all heads averaged instead of the head-0 chain") {
    hc::HgclipOptions options = fixture.options();
    options.gnn_head_mode = "mean";
    hc::HgclipModel model = hc::test::fixture_model(fixture, options, torch::kCPU);
    std::set<std::string> failed = failures(run_step(model, fixture), fixture, "mean", false);
    CHECK(failed.count("text_features"));
    CHECK(failed.count("loss"));
  }
}

TEST_CASE("The hgclip_legacy preprocessing gives the fixture's pixel values", "[hgclip][parity]") {
  HgclipFixture fixture = hc::test::load_hgclip_fixture();
  std::vector<std::filesystem::path> paths;
  for (const auto& image : fixture.json.at("inputs").at("images")) {
    std::string relative = image.get<std::string>();
    const std::string shared_prefix = "shared/";
    if (relative.rfind(shared_prefix, 0) == 0) relative = relative.substr(shared_prefix.size());
    paths.push_back(hc::test::shared_path(relative));
  }
  auto config = hc::PreprocessConfig::from_json_file(fixture.model_dir());
  hc::ThreadPool pool(1);
  std::vector<float> pixels = hc::preprocess_batch(paths, config, pool);
  const torch::Tensor& want = fixture.tensor("pixel_values");
  torch::Tensor got = torch::from_blob(pixels.data(), want.sizes(), torch::kFloat).clone();
  auto c = closeness(got, want, 0.0, 0.0);
  std::printf("hgclip parity pixel_values max abs diff %.3g\n", c.max_abs_diff);
  // 8-bit levels resampled Pillow-exactly, then one affine map: anything beyond float rounding
  // (the fixture gives no tolerance for its inputs) is an error.
  CHECK(c.max_abs_diff <= 1e-6);
}
