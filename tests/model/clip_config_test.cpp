#include "catch_torch.h"

#include <string>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/model/clip_config.h"
#include "model_test_util.h"

using hc::test::model_fixture;
using nlohmann::json;

TEST_CASE("An empty HF config takes Hugging Face's documented defaults", "[model][config]") {
  hc::ClipConfig c = hc::parse_hf_clip_config(json::object(), "config.json");
  CHECK(c.text.vocab_size == 49408);
  CHECK(c.text.hidden_size == 512);
  CHECK(c.text.intermediate_size == 2048);
  CHECK(c.text.num_heads == 8);
  CHECK(c.text.num_layers == 12);
  CHECK(c.text.max_positions == 77);
  CHECK(c.text.hidden_act == hc::Activation::QuickGelu);
  CHECK(c.text.layer_norm_eps == 1e-5);
  CHECK(c.text.pad_token_id == 1);
  CHECK(c.text.bos_token_id == 49406);
  CHECK(c.text.eos_token_id == 49407);
  CHECK(c.vision.hidden_size == 768);
  CHECK(c.vision.intermediate_size == 3072);
  CHECK(c.vision.num_heads == 12);
  CHECK(c.vision.num_layers == 12);
  CHECK(c.vision.image_size == 224);
  CHECK(c.vision.patch_size == 32);
  CHECK(c.vision.num_channels == 3);
  CHECK(c.vision.hidden_act == hc::Activation::QuickGelu);
  CHECK(c.projection_dim == 512);
  CHECK(c.logit_scale_init == Approx(2.6592));
}

TEST_CASE("The fixture configs parse to their documented shapes", "[model][config]") {
  auto quick = hc::load_hf_clip_config(model_fixture("tiny-quickgelu") / "config.json");
  CHECK(quick.text.hidden_size == 64);
  CHECK(quick.text.num_heads == 2);
  CHECK(quick.vision.num_patches() == 49);
  CHECK(quick.projection_dim == 32);
  CHECK(quick.vision.hidden_act == hc::Activation::QuickGelu);

  auto gelu = hc::load_hf_clip_config(model_fixture("tiny-gelu") / "config.json");
  CHECK(gelu.text.hidden_size == 96);
  CHECK(gelu.text.num_heads == 3);
  CHECK(gelu.text.hidden_act == hc::Activation::Gelu);
  CHECK(gelu.projection_dim == 48);

  // The OpenCLIP config of the same model says the same thing.
  auto open = hc::load_open_clip_config(model_fixture("tiny-quickgelu") / "open_clip_config.json");
  CHECK(open.text.hidden_size == quick.text.hidden_size);
  CHECK(open.text.num_heads == quick.text.num_heads);
  CHECK(open.text.intermediate_size == quick.text.intermediate_size);
  CHECK(open.text.num_layers == quick.text.num_layers);
  CHECK(open.vision.hidden_size == quick.vision.hidden_size);
  CHECK(open.vision.num_heads == quick.vision.num_heads);
  CHECK(open.vision.intermediate_size == quick.vision.intermediate_size);
  CHECK(open.vision.patch_size == quick.vision.patch_size);
  CHECK(open.projection_dim == quick.projection_dim);
  CHECK(open.text.hidden_act == hc::Activation::QuickGelu);
}

TEST_CASE("HF config details: legacy eos, old dict keys, activations", "[model][config]") {
  json legacy = {{"text_config", {{"eos_token_id", 2}, {"bos_token_id", 0}}}};
  CHECK(hc::parse_hf_clip_config(legacy, "c.json").text.eos_token_id == 2);

  json old = {{"text_config_dict", {{"hidden_size", 768}}}, {"vision_config", nullptr}};
  auto c = hc::parse_hf_clip_config(old, "c.json");
  CHECK(c.text.hidden_size == 768);
  CHECK(c.vision.hidden_size == 768);

  for (const char* name : {"gelu_new", "gelu_pytorch_tanh"}) {
    json tanh = {{"vision_config", {{"hidden_act", name}}}};
    CHECK(hc::parse_hf_clip_config(tanh, "c.json").vision.hidden_act == hc::Activation::GeluTanh);
  }
}

TEST_CASE("Bad configs are hc::Errors naming the file and key", "[model][config]") {
  using hc::test::require_hc_error;
  require_hc_error(
      [] { hc::parse_hf_clip_config({{"text_config", {{"hidden_act", "relu"}}}}, "my.json"); },
      {"my.json", "text_config.hidden_act", "relu"});
  require_hc_error(
      [] { hc::parse_hf_clip_config({{"vision_config", {{"hidden_size", "big"}}}}, "my.json"); },
      {"my.json", "vision_config.hidden_size", "integer"});
  require_hc_error([] { hc::parse_hf_clip_config({{"model_type", "siglip"}}, "my.json"); },
                   {"my.json", "model_type", "siglip"});
  require_hc_error(
      [] { hc::parse_hf_clip_config({{"text_config", {{"num_attention_heads", 7}}}}, "my.json"); },
      {"my.json", "divisible"});
  require_hc_error([] { hc::parse_hf_clip_config(json::array(), "my.json"); }, {"my.json"});

  json resnet = {{"embed_dim", 1024},
                 {"vision_cfg", {{"layers", {3, 4, 6, 3}}, {"width", 64}}},
                 {"text_cfg", json::object()}};
  require_hc_error([&] { hc::parse_open_clip_config(resnet, "oc.json"); },
                   {"oc.json", "vision_cfg.layers", "ResNet"});
  json hf_text = {{"embed_dim", 512},
                  {"vision_cfg", json::object()},
                  {"text_cfg", {{"hf_model_name", "roberta-base"}}}};
  require_hc_error([&] { hc::parse_open_clip_config(hf_text, "oc.json"); },
                   {"oc.json", "text_cfg.hf_model_name"});
  require_hc_error([] { hc::parse_open_clip_config({{"vision_cfg", json::object()}}, "oc.json"); },
                   {"oc.json", "embed_dim"});
}

TEST_CASE("Built-in architectures have the real dimensions", "[model][config]") {
  auto b32 = hc::builtin_clip_config("ViT-B-32");
  CHECK(b32.projection_dim == 512);
  CHECK(b32.vision.hidden_size == 768);
  CHECK(b32.vision.num_heads == 12);
  CHECK(b32.vision.num_layers == 12);
  CHECK(b32.vision.patch_size == 32);
  CHECK(b32.vision.intermediate_size == 3072);
  CHECK(b32.text.hidden_size == 512);
  CHECK(b32.text.num_heads == 8);
  CHECK(b32.text.num_layers == 12);
  CHECK(b32.text.hidden_act == hc::Activation::QuickGelu);

  auto b16 = hc::builtin_clip_config("ViT-B-16");
  CHECK(b16.vision.patch_size == 16);
  CHECK(b16.vision.num_positions() == 197);

  auto l14 = hc::builtin_clip_config("ViT-L-14");
  CHECK(l14.projection_dim == 768);
  CHECK(l14.vision.hidden_size == 1024);
  CHECK(l14.vision.num_heads == 16);
  CHECK(l14.vision.num_layers == 24);
  CHECK(l14.vision.num_positions() == 257);
  CHECK(l14.text.hidden_size == 768);
  CHECK(l14.text.num_heads == 12);
  CHECK(l14.vision.hidden_act == hc::Activation::QuickGelu);
  CHECK(hc::builtin_clip_config("ViT-L-14-336").vision.num_positions() == 577);

  auto h14 = hc::builtin_clip_config("ViT-H-14");
  CHECK(h14.projection_dim == 1024);
  CHECK(h14.vision.hidden_size == 1280);
  CHECK(h14.vision.num_heads == 16);
  CHECK(h14.vision.num_layers == 32);
  CHECK(h14.vision.intermediate_size == 5120);
  CHECK(h14.text.hidden_size == 1024);
  CHECK(h14.text.num_heads == 16);
  CHECK(h14.text.num_layers == 24);
  CHECK(h14.text.hidden_act == hc::Activation::Gelu);
  CHECK(hc::builtin_clip_config("ViT-H-14-quickgelu").text.hidden_act ==
        hc::Activation::QuickGelu);

  auto tiny = hc::builtin_clip_config("tiny");
  CHECK(tiny.text.hidden_size == 64);
  CHECK(tiny.vision.num_layers == 2);

  hc::test::require_hc_error([] { hc::builtin_clip_config("ViT-X-99"); },
                             {"ViT-X-99", "ViT-B-32", "tiny"});
}

TEST_CASE("The HF config written back parses to the same config", "[model][config]") {
  auto original = hc::builtin_clip_config("ViT-H-14");
  auto back = hc::parse_hf_clip_config(hc::to_hf_config_json(original, "float32"), "back.json");
  CHECK(back.text.hidden_size == original.text.hidden_size);
  CHECK(back.text.num_heads == original.text.num_heads);
  CHECK(back.text.num_layers == original.text.num_layers);
  CHECK(back.text.intermediate_size == original.text.intermediate_size);
  CHECK(back.text.hidden_act == original.text.hidden_act);
  CHECK(back.text.eos_token_id == original.text.eos_token_id);
  CHECK(back.vision.hidden_size == original.vision.hidden_size);
  CHECK(back.vision.num_heads == original.vision.num_heads);
  CHECK(back.vision.patch_size == original.vision.patch_size);
  CHECK(back.vision.image_size == original.vision.image_size);
  CHECK(back.vision.hidden_act == original.vision.hidden_act);
  CHECK(back.projection_dim == original.projection_dim);
}
