// Strict checkpoint loading: what is missing, unexpected, of the wrong shape or unreadable is an
// hc::Error naming the tensors and the file; and how load_clip finds weights and configs.

#include "catch_torch.h"

#include <filesystem>
#include <functional>
#include <string>

#include "hc/model/clip_weights.h"
#include "model_test_util.h"

namespace fs = std::filesystem;
using hc::test::model_fixture;

namespace {

// Copies `file` into dir, passing each tensor through edit (which may rename, reshape or drop
// it by returning false) and adding `extra` tensors.
void write_edited(const fs::path& source, const fs::path& target,
                  const std::function<bool(std::string&, torch::Tensor&)>& edit,
                  const std::map<std::string, torch::Tensor>& extra = {}) {
  hc::SafetensorsWriter writer;
  for (const auto& entry : hc::test::read_tensors(source)) {
    std::string name = entry.first;
    torch::Tensor tensor = entry.second;
    if (!edit(name, tensor)) continue;
    hc::add_tensor(writer, name, tensor);
  }
  for (const auto& [name, tensor] : extra) hc::add_tensor(writer, name, tensor);
  writer.write(target);
}

// An HF folder: the fixture's config.json and an edited model.safetensors.
fs::path edited_hf(const hc::test::TempDir& dir,
                   const std::function<bool(std::string&, torch::Tensor&)>& edit,
                   const std::map<std::string, torch::Tensor>& extra = {}) {
  fs::copy_file(model_fixture("tiny-quickgelu") / "config.json", dir / "config.json");
  write_edited(model_fixture("tiny-quickgelu") / "model.safetensors", dir / "model.safetensors",
               edit, extra);
  return dir.path();
}

hc::ClipModel load_cpu(const fs::path& path, const std::string& architecture = "") {
  return hc::load_clip(path, torch::kCPU, torch::kFloat, architecture);
}

}  // namespace

TEST_CASE("A missing tensor is named with the file", "[model][weights]") {
  hc::test::TempDir dir;
  auto path = edited_hf(dir, [](std::string& name, torch::Tensor&) {
    return name != "text_model.final_layer_norm.bias";
  });
  hc::test::require_hc_error(
      [&] { load_cpu(path); },
      {"model.safetensors", "1 missing", "text_model.final_layer_norm.bias"});
}

TEST_CASE("A tensor of the wrong shape is named with both shapes", "[model][weights]") {
  hc::test::TempDir dir;
  auto path = edited_hf(dir, [](std::string& name, torch::Tensor& tensor) {
    if (name == "vision_model.post_layernorm.weight") tensor = torch::ones({65});
    return true;
  });
  hc::test::require_hc_error(
      [&] { load_cpu(path); },
      {"model.safetensors", "mismatched",
       "vision_model.post_layernorm.weight: [65] in the file, [64] expected"});
}

TEST_CASE("An unexpected tensor is named; position_ids are ignored", "[model][weights]") {
  hc::test::TempDir dir;
  auto path = edited_hf(
      dir, [](std::string&, torch::Tensor&) { return true; },
      {{"text_model.extra.weight", torch::ones({2})},
       {"vision_model.extra.position_ids", torch::zeros({1, 50}, torch::kLong)}});
  auto message = hc::test::require_hc_error([&] { load_cpu(path); },
                                            {"model.safetensors", "1 unexpected",
                                             "text_model.extra.weight"});
  CHECK_THAT(message, !Catch::Matchers::Contains("position_ids"));
}

TEST_CASE("Many problems are summarised with counts", "[model][weights]") {
  hc::test::TempDir dir;
  auto path = edited_hf(dir, [](std::string& name, torch::Tensor&) {
    return name.find("text_model.encoder.layers.0.") == std::string::npos;
  });
  hc::test::require_hc_error([&] { load_cpu(path); }, {"16 missing", "... 11 more"});
}

TEST_CASE("A non-floating tensor where a weight belongs is refused", "[model][weights]") {
  hc::test::TempDir dir;
  auto path = edited_hf(dir, [](std::string& name, torch::Tensor& tensor) {
    if (name == "logit_scale") tensor = torch::tensor(3, torch::kLong).reshape({});
    return true;
  });
  hc::test::require_hc_error([&] { load_cpu(path); }, {"logit_scale", "I64"});
}

TEST_CASE("A truncated weights file is an hc::Error naming it", "[model][weights]") {
  hc::test::TempDir dir;
  fs::copy_file(model_fixture("tiny-quickgelu") / "config.json", dir / "config.json");
  std::string bytes = hc::test::read_bytes(model_fixture("tiny-quickgelu") / "model.safetensors");
  hc::test::write_bytes(dir / "model.safetensors", bytes.substr(0, bytes.size() - 1000));
  hc::test::require_hc_error([&] { load_cpu(dir.path()); }, {"model.safetensors"});
}

TEST_CASE("OpenCLIP names: fused in_proj problems are reported once", "[model][weights]") {
  hc::test::TempDir dir;
  fs::copy_file(model_fixture("tiny-quickgelu") / "open_clip_config.json",
                dir / "open_clip_config.json");
  write_edited(model_fixture("tiny-quickgelu") / "open_clip_model.safetensors",
               dir / "open_clip_model.safetensors", [](std::string& name, torch::Tensor&) {
                 return name != "transformer.resblocks.1.attn.in_proj_weight";
               });
  hc::test::require_hc_error([&] { load_cpu(dir.path()); },
                             {"open_clip_model.safetensors", "1 missing",
                              "transformer.resblocks.1.attn.in_proj_weight"});
}

TEST_CASE("load_clip finds weights and configs, or says what it needs", "[model][weights]") {
  const fs::path quick = model_fixture("tiny-quickgelu");
  SECTION("a folder with both layouts loads the Hugging Face one") {
    CHECK(load_cpu(quick)->config().name == (quick / "config.json").string());
  }
  SECTION("the HF weights file itself") {
    CHECK_NOTHROW(load_cpu(quick / "model.safetensors"));
  }
  SECTION("a bare OpenCLIP file needs a config beside it or an architecture name") {
    hc::test::TempDir dir;
    fs::copy_file(quick / "open_clip_model.safetensors", dir / "weights.safetensors");
    hc::test::require_hc_error([&] { load_cpu(dir / "weights.safetensors"); },
                               {"weights.safetensors", "open_clip_config.json", "ViT-B-32"});
    CHECK(load_cpu(dir / "weights.safetensors", "tiny")->config().name == "tiny");
    // The wrong architecture fails on shapes.
    hc::test::require_hc_error([&] { load_cpu(dir / "weights.safetensors", "ViT-B-32"); },
                               {"weights.safetensors", "mismatched"});
  }
  SECTION("a folder with neither layout") {
    hc::test::TempDir dir;
    hc::test::require_hc_error([&] { load_cpu(dir.path()); },
                               {dir.path().string(), "config.json", "open_clip_model.safetensors"});
  }
  SECTION("a path that does not exist") {
    hc::test::require_hc_error([&] { load_cpu(quick / "nope"); }, {"nope", "does not exist"});
  }
  SECTION("a safetensors file that is not CLIP") {
    hc::test::TempDir dir;
    hc::SafetensorsWriter writer;
    hc::add_tensor(writer, "weight", torch::ones({2}));
    writer.write(dir / "other.safetensors");
    hc::test::require_hc_error([&] { load_cpu(dir / "other.safetensors", "tiny"); },
                               {"other.safetensors", "not a CLIP checkpoint"});
  }
  SECTION("a sharded Hugging Face checkpoint") {
    hc::test::TempDir dir;
    fs::copy_file(quick / "config.json", dir / "config.json");
    nlohmann::json weight_map;
    write_edited(quick / "model.safetensors", dir / "model-00001-of-00002.safetensors",
                 [&](std::string& name, torch::Tensor&) {
                   bool text = name.rfind("text_model.", 0) == 0;
                   if (text) weight_map[name] = "model-00001-of-00002.safetensors";
                   return text;
                 });
    write_edited(quick / "model.safetensors", dir / "model-00002-of-00002.safetensors",
                 [&](std::string& name, torch::Tensor&) {
                   bool text = name.rfind("text_model.", 0) == 0;
                   if (!text) weight_map[name] = "model-00002-of-00002.safetensors";
                   return !text;
                 });
    hc::test::write_bytes(dir / "model.safetensors.index.json",
                          nlohmann::json{{"metadata", nlohmann::json::object()},
                                         {"weight_map", weight_map}}
                              .dump());
    auto sharded = load_cpu(dir.path());
    auto single = load_cpu(quick);
    auto expected = single->named_parameters();
    for (const auto& item : sharded->named_parameters()) {
      INFO(item.key());
      CHECK(torch::equal(item.value(), expected[item.key()]));
    }
  }
}
