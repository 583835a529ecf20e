// open_clip_bundle: model + tokenizer + preprocessing + identity from a checkpoint folder, a
// weights file or a hub id in the local Hugging Face cache.
#include "catch_torch.h"

#include <filesystem>
#include <string>

#include "hc/core/error.h"
#include "hc/core/sha256.h"
#include "hc/model/clip_bundle.h"
#include "model_test_util.h"
#include "scoped_env.h"

namespace {
namespace fs = std::filesystem;
using hc::test::model_fixture;

bool is_hex64(const std::string& text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

hc::ClipBundle open_cpu(const std::string& spec, const hc::ClipBundleOptions& options = {}) {
  return hc::open_clip_bundle(spec, torch::kCPU, torch::kFloat, options);
}

// Fingerprints go to a test folder, not the user's cache.
struct IsolatedCache {
  hc::test::TempDir dir;
  hc::test::ScopedEnv env;
  IsolatedCache() { env.set("HC_CACHE_DIR", dir.path().string()).unset("HC_VOCAB"); }
};

hc::ClipTokenizer shared_tokenizer() {
  return hc::ClipTokenizer::load(hc::test::shared_path("data/clip-tokenizer"));
}

// The fixture's files as the Hugging Face cache holds a downloaded model: blobs, a snapshot of
// symlinks into them, and refs/main naming the commit.
fs::path fake_hub_cache(const fs::path& cache, const std::string& repo_folder,
                        const fs::path& fixture, const std::vector<std::string>& files) {
  const std::string commit = "0123456789abcdef0123456789abcdef01234567";
  const fs::path repo = cache / repo_folder;
  const fs::path snapshot = repo / "snapshots" / commit;
  fs::create_directories(repo / "blobs");
  fs::create_directories(snapshot);
  hc::test::write_bytes(repo / "refs" / "main", commit);
  for (const std::string& file : files) {
    const std::string blob = hc::sha256_file(fixture / file);
    fs::copy_file(fixture / file, repo / "blobs" / blob);
    fs::create_symlink(fs::path("../../blobs") / blob, snapshot / file);
  }
  return snapshot;
}

}  // namespace

TEST_CASE("A checkpoint folder gives model, tokenizer, preprocessing and identity",
          "[model][bundle]") {
  IsolatedCache cache;
  const fs::path dir = model_fixture("tiny-quickgelu");
  const hc::ClipBundle bundle = open_cpu(dir.string());

  CHECK(bundle.model->config().text.hidden_size == 64);
  CHECK(bundle.model->dtype() == torch::kFloat);
  CHECK_FALSE(bundle.model->is_training());
  const std::string text = "a goat eating leaves on the island";
  CHECK(bundle.tokenizer.encode_with_specials(text) ==
        shared_tokenizer().encode_with_specials(text));
  // The fixture's preprocessor_config.json is the legacy form ("size": 224).
  CHECK_THAT(bundle.preprocess.name, Catch::Matchers::Contains("preprocessor_config.json"));
  CHECK(bundle.preprocess.output_height() == 224);

  const hc::ModelIdentity& id = bundle.identity;
  CHECK(id.spec == dir.string());
  CHECK(id.name == "tiny-quickgelu");
  CHECK(id.path == fs::absolute(dir).lexically_normal());
  CHECK(id.architecture.empty());
  CHECK(is_hex64(id.weights_sha256));
  CHECK(id.weights_sha256 == hc::sha256_file(dir / "model.safetensors"));
  // The identity alone, without the model.
  CHECK(hc::identify_model(dir.string()).weights_sha256 == id.weights_sha256);
}

TEST_CASE("Bundle options: a preset, a preprocessor file, a bare OpenCLIP file with its "
          "architecture",
          "[model][bundle]") {
  IsolatedCache cache;
  hc::ClipBundleOptions options;
  options.preprocess = "hgclip_legacy";
  CHECK(open_cpu(model_fixture("tiny-gelu").string(), options).preprocess.name ==
        "hgclip_legacy");
  options.preprocess = (model_fixture("tiny-gelu") / "preprocessor_config.json").string();
  CHECK(open_cpu(model_fixture("tiny-quickgelu").string(), options).preprocess.resize_rule ==
        hc::PreprocessConfig::ResizeRule::ShortestEdge);
  options.preprocess = "no-such-preset";
  hc::test::require_hc_error([&] { open_cpu(model_fixture("tiny-gelu").string(), options); },
                             {"no-such-preset", "clip_hf", "hgclip_legacy"});

  const fs::path file = model_fixture("tiny-quickgelu") / "open_clip_model.safetensors";
  hc::ClipBundleOptions openclip;
  openclip.architecture = "tiny";
  const hc::ClipBundle bundle = open_cpu(file.string(), openclip);
  CHECK(bundle.identity.name == "open_clip_model.safetensors");
  CHECK(bundle.identity.architecture == "tiny");
  CHECK(bundle.identity.weights_sha256 == hc::sha256_file(file));
}

TEST_CASE("A hub id is opened from the Hugging Face cache", "[model][bundle]") {
  IsolatedCache cache;
  hc::test::TempDir hub;
  const fs::path fixture = model_fixture("tiny-gelu");
  const fs::path snapshot =
      fake_hub_cache(hub.path(), "models--org--clip-tiny", fixture,
                     {"config.json", "model.safetensors", "vocab.json", "merges.txt",
                      "preprocessor_config.json"});
  hc::test::ScopedEnv env;
  env.set("HF_HUB_CACHE", hub.path().string());

  const hc::ClipBundle bundle = open_cpu("org/clip-tiny");
  CHECK(bundle.identity.spec == "org/clip-tiny");
  CHECK(bundle.identity.name == "org/clip-tiny");
  CHECK(bundle.identity.path == fs::absolute(snapshot).lexically_normal());
  CHECK(bundle.identity.weights_sha256 == hc::sha256_file(fixture / "model.safetensors"));
  CHECK(bundle.model->config().text.hidden_size == 96);
  CHECK(bundle.preprocess.output_width() == 224);
  CHECK(open_cpu("org/clip-tiny@main").identity.weights_sha256 ==
        bundle.identity.weights_sha256);

  hc::test::require_hc_error([] { open_cpu("org/not-downloaded"); },
                             {"org/not-downloaded", "hc fetch"});
}

TEST_CASE("A checkpoint without tokenizer files needs a vocabulary", "[model][bundle]") {
  IsolatedCache cache;
  hc::test::TempDir dir;
  const fs::path fixture = model_fixture("tiny-quickgelu");
  for (const char* file : {"config.json", "model.safetensors"}) {
    fs::create_symlink(fixture / file, dir / file);
  }
  try {
    open_cpu(dir.path().string());
    FAIL("no error without a tokenizer");
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Usage);
    CHECK_THAT(e.what(), Catch::Matchers::Contains(dir.path().string()) &&
                             Catch::Matchers::Contains("vocab.json + merges.txt") &&
                             Catch::Matchers::Contains("data/fetch.sh"));
  }

  hc::ClipBundleOptions options;
  options.vocab = hc::test::shared_path("data/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz");
  const hc::ClipBundle given = open_cpu(dir.path().string(), options);
  CHECK(given.tokenizer.encode_with_specials("hello world") ==
        shared_tokenizer().encode_with_specials("hello world"));
  // No preprocessor_config.json: CLIP's standard preprocessing.
  CHECK(given.preprocess.name == hc::PreprocessConfig::clip_default().name);

  hc::test::ScopedEnv env;
  env.set("HC_VOCAB", hc::test::shared_path("data/clip-tokenizer").string());
  CHECK(open_cpu(dir.path().string()).tokenizer.vocab_size() == 49408);
}
