// The contract every binary shares (docs/architecture.md, "Conventions every binary shares"),
// checked on each of them the same way: --help shows an example and the config keys,
// --version, --dump-config prints a config that loads back, an unknown key is a usage error
// naming the valid keys, a small real run with `--output -` (or, for a tool whose output is a
// data file, the result beside it) carries the shared metadata, and compute.threads is a key
// of every tool that uses threads.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "fake_hub.h"
#include "generated_hierarchies.h"
#include "hc/core/version.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::quoted;
using hc::test::shared_path;
using hc::test::TempDir;
using nlohmann::json;

// One tool as a user runs it, and a small run of it that succeeds.
struct ToolCase {
  std::string name;        // as shown in results: "hc-retrieve", "hc embed"
  std::string command;     // the binary and subcommand
  std::string key;         // one of its own config keys, which --dump-config must show
  bool threads = false;    // whether it takes compute.threads
  bool data_output = false;  // --output names a data file; the result JSON is OUT.json
  // Arguments of a small successful run, given a scratch folder and the output path.
  std::function<std::string(const TempDir&, const std::string& output)> run;
};

std::string env_prefix(const TempDir& dir) {
  return "env -u HC_VOCAB HC_CACHE_DIR=" + quoted(dir / "cache") + " ";
}

fs::path tiny_model() { return shared_path("fixtures/model/tiny-quickgelu"); }

std::vector<ToolCase> tools() {
  std::vector<ToolCase> cases;
  cases.push_back({"hc-retrieve", hc::test::binary("hc-retrieve"), "retrieval.steps", true, false,
                   [](const TempDir&, const std::string& output) {
                     const fs::path folder = shared_path("fixtures/metrics/multiref");
                     return "--embeddings " + quoted(folder / "embeddings.safetensors") +
                            " --csv " + quoted(folder / "multiref.csv") + " -o " + output;
                   }});
  cases.push_back({"hc-eval-hyperlex", hc::test::binary("hc-eval-hyperlex"), "hyperlex.pos", true,
                   false, [](const TempDir&, const std::string& output) {
                     return "--data " + quoted(shared_path("data/hyperlex/hyperlex-all.txt")) +
                            " --embeddings " +
                            quoted(shared_path("fixtures/hyperlex/word_embeddings.safetensors")) +
                            " --words " + quoted(shared_path("fixtures/hyperlex/expected.json")) +
                            " -o " + output;
                   }});
  cases.push_back({"hc-eval-breeds", hc::test::binary("hc-eval-breeds"), "lambda.count", true,
                   false, [](const TempDir& dir, const std::string& output) {
                     hc::test::run_command(hc::test::binary("hc-eval-breeds") +
                                           " --write-synthetic " + quoted(dir / "breeds"));
                     return "--model " + quoted(tiny_model()) + " --subsets " +
                            quoted(dir / "breeds" / "subsets.json") +
                            " --subset synthetic4 --per-class 2 --imagenet " +
                            quoted(dir / "breeds" / "val") + " -o " + output;
                   }});
  cases.push_back({"hc-eval-zeroshot", hc::test::binary("hc-eval-zeroshot"), "zeroshot.dataset",
                   true, false, [](const TempDir& dir, const std::string& output) {
                     hc::test::run_command(hc::test::binary("hc-eval-zeroshot") +
                                           " --dataset cifar10 --write-synthetic " +
                                           quoted(dir / "c10" / "test_batch.bin"));
                     return "--model " + quoted(tiny_model()) + " --dataset cifar10 --cifar " +
                            quoted(dir / "c10" / "test_batch.bin") + " --prompts " +
                            quoted(shared_path("data/clip-prompts/prompts.md")) + " -o " + output;
                   }});
  cases.push_back({"hc embed", hc::test::binary("hc") + " embed", "embed.texts", true, true,
                   [](const TempDir& dir, const std::string& output) {
                     hc::test::write_bytes(dir / "texts.txt", "a dog\na dog on a beach\n");
                     return "--model " + quoted(tiny_model()) + " --texts " +
                            quoted(dir / "texts.txt") + " -o " + output;
                   }});
  cases.push_back({"hc tokenize", hc::test::binary("hc") + " tokenize", "tokenize.vocab", true,
                   true, [](const TempDir& dir, const std::string& output) {
                     hc::test::write_bytes(dir / "texts.txt", "a dog\n");
                     return "--vocab " + quoted(shared_path("data/clip-tokenizer")) + " " +
                            quoted(dir / "texts.txt") + " -o " + output;
                   }});
  cases.push_back({"hc preprocess", hc::test::binary("hc") + " preprocess", "preprocess.preset",
                   true, true, [](const TempDir&, const std::string& output) {
                     return "-o " + output + " " +
                            quoted(shared_path("fixtures/preprocess/images/synthetic_tiny_50x30.png"));
                   }});
  cases.push_back({"hc init-model", hc::test::binary("hc") + " init-model", "init.architecture",
                   true, false, [](const TempDir& dir, const std::string& output) {
                     return "--arch tiny --out " + quoted(dir / "model") + " --vocab " +
                            quoted(shared_path("data/clip-tokenizer")) + " -o " + output;
                   }});
  cases.push_back({"hc-finetune", hc::test::binary("hc-finetune"), "train.batch_size", true, false,
                   [](const TempDir& dir, const std::string& output) {
                     hc::test::write_generated_hierarchies(dir / "train.csv", 4);
                     return "--model " + quoted(tiny_model()) + " --data " +
                            quoted(dir / "train.csv") + " --max-steps 1 --out " +
                            quoted(dir / "model") + " --checkpoint-dir " +
                            quoted(dir / "checkpoint") + " --set train.log_dir=" +
                            quoted(dir / "logs") + " -o " + output;
                   }});
  cases.push_back({"hgclip-train", hc::test::binary("hgclip-train"), "hgclip.n_ctx", true, false,
                   [](const TempDir& dir, const std::string& output) {
                     hc::test::run_command(hc::test::binary("hgclip-train") + " --write-shapes " +
                                           quoted(dir / "shapes") +
                                           " --set synthetic.images_per_class=4");
                     return "--model " + quoted(shared_path("fixtures/hgclip/model")) +
                            " --method zeroshot --set hierarchy.file=" +
                            quoted(dir / "shapes" / "hierarchy.txt") + " --set data.train=" +
                            quoted(dir / "shapes" / "images") +
                            " --set data.val_fraction=0.25 --set data.test_fraction=0.25 -o " +
                            output;
                   }});
  cases.push_back({"hc inspect", hc::test::binary("hc") + " inspect", "inspect.model", false,
                   false, [](const TempDir&, const std::string& output) {
                     return quoted(tiny_model()) + " -o " + output;
                   }});
  cases.push_back({"hc cache", hc::test::binary("hc") + " cache", "cache.action", false, false,
                   [](const TempDir& dir, const std::string& output) {
                     return "stats --cache-dir " + quoted(dir / "cache") + " -o " + output;
                   }});
  return cases;
}

hc::test::CommandResult run(const TempDir& dir, const ToolCase& tool, const std::string& args) {
  return hc::test::run_command(env_prefix(dir) + tool.command + " " + args);
}

// The metadata every result carries (hc/core/result.h).
void check_metadata(const json& result, const ToolCase& tool) {
  CHECK(result["tool"] == tool.name);
  CHECK(result["version"] == hc::version());
  CHECK(result["git_sha"] == hc::git_sha());
  CHECK(result["started_at"].is_string());
  CHECK(result["elapsed_s"].is_number());
  CHECK(result["host"].is_string());
  CHECK(result["config"].is_object());
  CHECK(result["metrics"].is_object());
  CHECK(result["artefacts"].is_array());
  if (tool.threads) {
    CHECK(result["threads"] == 1);  // the run below sets compute.threads=1
    CHECK(result["config"]["compute"]["threads"] == 1);
  }
}

}  // namespace

TEST_CASE("every binary: --help, --version, --dump-config, unknown keys", "[cli]") {
  for (const ToolCase& tool : tools()) {
    CAPTURE(tool.name);
    TempDir dir;
    const auto help = run(dir, tool, "--help");
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Contains("Example: ") && Contains("Config keys") &&
                             Contains(tool.key) && Contains("--config") &&
                             Contains("--dump-config") && Contains("--output"));
    if (tool.threads) CHECK_THAT(help.out, Contains("compute.threads") && Contains("--threads"));

    const auto version = run(dir, tool, "--version");
    CHECK(version.exit_code == 0);
    CHECK_THAT(version.out, Contains(std::string("hc ") + hc::version()));

    const auto dump = run(dir, tool, "--dump-config");
    CHECK(dump.exit_code == 0);
    const YAML::Node config = YAML::Load(dump.out);
    CHECK(config.IsMap());
    CHECK_THAT(dump.out, Contains(tool.key.substr(tool.key.find('.') + 1) + ":"));

    const auto unknown = run(dir, tool, "--set nosuch.key=1");
    CHECK(unknown.exit_code == 2);
    CHECK_THAT(unknown.err, Contains("unknown key 'nosuch.key'") &&
                                Contains("valid top-level keys") &&
                                Contains(tool.key.substr(0, tool.key.find('.'))));
    CHECK(unknown.err.find('\n') == unknown.err.size() - 1);  // one line
  }
}

TEST_CASE("every binary: a run writes the result JSON with the shared metadata", "[cli]") {
  for (const ToolCase& tool : tools()) {
    CAPTURE(tool.name);
    TempDir dir;
    const std::string threads = tool.threads ? " --set compute.threads=1" : "";
    if (tool.data_output) {
      const fs::path output = dir / "out" / "data.bin";
      fs::create_directories(output.parent_path());
      const auto result = run(dir, tool, tool.run(dir, quoted(output)) + threads);
      INFO(result.err);
      REQUIRE(result.exit_code == 0);
      CHECK(fs::exists(output));
      check_metadata(json::parse(hc::test::read_bytes(dir / "out" / "data.bin.json")), tool);
    } else {
      const auto result = run(dir, tool, tool.run(dir, "-") + threads);
      INFO(result.err);
      REQUIRE(result.exit_code == 0);
      check_metadata(json::parse(result.out), tool);
    }
  }
}

TEST_CASE("compute keys: --set compute.device=cpu works wherever --device does", "[cli]") {
  for (const ToolCase& tool : tools()) {
    if (tool.name != "hc-retrieve" && tool.name != "hc-eval-hyperlex" && tool.name != "hc embed" &&
        tool.name != "hc-eval-breeds") {
      continue;
    }
    CAPTURE(tool.name);
    TempDir dir;
    fs::create_directories(dir / "out");
    const std::string output =
        tool.data_output ? quoted(dir / "out" / "data.bin") : std::string("-");
    const auto flags = run(dir, tool, tool.run(dir, output) + " --device cpu --dtype fp32");
    INFO(flags.err);
    REQUIRE(flags.exit_code == 0);
    const auto keys =
        run(dir, tool, tool.run(dir, output) + " --set compute.device=cpu --set compute.dtype=bf16");
    INFO(keys.err);
    REQUIRE(keys.exit_code == 0);
    const json result = tool.data_output
                            ? json::parse(hc::test::read_bytes(dir / "out" / "data.bin.json"))
                            : json::parse(keys.out);
    CHECK(result["device"] == "cpu");
    CHECK(result["dtype"] == "bf16");
    CHECK(result["config"]["compute"]["dtype"] == "bf16");
    const auto bad = run(dir, tool, tool.run(dir, output) + " --device gpu");
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Contains("compute.device") && Contains("cpu, cuda or cuda:N"));
  }
}

TEST_CASE("hc fetch follows the same contract", "[cli]") {
  hc::test::LocalHttpServer server;
  hc::test::FakeModel model = hc::test::tiny_clip_model();
  hc::test::serve_model(server, model);
  TempDir home;
  const std::string command =
      "env -u HF_TOKEN -u HUGGING_FACE_HUB_TOKEN -u HF_TOKEN_PATH -u HF_HUB_OFFLINE "
      "-u HUGGINGFACE_HUB_CACHE no_proxy='*' NO_PROXY='*' HF_ENDPOINT=" + server.url() +
      " HF_HOME=" + quoted(home.path()) + " HF_HUB_CACHE=" + quoted(home / "hub") + " " +
      hc::test::binary("hc") + " fetch ";
  const auto help = hc::test::run_command(command + "--help");
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Contains("Example: hc fetch") && Contains("fetch.model"));
  CHECK(hc::test::run_command(command + "--version").exit_code == 0);
  CHECK(hc::test::run_command(command + "--dump-config").exit_code == 0);
  const auto unknown = hc::test::run_command(command + "org/clip-tiny --set nosuch.key=1");
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Contains("valid top-level keys: fetch"));
  const auto fetched = hc::test::run_command(command + "org/clip-tiny --output -");
  INFO(fetched.err);
  REQUIRE(fetched.exit_code == 0);
  const json result = json::parse(fetched.out);
  CHECK(result["tool"] == "hc fetch");
  CHECK(result["version"] == hc::version());
  CHECK(result["commit"] == model.commit);
  CHECK(result["config"]["fetch"]["model"] == "org/clip-tiny");
}
