// The methods behind hgclip-train on the fixture's tiny CLIP: zeroshot is plain CLIP on
// "<ctx_init> <class>." (checked against the model's own text and image encoders), each
// baseline trains only its own tensors while the CLIP weights get no gradient, and names that
// are not implemented are usage errors.
#include "catch_torch.h"

#include <string>
#include <vector>

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

TEST_CASE("each baseline trains only its own tensors; CLIP gets no gradient", "[hgclip]") {
  struct Case {
    hc::HgclipMethod method;
    std::vector<std::string> prefixes;  // every learnable name starts with one of these
  };
  for (const Case& c : {Case{hc::HgclipMethod::Coop, {"prompt_learner.ctx"}},
                        Case{hc::HgclipMethod::Kgcoop, {"prompt_learner.ctx"}},
                        Case{hc::HgclipMethod::Vpt, {"image_encoder."}},
                        Case{hc::HgclipMethod::Vp, {"prompt_learner.ctx", "image_encoder."}},
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
    classifier->logits(torch::randn({2, 3, size, size})).sum().backward();
    for (const auto& [name, tensor] : learnable) {
      CAPTURE(name);
      REQUIRE(tensor.grad().defined());
      CHECK(tensor.grad().abs().sum().item<double>() > 0);
    }
    for (const auto& param : clip.model->parameters()) CHECK_FALSE(param.grad().defined());
  }
}

TEST_CASE("methods that are not implemented are usage errors naming what is", "[hgclip]") {
  for (const char* name : {"cocoop", "maple"}) {
    const std::string message = hc::test::usage_message([&] { hc::parse_hgclip_method(name); });
    CHECK_THAT(message, Catch::Matchers::Contains("not implemented") &&
                            Catch::Matchers::Contains("hgclip, coop, vpt, vp, zeroshot, kgcoop") &&
                            Catch::Matchers::Contains("promptsrc"));
  }
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
