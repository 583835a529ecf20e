// The methods behind hgclip-train on the fixture's tiny CLIP: zeroshot is plain CLIP on
// "<ctx_init> <class>." (checked against the model's own text and image encoders), each
// baseline takes a training step on its own tensors only while the CLIP weights get no gradient,
// its learnable tensors round-trip through load_learnable_parameters, CoCoOp's logits follow
// each image's own meta-net shift, MaPLe's vision prompts are its text prompts projected, and
// names that are not implemented are usage errors.
#include "catch_torch.h"

#include <string>
#include <vector>

#include <map>

#include <torch/optim/sgd.h>

#include "hc/hgclip/hgclip_method.h"
#include "hc/hgclip/maple_clip.h"
#include "hc/model/clip_bundle.h"
#include "hgclip_fixture.h"
#include "tiny_method_setup.h"
#include "usage_message.h"

namespace {

using hc::test::fixture_clip;
using hc::test::shapes;

hc::HgclipOptions tiny_options() {
  hc::HgclipOptions options;
  options.vision_depth = 3;
  options.language_depth = 3;
  options.gnn_hidden = 8;
  options.gnn_heads = 2;
  options.prompt_depth = 3;
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
                              "prompt_learner.meta_net.linear2."}},
                        Case{hc::HgclipMethod::Maple,
                             {"prompt_learner.ctx", "prompt_learner.proj.",
                              "prompt_learner.compound_prompts_text.",
                              "prompt_learner.compound_prompt_projections."}},

                        Case{hc::HgclipMethod::Promptsrc,
                             {"prompt_learner.ctx", "image_encoder.", "text_encoder."}}}) {
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
  for (const char* name : {"cocop", "promptsrc2"}) {
    const std::string message = hc::test::usage_message([&] { hc::parse_hgclip_method(name); });
    CHECK_THAT(message, Catch::Matchers::Contains(std::string("method '") + name + "'") &&
                            Catch::Matchers::Contains(
                                "hgclip, coop, vpt, vp, zeroshot, kgcoop, cocoop, maple, promptsrc"));
  }
  CHECK(hc::parse_hgclip_method("cocoop") == hc::HgclipMethod::Cocoop);
  CHECK(hc::parse_hgclip_method("maple") == hc::HgclipMethod::Maple);
  CHECK(hc::parse_hgclip_method("promptsrc") == hc::HgclipMethod::Promptsrc);
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
  CHECK(kgcoop->extra_losses().empty());  // nothing ran yet
  CHECK(coop->extra_losses().empty());
  const auto knowledge = [&]() {
    const auto terms = kgcoop->extra_losses();
    REQUIRE(terms.size() == 1);
    CHECK(terms.front().first == "knowledge");
    return terms.front().second;
  };
  torch::manual_seed(1);
  const int64_t size = clip.model->config().vision.image_size;
  const torch::Tensor pixels = torch::randn({2, 3, size, size});
  const torch::Tensor logits = kgcoop->logits(pixels);
  CHECK(torch::allclose(logits, coop->logits(pixels)));  // same start, same logits
  const torch::Tensor start = knowledge();
  CHECK(std::abs(start.item<double>()) < 1e-5);  // the prompts are still the hand-written ones
  CHECK(coop->extra_losses().empty());

  // Moving the context away from its start raises the term; its gradient reaches the context.
  const auto learnable = kgcoop->learnable_parameters();
  REQUIRE(learnable.size() == 1);
  at::Tensor ctx = learnable.front().second;
  {
    torch::NoGradGuard no_grad;
    ctx.add_(torch::randn(ctx.sizes()) * 0.5);
  }
  kgcoop->logits(pixels);
  const torch::Tensor moved = knowledge();
  CHECK(moved.item<double>() > 1e-3);
  CHECK(moved.item<double>() <= 16.0);  // weight x (1 - cos) with cos >= -1
  moved.backward();
  REQUIRE(ctx.grad().defined());
  CHECK(ctx.grad().abs().sum().item<double>() > 0);
  for (const auto& param : clip.model->parameters()) CHECK_FALSE(param.grad().defined());
}

TEST_CASE("the learnable tensors of each trained method round-trip through a save and load",
          "[hgclip]") {
  for (hc::HgclipMethod method : {hc::HgclipMethod::Cocoop, hc::HgclipMethod::Maple}) {
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

TEST_CASE("maple: each layer's vision prompts are the projection of that layer's text prompts, "
          "and the towers' hooks put them in place", "[hgclip]") {
  hc::ClipBundle clip = fixture_clip();
  hc::MapleDesign design;
  design.depth = clip.model->config().vision.num_layers;
  hc::MapleClip maple(clip.model, clip.tokenizer, shapes(), design);
  std::map<std::string, torch::Tensor> param;
  for (const auto& [name, tensor] : maple->learnable_parameters()) param[name] = tensor;
  const int64_t depth = design.depth;
  REQUIRE(param.size() == static_cast<std::size_t>(1 + 2 + 3 * (depth - 1)));
  const auto text = maple->text_prompts();
  const auto vision = maple->vision_prompts();
  REQUIRE(text.size() == static_cast<std::size_t>(depth));
  REQUIRE(vision.size() == static_cast<std::size_t>(depth));
  for (int64_t i = 0; i < depth; ++i) {
    CAPTURE(i);
    const std::string layer =
        i == 0 ? "proj" : "compound_prompt_projections." + std::to_string(i - 1);
    const torch::Tensor& want_text =
        param.at(i == 0 ? "prompt_learner.ctx"
                        : "prompt_learner.compound_prompts_text." + std::to_string(i - 1));
    CHECK(torch::equal(text[static_cast<std::size_t>(i)], want_text));
    const torch::Tensor want = torch::nn::functional::linear(
        want_text, param.at("prompt_learner." + layer + ".weight"),
        param.at("prompt_learner." + layer + ".bias"));
    CHECK(torch::allclose(vision[static_cast<std::size_t>(i)], want, 1e-5, 1e-6));
  }
  // The official deep copies: every deeper projection starts as the same layer.
  for (int64_t i = 1; i + 1 < depth; ++i) {
    const std::string name =
        "prompt_learner.compound_prompt_projections." + std::to_string(i) + ".weight";
    CHECK(torch::equal(param.at(name),
                       param.at("prompt_learner.compound_prompt_projections.0.weight")));
  }

  // The hooks: text rows 1..n_ctx and the vision tower's last n_ctx rows, at blocks 1..depth-1.
  const int64_t n_ctx = text.front().size(0);
  const int64_t wt = clip.model->config().text.hidden_size;
  const int64_t wv = clip.model->config().vision.hidden_size;
  const hc::TowerHooks text_hooks = maple->text_hooks(text);
  const hc::TowerHooks vision_hooks = maple->vision_hooks(vision);
  const torch::Tensor text_hidden = torch::randn({2, 10, wt});
  const torch::Tensor vision_hidden = torch::randn({2, 5, wv});
  const torch::Tensor appended = vision_hooks.after_embeddings(vision_hidden);
  REQUIRE(appended.size(1) == 5 + n_ctx);
  CHECK(torch::equal(appended.slice(1, 0, 5), vision_hidden));
  CHECK(torch::allclose(appended[1].slice(0, 5), vision.front()));
  for (int64_t i = 1; i < depth; ++i) {
    CAPTURE(i);
    const torch::Tensor t = text_hooks.before_layer(i, text_hidden);
    CHECK(torch::equal(t.slice(1, 0, 1), text_hidden.slice(1, 0, 1)));
    CHECK(torch::allclose(t[0].slice(0, 1, 1 + n_ctx), text[static_cast<std::size_t>(i)]));
    CHECK(torch::equal(t.slice(1, 1 + n_ctx), text_hidden.slice(1, 1 + n_ctx)));
    const torch::Tensor v = vision_hooks.before_layer(i, appended);
    CHECK(torch::equal(v.slice(1, 0, 5), appended.slice(1, 0, 5)));
    CHECK(torch::allclose(v[1].slice(0, 5), vision[static_cast<std::size_t>(i)]));
  }
  CHECK(torch::equal(text_hooks.before_layer(0, text_hidden), text_hidden));
  CHECK(torch::equal(vision_hooks.before_layer(0, appended), appended));
}

TEST_CASE("maple: a prompt depth beyond the towers is a usage error naming the key", "[hgclip]") {
  hc::ClipBundle clip = fixture_clip();
  hc::HgclipOptions options = tiny_options();
  options.prompt_depth = static_cast<int>(clip.model->config().text.num_layers) + 1;
  const std::string message = hc::test::usage_message([&] {
    hc::make_hierarchical_classifier(hc::HgclipMethod::Maple, clip.model, clip.tokenizer,
                                     shapes(), options, {});
  });
  CHECK_THAT(message, Catch::Matchers::Contains("hgclip.prompt_depth"));
}
