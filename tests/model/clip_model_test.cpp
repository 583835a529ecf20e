// The towers beyond parity: training (gradients), the prompt-learning entry points and hooks,
// padding, random initialisation, saving and reloading.

#include "catch_torch.h"

#include <string>
#include <vector>

#include "hc/model/clip_weights.h"
#include "model_test_util.h"

namespace fs = std::filesystem;
using hc::test::model_fixture;

namespace {

hc::ClipModel tiny_fixture_model() {
  return hc::load_clip(model_fixture("tiny-quickgelu"), torch::kCPU, torch::kFloat);
}

torch::Tensor fixture_ids() {
  return hc::test::read_tensors(model_fixture("tiny-quickgelu") / "expected.safetensors")
      .at("input_ids");
}

}  // namespace

TEST_CASE("Gradients flow to every text tower parameter in training mode", "[model]") {
  hc::ClipModel model = tiny_fixture_model();
  model->train();
  auto ids = fixture_ids().slice(0, 0, 6);
  auto text = model->encode_text(ids);
  text.text_embeds.pow(2).sum().backward();

  int checked = 0;
  for (const auto& item : model->named_parameters()) {
    const bool text_side = item.key().rfind("text_", 0) == 0;
    INFO(item.key());
    if (text_side) {
      REQUIRE(item.value().grad().defined());
      CHECK(item.value().grad().abs().sum().item<double>() > 0);
      ++checked;
    } else {
      CHECK_FALSE(item.value().grad().defined());
    }
  }
  CHECK(checked > 10);

  // And an optimizer step changes the text tower.
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
  auto before = model->text_projection.detach().clone();
  optimizer.step();
  CHECK_FALSE(torch::equal(before, model->text_projection.detach()));
}

TEST_CASE("Text from embeddings equals text from ids; hooks see every layer", "[model]") {
  hc::ClipModel model = tiny_fixture_model();
  torch::NoGradGuard no_grad;
  auto ids = fixture_ids();
  auto reference = model->encode_text(ids);

  std::vector<int64_t> layers_seen;
  int embeddings_seen = 0;
  hc::TowerHooks identity;
  identity.after_embeddings = [&](const torch::Tensor& x) {
    ++embeddings_seen;
    return x;
  };
  identity.before_layer = [&](int64_t layer, const torch::Tensor& x) {
    layers_seen.push_back(layer);
    return x;
  };
  auto embeds = model->text_model->embed_tokens(ids);
  auto from_embeds = model->encode_text_embeddings(embeds, reference.eot_index, {}, identity);
  CHECK(torch::equal(from_embeds.text_embeds, reference.text_embeds));
  CHECK(embeddings_seen == 1);
  CHECK((layers_seen == std::vector<int64_t>{0, 1}));

  SECTION("a hook replacing tokens changes the result and trains its tokens") {
    torch::GradMode::set_enabled(true);
    auto context = torch::zeros({1, 2, 64}, torch::requires_grad());
    hc::TowerHooks deep;
    deep.before_layer = [&](int64_t layer, const torch::Tensor& x) {
      if (layer != 1) return x;
      // MaPLe-style: replace positions 1..2 (after BOS) by learnable tokens.
      auto ctx = context.expand({x.size(0), 2, 64});
      return torch::cat({x.slice(1, 0, 1), ctx, x.slice(1, 3)}, 1);
    };
    auto prompted = model->encode_text_embeddings(embeds, reference.eot_index, {}, deep);
    CHECK_FALSE(torch::allclose(prompted.text_embeds, reference.text_embeds));
    prompted.text_embeds.sum().backward();
    REQUIRE(context.grad().defined());
    CHECK(context.grad().abs().sum().item<double>() > 0);
  }

  SECTION("a text hook may not change the length") {
    hc::TowerHooks longer;
    longer.before_layer = [](int64_t, const torch::Tensor& x) { return torch::cat({x, x}, 1); };
    hc::test::require_hc_error(
        [&] { model->encode_text_embeddings(embeds, reference.eot_index, {}, longer); },
        {"length"});
  }

  SECTION("eot positions out of range are refused") {
    auto bad = reference.eot_index.clone();
    bad[0] = 77;
    hc::test::require_hc_error([&] { model->encode_text_embeddings(embeds, bad); },
                               {"eot_index"});
  }
}

TEST_CASE("Vision hooks may append tokens (visual prompts)", "[model]") {
  hc::ClipModel model = tiny_fixture_model();
  torch::NoGradGuard no_grad;
  auto pixels = hc::test::fixture_pixels("tiny-quickgelu").slice(0, 0, 3);
  auto reference = model->encode_image(pixels);
  hc::TowerHooks prompts;
  prompts.after_embeddings = [](const torch::Tensor& x) {
    return torch::cat({x, torch::full({x.size(0), 4, x.size(2)}, 0.1)}, 1);
  };
  auto prompted = model->encode_image(pixels, prompts);
  CHECK((prompted.vision_tokens.sizes().vec() == std::vector<int64_t>{3, 54, 64}));
  CHECK(prompted.vision_patch_embeds.sizes() == reference.vision_patch_embeds.sizes());
  CHECK_FALSE(torch::allclose(prompted.image_embeds, reference.image_embeds));
}

TEST_CASE("Padding value and length do not change text embeddings", "[model]") {
  hc::ClipModel model = tiny_fixture_model();
  torch::NoGradGuard no_grad;
  auto ids = fixture_ids().slice(0, 0, 12);  // short texts
  auto reference = model->encode_text(ids);
  // HF style: padded with EOT (49407) and cut to the longest row.
  const int64_t longest = reference.eot_index.max().item<int64_t>() + 1;
  auto mask = torch::arange(77).unsqueeze(0) <= reference.eot_index.unsqueeze(1);
  auto hf_ids = torch::where(mask, ids, torch::full_like(ids, 49407)).slice(1, 0, longest);
  auto cut = model->encode_text(hf_ids, mask.slice(1, 0, longest).to(torch::kLong));
  CHECK(torch::allclose(cut.text_embeds, reference.text_embeds, 1e-5, 1e-5));
}

TEST_CASE("Pooling positions follow Hugging Face's two rules", "[model]") {
  auto ids = torch::tensor({49406, 7, 9, 7, 0}, torch::kLong).reshape({1, 5});
  auto config = hc::builtin_clip_config("tiny");
  config.text.eos_token_id = 7;  // first position equal to the EOS id
  auto first_eos = hc::random_clip(config, 1, torch::kCPU, torch::kFloat);
  CHECK(first_eos->text_model->eot_positions(ids).item<int64_t>() == 1);
  CHECK(first_eos->text_model->eot_positions(torch::zeros({1, 5}, torch::kLong)).item<int64_t>() ==
        0);
  config.text.eos_token_id = 2;  // legacy configs: argmax(input_ids)
  auto legacy = hc::random_clip(config, 1, torch::kCPU, torch::kFloat);
  CHECK(legacy->text_model->eot_positions(ids).item<int64_t>() == 0);
}

TEST_CASE("Bad inputs are hc::Errors naming what was expected", "[model]") {
  hc::ClipModel model = tiny_fixture_model();
  torch::NoGradGuard no_grad;
  hc::test::require_hc_error([&] { model->encode_image(torch::zeros({1, 3, 200, 200})); },
                             {"pixel_values", "[1, 3, 200, 200]"});
  hc::test::require_hc_error(
      [&] { model->encode_text(torch::full({1, 78}, 49407, torch::kLong)); }, {"78"});
}

TEST_CASE("Random initialisation: real shapes, seeded, HF statistics", "[model]") {
  auto config = hc::builtin_clip_config("tiny");
  auto a = hc::random_clip(config, 7, torch::kCPU, torch::kFloat);
  auto b = hc::random_clip(config, 7, torch::kCPU, torch::kFloat);
  auto c = hc::random_clip(config, 8, torch::kCPU, torch::kFloat);
  auto pa = a->named_parameters(), pb = b->named_parameters(), pc = c->named_parameters();
  CHECK(torch::equal(pa["text_model.encoder.layers.0.self_attn.q_proj.weight"],
                     pb["text_model.encoder.layers.0.self_attn.q_proj.weight"]));
  CHECK_FALSE(torch::equal(pa["text_model.encoder.layers.0.self_attn.q_proj.weight"],
                           pc["text_model.encoder.layers.0.self_attn.q_proj.weight"]));
  CHECK(a->logit_scale.item<double>() == Approx(2.6592));
  CHECK(torch::equal(pa["vision_model.post_layernorm.weight"], torch::ones({64})));
  CHECK(pa["text_model.embeddings.token_embedding.weight"].std().item<double>() ==
        Approx(0.02).epsilon(0.02));

  // The same parameter names and shapes as the HF fixture checkpoint (position_ids aside).
  auto file = hc::SafetensorsFile::open(model_fixture("tiny-quickgelu") / "model.safetensors");
  std::size_t expected = 0;
  for (const std::string& name : file->names()) {
    if (name.find("position_ids") != std::string::npos) continue;
    ++expected;
    INFO(name);
    REQUIRE(pa.contains(name));
    CHECK(pa[name].sizes().vec() == file->get(name).shape);
  }
  CHECK(pa.size() == expected);

  // Usable at once, in bf16 too.
  torch::NoGradGuard no_grad;
  auto bf16 = hc::random_clip(config, 7, torch::kCPU, torch::kBFloat16);
  auto out = bf16->encode_text(fixture_ids().slice(0, 0, 2));
  CHECK(out.text_embeds.scalar_type() == torch::kBFloat16);
  CHECK(torch::isfinite(out.text_embeds).all().item<bool>());
}

TEST_CASE("A saved model reloads with the same parameters and outputs", "[model]") {
  hc::test::TempDir dir;
  hc::ClipModel model =
      hc::load_clip(model_fixture("tiny-quickgelu") / "open_clip_model.safetensors", torch::kCPU,
                    torch::kFloat);
  hc::save_clip_hf(*model, dir.path());
  REQUIRE(fs::exists(dir / "config.json"));
  REQUIRE(fs::exists(dir / "model.safetensors"));

  hc::ClipModel reloaded = hc::load_clip(dir.path(), torch::kCPU, torch::kFloat);
  auto original = model->named_parameters();
  for (const auto& item : reloaded->named_parameters()) {
    INFO(item.key());
    CHECK(torch::equal(item.value(), original[item.key()]));
  }
  auto config = hc::load_hf_clip_config(dir / "config.json");
  CHECK(config.text.hidden_act == hc::Activation::QuickGelu);
  CHECK(config.projection_dim == 32);

  SECTION("in another dtype") {
    hc::test::TempDir half_dir;
    hc::save_clip_hf(*model, half_dir.path(), torch::kHalf);
    auto file = hc::SafetensorsFile::open(half_dir / "model.safetensors");
    CHECK(file->get("logit_scale").dtype == hc::DType::F16);
    CHECK(hc::test::read_json_file(half_dir / "config.json").at("torch_dtype") == "float16");
    // The fixture's values are exact in fp16: reloading in fp32 gives them back.
    auto back = hc::load_clip(half_dir.path(), torch::kCPU, torch::kFloat);
    CHECK(torch::equal(back->text_projection, model->text_projection));
  }
}

TEST_CASE("CPU dtype support is probed and explained", "[model]") {
  CHECK_NOTHROW(hc::require_dtype_support(torch::kCPU, torch::kFloat));
  CHECK_NOTHROW(hc::require_dtype_support(torch::kCPU, torch::kBFloat16));
  // fp16 on the CPU: either it runs, or the refusal names the dtype, device and the remedy.
  try {
    hc::require_dtype_support(torch::kCPU, torch::kHalf);
  } catch (const hc::Error& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains("fp16") && Catch::Matchers::Contains("cpu") &&
                             Catch::Matchers::Contains("bf16"));
  }
}
