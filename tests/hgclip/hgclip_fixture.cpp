#include "hgclip_fixture.h"

#include "hc/io/safetensors.h"
#include "hc/model/clip_weights.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/text/clip_tokenizer.h"

namespace hc::test {

const torch::Tensor& HgclipFixture::tensor(const std::string& name) const {
  auto found = tensors.find(name);
  if (found == tensors.end()) FAIL("fixture tensor missing: " << name);
  return found->second;
}

ClassHierarchy HgclipFixture::hierarchy() const {
  const auto& h = json.at("hierarchy");
  std::vector<ClassLevel> levels;
  for (const auto& level : h.at("levels")) {
    levels.push_back({level.at("name").get<std::string>(),
                      level.at("classes").get<std::vector<std::string>>()});
  }
  std::vector<std::vector<int64_t>> chains;
  for (const std::string& finest : levels.back().classes) {
    chains.push_back(h.at("ancestors_of_deepest_class").at(finest).get<std::vector<int64_t>>());
  }
  return ClassHierarchy(std::move(levels), std::move(chains), (dir / "expected.json").string());
}

HgclipOptions HgclipFixture::options() const {
  const auto& config = json.at("config");
  const auto& design = config.at("design_details");
  const auto& gnn = config.at("gnn");
  REQUIRE(design.at("attention").get<int>() == 1);  // the prototype-attention design
  REQUIRE(gnn.at("layers").get<int>() == 3);
  REQUIRE(gnn.at("negative_slope").get<double>() == 0.2);
  HgclipOptions options = HgclipOptions::official();
  options.n_ctx = config.at("args").at("n_ctx").get<int>();
  options.ctx_init = config.at("args").at("ctx_init").get<std::string>();
  options.vision_depth = design.at("vision_depth").get<int>();
  options.language_depth = design.at("language_depth").get<int>();
  options.vision_ctx = design.at("vision_ctx").get<int>();
  options.language_ctx = design.at("language_ctx").get<int>();
  options.gnn_hidden = gnn.at("hidden_size").get<int>();
  options.gnn_heads = gnn.at("num_heads").get<int>();
  return options;
}

std::map<std::string, torch::Tensor> HgclipFixture::parameters() const {
  std::map<std::string, torch::Tensor> params;
  for (const auto& name : json.at("learnable_parameters")) {
    params[name.get<std::string>()] = tensor("param." + name.get<std::string>());
  }
  return params;
}

std::vector<torch::Tensor> HgclipFixture::labels() const {
  std::vector<torch::Tensor> labels;
  for (const auto& level : json.at("hierarchy").at("levels")) {
    labels.push_back(tensor("labels." + level.at("name").get<std::string>()));
  }
  return labels;
}

HgclipFixture load_hgclip_fixture(const std::string& relative) {
  HgclipFixture fixture;
  fixture.dir = shared_path(relative);
  fixture.json = nlohmann::ordered_json::parse(read_bytes(fixture.dir / "expected.json"));
  auto file = SafetensorsFile::open(fixture.dir / "expected.safetensors");
  for (const std::string& name : file->names()) {
    fixture.tensors[name] = to_tensor(file->get(name), torch::kCPU);
  }
  return fixture;
}

HgclipModel fixture_model(const HgclipFixture& fixture, const HgclipOptions& options,
                          const torch::Device& device) {
  ClassHierarchy hierarchy = fixture.hierarchy();
  ClipModel clip = load_clip(fixture.model_dir(), device, torch::kFloat);
  auto tokenizer = ClipTokenizer::load(fixture.model_dir());
  HgclipModel model(clip, tokenizer, hierarchy,
                    build_label_graph(hierarchy, options.duplicate_edges_mode()), options);
  model->load_learnable_parameters(fixture.parameters(), fixture.dir.string());
  return model;
}

Closeness closeness(const torch::Tensor& got, const torch::Tensor& want, double atol,
                    double rtol) {
  REQUIRE(got.sizes() == want.sizes());
  torch::Tensor a = got.detach().to(torch::kCPU, torch::kDouble);
  torch::Tensor b = want.detach().to(torch::kCPU, torch::kDouble);
  torch::Tensor diff = (a - b).abs();
  torch::Tensor outside = diff > (atol + rtol * b.abs());
  Closeness c;
  c.max_abs_diff = diff.numel() ? diff.max().item<double>() : 0.0;
  c.share_outside = diff.numel() ? outside.to(torch::kDouble).mean().item<double>() : 0.0;
  c.all_within = !outside.any().item<bool>();
  return c;
}

}  // namespace hc::test
