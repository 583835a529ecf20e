// save_clip_checkpoint: one folder in Hugging Face layout (plus our extras), written atomically,
// that load_clip, open_clip_bundle and load_clip_checkpoint read back.
#include "catch_torch.h"

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/geometry/root.h"
#include "hc/model/checkpoint.h"
#include "hc/model/clip_bundle.h"
#include "hc/model/clip_weights.h"
#include "model_test_util.h"
#include "scoped_env.h"

namespace fs = std::filesystem;
using hc::test::model_fixture;

namespace {

const fs::path& fixture() {
  static const fs::path path = model_fixture("tiny-quickgelu");
  return path;
}

hc::ClipModel fixture_model() { return hc::load_clip(fixture(), torch::kCPU, torch::kFloat); }

hc::ClipCheckpointOptions options_with_vocabulary() {
  hc::ClipCheckpointOptions options;
  options.vocabulary = fixture();  // a folder with vocab.json + merges.txt
  return options;
}

std::set<std::string> names_in(const fs::path& file) {
  auto names = hc::SafetensorsFile::open(file)->names();
  return {names.begin(), names.end()};
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Fingerprints go to a test folder, not the user's cache; no vocabulary from the environment.
struct IsolatedEnv {
  hc::test::TempDir cache;
  hc::test::ScopedEnv env;
  IsolatedEnv() { env.set("HC_CACHE_DIR", cache.path().string()).unset("HC_VOCAB"); }
};

}  // namespace

TEST_CASE("A checkpoint folder has a Hugging Face checkpoint's files and tensor names",
          "[model][checkpoint]") {
  IsolatedEnv isolated;
  hc::ClipModel model = fixture_model();
  hc::test::TempDir dir;
  const fs::path out = dir / "ckpt";
  hc::save_clip_checkpoint(*model, out, options_with_vocabulary());

  // Every file of the fixture's Hugging Face folder that describes the model.
  for (const char* file :
       {"config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json",
        "special_tokens_map.json", "preprocessor_config.json"}) {
    INFO(file);
    CHECK(fs::is_regular_file(out / file));
    CHECK(fs::is_regular_file(fixture() / file));
  }
  CHECK_FALSE(fs::exists(out / hc::kExtraTensorsFile));  // no extras given
  CHECK(entries(dir.path()) == std::vector<std::string>{"ckpt"});

  // The same tensor names as the fixture's HF file, whose position_ids buffers newer Hugging
  // Face versions neither store nor need.
  std::set<std::string> expected;
  for (const std::string& name : names_in(fixture() / "model.safetensors")) {
    if (name.find("position_ids") == std::string::npos) expected.insert(name);
  }
  CHECK(names_in(out / "model.safetensors") == expected);
  CHECK(hc::SafetensorsFile::open(out / "model.safetensors")->metadata().at("format") == "pt");

  const auto config = hc::test::read_json_file(out / "config.json");
  const auto fixture_config = hc::test::read_json_file(fixture() / "config.json");
  CHECK(config.at("architectures") == fixture_config.at("architectures"));
  CHECK(config.at("model_type") == fixture_config.at("model_type"));
  for (const char* tower : {"text_config", "vision_config"}) {
    for (const auto& [key, value] : fixture_config.at(tower).items()) {
      INFO(tower << "." << key);
      CHECK(config.at(tower).at(key) == value);
    }
  }
  CHECK(hc::test::read_bytes(out / "vocab.json") == hc::test::read_bytes(fixture() / "vocab.json"));
  const auto preprocessor = hc::test::read_json_file(out / "preprocessor_config.json");
  CHECK(preprocessor.at("image_processor_type") == "CLIPImageProcessor");
  CHECK(preprocessor.at("crop_size").at("height") == model->config().vision.image_size);
}

TEST_CASE(
    "A checkpoint folder loads as a bundle with the same model, tokenizer and "
    "preprocessing",
    "[model][checkpoint]") {
  IsolatedEnv isolated;
  hc::ClipModel model = fixture_model();
  hc::test::TempDir dir;
  auto options = options_with_vocabulary();
  options.preprocess = hc::PreprocessConfig::preset("hgclip_legacy");
  hc::save_clip_checkpoint(*model, dir / "ckpt", options);

  const hc::ClipBundle bundle =
      hc::open_clip_bundle((dir / "ckpt").string(), torch::kCPU, torch::kFloat);
  auto expected = model->named_parameters();
  for (const auto& item : bundle.model->named_parameters()) {
    INFO(item.key());
    CHECK(torch::equal(item.value(), expected[item.key()]));
  }
  const hc::ClipTokenizer original = hc::ClipTokenizer::load(fixture());
  const std::string text = "a goat, eating leaves on the island";
  CHECK(bundle.tokenizer.encode_with_specials(text) == original.encode_with_specials(text));
  const auto legacy = hc::PreprocessConfig::preset("hgclip_legacy");
  CHECK(bundle.preprocess.resize_rule == legacy.resize_rule);
  CHECK(bundle.preprocess.resample == legacy.resample);
  CHECK(bundle.preprocess.image_mean == legacy.image_mean);
  CHECK(bundle.preprocess.image_std == legacy.image_std);
  CHECK(bundle.preprocess.do_center_crop == legacy.do_center_crop);
}

TEST_CASE("Extra tensors are saved beside the model and read back by name", "[model][checkpoint]") {
  hc::ClipModel model = fixture_model();
  hc::test::TempDir dir;
  auto options = options_with_vocabulary();
  torch::manual_seed(5);
  const torch::Tensor prompts = torch::randn({4, 64});
  const torch::Tensor root = torch::randn({32}, torch::kDouble);
  options.extra_tensors = {{"prompt.context", prompts}, {"root", root}};
  hc::save_clip_checkpoint(*model, dir / "ckpt", options);

  const hc::ClipCheckpoint loaded =
      hc::load_clip_checkpoint(dir / "ckpt", torch::kCPU, torch::kFloat);
  REQUIRE(loaded.extra_tensors.size() == 2);
  CHECK(torch::equal(loaded.extra_tensors.at("prompt.context"), prompts));
  CHECK(loaded.extra_tensors.at("root").scalar_type() == torch::kDouble);  // its own dtype
  CHECK(torch::equal(loaded.extra_tensors.at("root"), root));
  CHECK(torch::equal(loaded.model->text_projection, model->text_projection));
  // The root file mode of the geometry reads the learned root straight from the checkpoint.
  const torch::Tensor file_root = hc::load_root(dir / "ckpt" / hc::kExtraTensorsFile, "root");
  CHECK(torch::allclose(file_root.to(torch::kDouble), root / root.norm(), 0, 1e-12));
  // And a folder without extras has none.
  CHECK(hc::load_extra_tensors(fixture(), torch::kCPU).empty());
}

TEST_CASE("Saving in another dtype converts floating weights only", "[model][checkpoint]") {
  hc::ClipModel model = fixture_model();
  hc::test::TempDir dir;
  auto options = options_with_vocabulary();
  options.dtype = torch::kBFloat16;
  hc::save_clip_checkpoint(*model, dir / "ckpt", options);
  auto file = hc::SafetensorsFile::open(dir / "ckpt" / "model.safetensors");
  for (const std::string& name : file->names()) {
    INFO(name);
    CHECK(file->get(name).dtype == hc::DType::BF16);
  }
  CHECK(hc::test::read_json_file(dir / "ckpt" / "config.json").at("torch_dtype") == "bfloat16");
  // The fixture's values are exact in bf16.
  auto back = hc::load_clip(dir / "ckpt", torch::kCPU, torch::kFloat);
  CHECK(torch::equal(back->visual_projection, model->visual_projection));
}

TEST_CASE("An existing checkpoint folder is refused or replaced whole", "[model][checkpoint]") {
  hc::ClipModel model = fixture_model();
  hc::test::TempDir dir;
  const fs::path out = dir / "ckpt";
  auto options = options_with_vocabulary();
  options.extra_tensors = {{"step", torch::tensor(1)}};
  hc::save_clip_checkpoint(*model, out, options);

  options.extra_tensors = {{"step", torch::tensor(2)}};
  hc::test::require_hc_error([&] { hc::save_clip_checkpoint(*model, out, options); },
                             {out.string(), "already exists"});
  CHECK(hc::load_extra_tensors(out, torch::kCPU).at("step").item<int64_t>() == 1);

  options.replace = true;
  hc::save_clip_checkpoint(*model, out, options);
  CHECK(hc::load_extra_tensors(out, torch::kCPU).at("step").item<int64_t>() == 2);
  CHECK(entries(dir.path()) == std::vector<std::string>{"ckpt"});
}

TEST_CASE("A save that fails halfway leaves neither the folder nor a temporary one",
          "[model][checkpoint]") {
  hc::ClipModel model = fixture_model();
  hc::test::TempDir dir;
  const fs::path out = dir / "ckpt";
  SECTION("a failing disk write inside the weights file") {
    // RLIMIT_FSIZE makes write() fail with EFBIG past the limit (SIGXFSZ ignored): the tokenizer
    // files fit, the weights file (about 4 MB) does not.
    struct rlimit saved {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    auto saved_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limited = saved;
    limited.rlim_cur = 2'000'000;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
    std::string message;
    try {
      hc::save_clip_checkpoint(*model, out, options_with_vocabulary());
    } catch (const hc::Error& e) {
      message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, saved_handler);
    CHECK_THAT(message, Catch::Matchers::Contains("model.safetensors") &&
                            Catch::Matchers::Contains("File too large"));
  }
  SECTION("a failing extra step") {
    auto options = options_with_vocabulary();
    options.write_more = [](const fs::path& folder) {
      CHECK(fs::exists(folder / "model.safetensors"));  // everything else is written by now
      throw hc::runtime_error("injected failure");
    };
    hc::test::require_hc_error([&] { hc::save_clip_checkpoint(*model, out, options); },
                               {"injected failure"});
  }
  SECTION("no vocabulary") {
    hc::test::ScopedEnv env;
    env.unset("HC_VOCAB");
    hc::test::require_hc_error(
        [&] { hc::save_clip_checkpoint(*model, out, hc::ClipCheckpointOptions{}); },
        {out.string(), "vocab.json"});
  }
  CHECK(fs::is_empty(dir.path()));
}
