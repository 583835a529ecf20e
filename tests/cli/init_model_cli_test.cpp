// `hc init-model` and `hc inspect` end to end: a random checkpoint that loads and tokenizes like
// the real files, usage errors, and inspection of generated, fixture and broken checkpoints.
#include "catch_torch.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "hc/core/sha256.h"
#include "hc/model/clip_weights.h"
#include "hc/text/clip_tokenizer.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

using hc::test::quoted;

fs::path openai_vocab() {
  return hc::test::shared_path("data/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz");
}

// Runs `hc ARGS` with fingerprints cached under cache and no HC_VOCAB.
hc::test::CommandResult hc_run(const fs::path& cache, const std::string& arguments) {
  return hc::test::run_command("env -u HC_VOCAB HC_CACHE_DIR=" + quoted(cache) + " " +
                               hc::test::binary("hc") + " " + arguments);
}

int64_t parameter_count(const fs::path& checkpoint) {
  int64_t count = 0;
  for (const auto& p : hc::load_clip(checkpoint, torch::kCPU, torch::kFloat)->parameters()) {
    count += p.numel();
  }
  return count;
}

std::vector<std::string> fixture_texts() {
  auto texts = nlohmann::json::parse(
      hc::test::read_bytes(hc::test::shared_path("fixtures/model/tiny-quickgelu/texts.json")));
  return texts.at("texts").get<std::vector<std::string>>();
}

nlohmann::json inspect_json(const fs::path& cache, const std::string& target) {
  const auto result = hc_run(cache, "inspect --json " + target);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.out);
}

}  // namespace

TEST_CASE("hc init-model tiny: a complete, loadable checkpoint that tokenizes like CLIP's files",
          "[cli][init-model]") {
  hc::test::TempDir dir;
  const fs::path out = dir / "tiny-random";
  const auto result = hc_run(dir / "cache", "init-model --arch tiny --seed 7 --out " +
                                                quoted(out) + " --vocab " + quoted(openai_vocab()));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out == out.string() + "\n");
  for (const char* file : {"config.json", "model.safetensors", "vocab.json", "merges.txt",
                           "preprocessor_config.json", "tokenizer_config.json",
                           "special_tokens_map.json"}) {
    CHECK(fs::is_regular_file(out / file));
  }
  // No temporary folder is left beside it.
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    CHECK_THAT(entry.path().filename().string(), !Contains(".tmp"));
  }

  // Written from the OpenAI merges, the files equal Hugging Face's byte for byte.
  const fs::path hf = hc::test::shared_path("data/clip-tokenizer");
  CHECK(hc::sha256_file(out / "vocab.json") == hc::sha256_file(hf / "vocab.json"));
  CHECK(hc::sha256_file(out / "merges.txt") == hc::sha256_file(hf / "merges.txt"));
  const auto written = hc::ClipTokenizer::load(out);
  const auto reference = hc::ClipTokenizer::load(hf);
  for (const std::string& text : fixture_texts()) {
    CHECK(written.encode_with_specials(text) == reference.encode_with_specials(text));
  }

  auto preprocessor = nlohmann::json::parse(hc::test::read_bytes(out / "preprocessor_config.json"));
  CHECK(preprocessor["size"] == nlohmann::json{{"shortest_edge", 224}});
  CHECK(preprocessor["crop_size"] == nlohmann::json{{"height", 224}, {"width", 224}});
  CHECK(preprocessor["image_processor_type"] == "CLIPImageProcessor");

  const int64_t parameters = parameter_count(out);
  const auto inspected = inspect_json(dir / "cache", quoted(out));
  CHECK(inspected["parameters"]["total"] == parameters);
  CHECK(inspected["naming"] == "Hugging Face");
  CHECK(inspected["dtypes"]["F32"]["elements"] == parameters);
  CHECK(inspected["weights_sha256"] == hc::sha256_file(out / "model.safetensors"));
  CHECK(inspected["tokenizer"] == true);
  CHECK(inspected["preprocessor"] == true);
  CHECK(inspected["architecture"]["vision"]["patch_size"] == 32);

  // The same seed gives the same weights; bf16 storage; a vocabulary folder is copied.
  const fs::path again = dir / "again";
  const auto second =
      hc_run(dir / "cache", "init-model --arch tiny --seed 7 --dtype bf16 --out " + quoted(again) +
                                " --vocab " + quoted(hf) + " -o -");
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  const auto summary = nlohmann::json::parse(second.out);
  CHECK(summary["parameters"] == parameters);
  CHECK(summary["dtype"] == "bf16");
  CHECK(summary["weights_sha256"] == hc::sha256_file(again / "model.safetensors"));
  CHECK(hc::test::read_bytes(again / "merges.txt") == hc::test::read_bytes(hf / "merges.txt"));
  const auto bf16 = inspect_json(dir / "cache", quoted(again));
  CHECK(bf16["dtypes"]["BF16"]["elements"] == parameters);
  auto a = hc::load_clip(out, torch::kCPU, torch::kFloat);
  auto b = hc::load_clip(again, torch::kCPU, torch::kFloat);
  CHECK(torch::equal(a->text_projection.to(torch::kBFloat16), b->text_projection.to(torch::kBFloat16)));
}

TEST_CASE("hc init-model: usage errors exit 2 and create nothing", "[cli][init-model]") {
  hc::test::TempDir dir;
  const fs::path out = dir / "model";
  auto result = hc_run(dir / "cache", "init-model --arch tiny --out " + quoted(out));
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("vocab") && Contains("data/fetch.sh") && Contains("HC_VOCAB"));
  CHECK_FALSE(fs::exists(out));

  result = hc_run(dir / "cache", "init-model --arch ViT-Z-99 --out " + quoted(out) + " --vocab " +
                                     quoted(openai_vocab()));
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("ViT-Z-99") && Contains("ViT-B-32"));

  fs::create_directories(out);
  result = hc_run(dir / "cache",
                  "init-model --arch tiny --out " + quoted(out) + " --vocab " + quoted(openai_vocab()));
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("already exists"));

  // $HC_VOCAB stands in for --vocab.
  result = hc::test::run_command("HC_VOCAB=" + quoted(openai_vocab()) + " HC_CACHE_DIR=" +
                                 quoted(dir / "cache") + " " + hc::test::binary("hc") +
                                 " init-model --arch tiny --force --out " + quoted(out));
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(fs::is_regular_file(out / "model.safetensors"));
}

TEST_CASE("hc inspect on a fixture checkpoint: counts, dtypes, files, text form", "[cli][inspect]") {
  hc::test::TempDir dir;
  const fs::path fixture = hc::test::shared_path("fixtures/model/tiny-quickgelu");
  const auto json = inspect_json(dir / "cache", quoted(fixture));
  CHECK(json["parameters"]["total"] == parameter_count(fixture));
  CHECK(json["parameters"]["other"] == 1);  // logit_scale
  CHECK(json["buffers"] == 2);              // the position_ids of both towers
  CHECK(json["dtypes"]["I64"]["tensors"] == 2);
  CHECK(json["dtypes"]["F16"]["elements"] == json["parameters"]["total"]);
  CHECK(json["files"].size() == 1);
  CHECK(json["files"][0]["bytes"] == fs::file_size(fixture / "model.safetensors"));
  CHECK(json["weights_sha256"] == hc::sha256_file(fixture / "model.safetensors"));
  CHECK(json["architecture"]["text"]["activation"] == "quick_gelu");
  CHECK(json["config_source"] == "config.json");

  // The OpenCLIP file of the same model has the same parameters per tower.
  const auto openclip = inspect_json(
      dir / "cache", quoted(fixture / "open_clip_model.safetensors"));
  CHECK(openclip["naming"] == "OpenCLIP");
  CHECK(openclip["parameters"] == json["parameters"]);

  const auto text = hc_run(dir / "cache", "inspect " + quoted(fixture));
  INFO(text.err);
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Contains("Hugging Face") && Contains("parameters") &&
                           Contains("model.safetensors") && Contains("F16") &&
                           Contains(json["weights_sha256"].get<std::string>()));

  const auto written = hc_run(dir / "cache", "inspect -o " + quoted(dir / "inspect.json") + " " +
                                                 quoted(fixture));
  REQUIRE(written.exit_code == 0);
  // The same result as --json, but for the run's own metadata (times, config as given).
  auto file = nlohmann::json::parse(hc::test::read_bytes(dir / "inspect.json"));
  auto printed = json;
  for (const char* run_field : {"started_at", "elapsed_s", "cpu_s", "peak_rss_mib", "config"}) {
    file.erase(run_field);
    printed.erase(run_field);
  }
  CHECK(file == printed);
  CHECK(file["tool"] == "hc inspect");
}

TEST_CASE("hc inspect on a truncated weights file exits 1 naming it", "[cli][inspect]") {
  hc::test::TempDir dir;
  const fs::path fixture = hc::test::shared_path("fixtures/model/tiny-quickgelu");
  fs::create_directories(dir / "broken");
  fs::copy_file(fixture / "config.json", dir / "broken" / "config.json");
  const std::string weights = hc::test::read_bytes(fixture / "model.safetensors");
  hc::test::write_bytes(dir / "broken" / "model.safetensors", weights.substr(0, weights.size() / 2));
  const auto result = hc_run(dir / "cache", "inspect " + quoted(dir / "broken"));
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Contains("model.safetensors"));

  const auto missing = hc_run(dir / "cache", "inspect " + quoted(dir / "nothing-here"));
  CHECK(missing.exit_code != 0);
  CHECK_THAT(missing.err, Contains("nothing-here"));
}
