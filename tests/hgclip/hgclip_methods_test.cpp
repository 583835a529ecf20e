// The methods behind hgclip-train on the fixture's tiny CLIP: zeroshot is plain CLIP on
// "<ctx_init> <class>." (checked against the model's own text and image encoders), each
// baseline takes a training step on its own tensors only while the CLIP weights get no gradient,
// its learnable tensors round-trip through load_learnable_parameters, CoCoOp's logits follow
// each image's own meta-net shift, and names that are not implemented are usage errors.
#include "catch_torch.h"

#include <string>
#include <vector>

#include <map>

#include <torch/optim/sgd.h>

#include "hc/hgclip/hgclip_method.h"
#include "hc/model/clip_bundle.h"
#include "hgclip_fixture.h"
#include "usage_message.h"

namespace {

hc::ClipBundle fixture_clip() {
  return hc::open_clip_bundle(hc::test::shared_path("fixtures/hgclip/model").string(),
                              torch::kCPU, torch::kFloat);
}

hc::ClassHierarchy shapes() {
  return hc::parse_class_hierarchy("red_circle, circle\nblue_circle, circle\nred_square, square\n",
                                   "shapes");
}

hc::HgclipOptions tiny_options() {
  hc::HgclipOptions options;
  options.vision_depth = 3;
  options.language_depth = 3;
  options.gnn_hidden = 8;
  options.gnn_heads = 2;
  return options;
}

}  // namespace

TEST_CASE("zeroshot is plain CLIP on the tokenised prompts", "[hgclip]") {
  hc::ClipBundle clip = fixture_clip();
  const hc::ClassHierarchy hierarchy = shapes();
  const hc::HgclipOptions options = tiny_options();
  auto classifier = hc::make_hierarchical_classifier(hc::HgclipMethod::Zeroshot, clip.model,
                                                     clip.tokenizer, hierarchy, options, {});
  CHECK(classifier->learnable_parameters().empty());
  torch::manual_seed(0);
  const int64_t size = clip.model->config().vision.image_size;
  const torch::Tensor pixels = torch::randn({3, 3, size, size});
  torch::Tensor got;
  {
    torch::NoGradGuard no_grad;
    got = classifier->logits(pixels);
  }
  std::vector<std::string> prompts;
  for (const std::string& name : hierarchy.all_classes()) prompts.push_back("a photo of a " + name + ".");
  const hc::TokenBatch tokens = clip.tokenizer.batch(prompts);
  const torch::Tensor ids =
      torch::tensor(tokens.ids, torch::kLong).view({tokens.rows, tokens.length});
  torch::NoGradGuard no_grad;
  const torch::Tensor text = clip.model->encode_text(ids).text_embeds;
  const torch::Tensor image = clip.model->encode_image(pixels).image_embeds;
  const torch::Tensor want = clip.model->logits_per_image(image, text);
  REQUIRE(got.sizes() == want.sizes());
  CHECK(torch::allclose(got, want, 1e-4, 1e-5));
}

TEST_CASE("each baseline takes a training step on only its own tensors; CLIP gets no gradient",
          "[hgclip]") {
  struct Case {
    hc::HgclipMethod method;
    std::vector<std::string> prefixes;  // every learnable name starts with one of these
  };
  for (const Case& c : {Case{hc::HgclipMethod::Coop, {"prompt_learner.ctx"}},
                        Case{hc::HgclipMethod::Kgcoop, {"prompt_learner.ctx"}},
                        Case{hc::HgclipMethod::Vpt, {"image_encoder."}},
                        Case{hc::HgclipMethod::Vp, {"prompt_learner.ctx", "image_encoder."}},
                        Case{hc::HgclipMethod::Cocoop,
                             {"prompt_learner.ctx", "prompt_learner.meta_net.linear1.",
                              "prompt_learner.meta_net.linear2."}}}) {
    CAPTURE(hc::method_name(c.method));
    hc::ClipBundle clip = fixture_clip();
    auto classifier = hc::make_hierarchical_classifier(c.method, clip.model, clip.tokenizer,
                                                       shapes(), tiny_options(), {});
    const auto learnable = classifier->learnable_parameters();
    REQUIRE_FALSE(learnable.empty());
    std::vector<bool> prefix_seen(c.prefixes.size(), false);
    for (const auto& [name, tensor] : learnable) {
      bool matched = false;
      for (std::size_t i = 0; i < c.prefixes.size(); ++i) {
        if (name.rfind(c.prefixes[i], 0) == 0) matched = prefix_seen[i] = true;
      }
      CAPTURE(name);
      CHECK(matched);
    }
    for (bool seen : prefix_seen) CHECK(seen);
    const int64_t size = clip.model->config().vision.image_size;
    const torch::Tensor labels = torch::tensor({0, 2}, torch::kLong);
    const torch::Tensor loss =
        torch::nn::functional::cross_entropy(classifier->logits(torch::randn({2, 3, size, size})), labels);
    std::vector<torch::Tensor> tensors, before;
    for (const auto& item : learnable) {
      tensors.push_back(item.second);
      before.push_back(item.second.detach().clone());
    }
    torch::optim::SGD optimizer(tensors, torch::optim::SGDOptions(0.1));
    optimizer.zero_grad();
    loss.backward();
    for (const auto& [name, tensor] : learnable) {
      CAPTURE(name);
      REQUIRE(tensor.grad().defined());
      CHECK(tensor.grad().abs().sum().item<double>() > 0);
    }
    for (const auto& param : clip.model->parameters()) CHECK_FALSE(param.grad().defined());
    optimizer.step();
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      CAPTURE(learnable[i].first);
      CHECK_FALSE(torch::equal(tensors[i], before[i]));
    }
  }
}

TEST_CASE("methods that are not implemented are usage errors naming what is", "[hgclip]") {
  for (const char* name : {"maple", "promptsrc"}) {
    const std::string message = hc::test::usage_message([&] { hc::parse_hgclip_method(name); });
    CHECK_THAT(message,
               Catch::Matchers::Contains("not implemented") &&
                   Catch::Matchers::Contains("hgclip, coop, vpt, vp, zeroshot, kgcoop, cocoop"));
  }
  CHECK(hc::parse_hgclip_method("cocoop") == hc::HgclipMethod::Cocoop);
  CHECK(hc::parse_hgclip_method("kgcoop") == hc::HgclipMethod::Kgcoop);
  CHECK(hc::parse_hgclip_method("vpt") == hc::HgclipMethod::Vpt);
}

TEST_CASE("kgcoop: CoOp's logits plus a knowledge term that is 0 at the start and grows as the "
          "context moves", "[hgclip]") {
  hc::ClipBundle clip = fixture_clip();
  hc::HgclipOptions options = tiny_options();
  options.kgcoop_weight = 8.0;
  auto kgcoop = hc::make_hierarchical_classifier(hc::HgclipMethod::Kgcoop, clip.model,
                                                 clip.tokenizer, shapes(), options, {});
  auto coop = hc::make_hierarchical_classifier(hc::HgclipMethod::Coop, clip.model,
                                               clip.tokenizer, shapes(), options, {});
  CHECK_FALSE(kgcoop->extra_loss().defined());  // nothing ran yet
  CHECK_FALSE(coop->extra_loss().defined());
  CHECK(kgcoop->extra_loss_name() == "knowledge");
  torch::manual_seed(1);
  const int64_t size = clip.model->config().vision.image_size;
  const torch::Tensor pixels = torch::randn({2, 3, size, size});
  const torch::Tensor logits = kgcoop->logits(pixels);
  CHECK(torch::allclose(logits, coop->logits(pixels)));  // same start, same logits
  const torch::Tensor start = kgcoop->extra_loss();
  REQUIRE(start.defined());
  CHECK(std::abs(start.item<double>()) < 1e-5);  // the prompts are still the hand-written ones
  CHECK_FALSE(coop->extra_loss().defined());

  // Moving the context away from its start raises the term; its gradient reaches the context.
  const auto learnable = kgcoop->learnable_parameters();
  REQUIRE(learnable.size() == 1);
  at::Tensor ctx = learnable.front().second;
  {
    torch::NoGradGuard no_grad;
    ctx.add_(torch::randn(ctx.sizes()) * 0.5);
  }
  kgcoop->logits(pixels);
  const torch::Tensor moved = kgcoop->extra_loss();
  CHECK(moved.item<double>() > 1e-3);
  CHECK(moved.item<double>() <= 16.0);  // weight x (1 - cos) with cos >= -1
  moved.backward();
  REQUIRE(ctx.grad().defined());
  CHECK(ctx.grad().abs().sum().item<double>() > 0);
  for (const auto& param : clip.model->parameters()) CHECK_FALSE(param.grad().defined());
}

TEST_CASE("the learnable tensors of each trained method round-trip through a save and load",
          "[hgclip]") {
  for (hc::HgclipMethod method : {hc::HgclipMethod::Cocoop}) {
    CAPTURE(hc::method_name(method));
    hc::ClipBundle clip = fixture_clip();
    hc::HgclipOptions options = tiny_options();
    auto trained = hc::make_hierarchical_classifier(method, clip.model, clip.tokenizer, shapes(),
                                                    options, {});
    options.seed = 7;  // another start for every random tensor
    auto loaded = hc::make_hierarchical_classifier(method, clip.model, clip.tokenizer, shapes(),
                                                   options, {});
    std::map<std::string, torch::Tensor> saved;
    for (const auto& [name, tensor] : trained->learnable_parameters()) {
      saved[name] = tensor.detach().clone() + 0.01;  // as if a step had moved them
    }
    torch::manual_seed(3);
    const int64_t size = clip.model->config().vision.image_size;
    const torch::Tensor pixels = torch::randn({2, 3, size, size});
    torch::NoGradGuard no_grad;
    CHECK_FALSE(torch::allclose(loaded->logits(pixels), trained->logits(pixels)));
    trained->load_learnable_parameters(saved, "saved");
    loaded->load_learnable_parameters(saved, "saved");
    for (const auto& [name, tensor] : loaded->learnable_parameters()) {
      CAPTURE(name);
      CHECK(torch::equal(tensor, saved.at(name)));
    }
    CHECK(torch::allclose(loaded->logits(pixels), trained->logits(pixels)));
    // A set that misses one tensor is refused whole.
    std::map<std::string, torch::Tensor> partial = saved;
    partial.erase(partial.begin());
    const std::string message =
        hc::test::usage_message([&] { loaded->load_learnable_parameters(partial, "partial"); });
    CHECK_THAT(message,
               Catch::Matchers::Contains("partial") && Catch::Matchers::Contains("missing"));
  }
}

TEST_CASE("cocoop: each image's logits come from the context shifted by that image's meta-net "
          "output", "[hgclip]") {
  hc::ClipBundle clip = fixture_clip();
  const hc::ClassHierarchy hierarchy = shapes();
  auto cocoop = hc::make_hierarchical_classifier(hc::HgclipMethod::Cocoop, clip.model,
                                                 clip.tokenizer, hierarchy, tiny_options(), {});
  std::map<std::string, torch::Tensor> param;
  for (const auto& [name, tensor] : cocoop->learnable_parameters()) param[name] = tensor;
  REQUIRE(param.size() == 5);
  {
    // A positive pre-activation, so ReLU passes each image's own value through.
    torch::NoGradGuard no_grad;
    param.at("prompt_learner.meta_net.linear1.bias").fill_(1.0);
  }
  torch::manual_seed(2);
  const int64_t size = clip.model->config().vision.image_size;
  const torch::Tensor pixels = torch::randn({2, 3, size, size});
  torch::NoGradGuard no_grad;
  const torch::Tensor got = cocoop->logits(pixels);

  // The same, from the tower's own pieces: "a photo of a <class>." with rows 1..4 replaced.
  torch::Tensor image = clip.model->encode_image(pixels).image_embeds;
  image = image / image.norm(2, -1, true);
  const torch::Tensor hidden = torch::relu(torch::nn::functional::linear(
      image, param.at("prompt_learner.meta_net.linear1.weight"),
      param.at("prompt_learner.meta_net.linear1.bias")));
  const torch::Tensor bias = torch::nn::functional::linear(
      hidden, param.at("prompt_learner.meta_net.linear2.weight"),
      param.at("prompt_learner.meta_net.linear2.bias"));
  const torch::Tensor& ctx = param.at("prompt_learner.ctx");
  const int64_t n_ctx = ctx.size(0);
  REQUIRE(n_ctx == 4);  // one vector per word of "a photo of a"
  std::vector<std::string> prompts;
  for (const std::string& name : hierarchy.all_classes()) {
    prompts.push_back("a photo of a " + name + ".");
  }
  const hc::TokenBatch tokens = clip.tokenizer.batch(prompts);
  const torch::Tensor ids =
      torch::tensor(tokens.ids, torch::kLong).view({tokens.rows, tokens.length});
  const torch::Tensor embeds = clip.model->text_model->embed_tokens(ids);
  const torch::Tensor eot = ids.argmax(-1);
  std::vector<torch::Tensor> shifted;
  for (int64_t b = 0; b < 2; ++b) {
    CAPTURE(b);
    shifted.push_back(ctx + bias[b]);
    torch::Tensor prompt = embeds.clone();
    prompt.slice(1, 1, 1 + n_ctx).copy_(shifted.back().unsqueeze(0).expand({ids.size(0), -1, -1}));
    const torch::Tensor text = clip.model->encode_text_embeddings(prompt, eot).text_embeds;
    const torch::Tensor want = clip.model->logits_per_image(image[b].unsqueeze(0), text)[0];
    CHECK(torch::allclose(got[b], want, 1e-4, 1e-5));
  }
  // Two images, two different prompts.
  CHECK((shifted[0] - shifted[1]).abs().max().item<double>() > 1e-6);
}
