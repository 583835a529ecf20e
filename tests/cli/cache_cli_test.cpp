// The embedding cache end to end through the real binaries: a run of `hc embed` killed while
// embedding resumes from the cache without recomputing what it had done, and `hc cache
// stats|prune|clear` report and remove what the runs left.
#include "catch_torch.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/embed/cache_admin.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "test_support.h"

extern char** environ;

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::quoted;
using hc::test::shared_path;
using hc::test::TempDir;

fs::path fixture_model() { return shared_path("fixtures/model/tiny-quickgelu"); }

std::string hc_command(const fs::path& cache, const std::string& arguments) {
  return "env HC_CACHE_DIR=" + quoted(cache) + " " + hc::test::binary("hc") + " " + arguments;
}

// Starts a shell command line without waiting; the pid is that of the command itself (exec).
pid_t start(const std::string& command_line) {
  const std::string script = "exec " + command_line;
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
  pid_t pid = -1;
  REQUIRE(::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
  return pid;
}

at::Tensor read_tensor(const fs::path& file, const std::string& name) {
  auto opened = hc::SafetensorsFile::open(file);
  return hc::to_tensor(opened->get(name), at::kCPU);
}

nlohmann::json read_json(const fs::path& file) {
  return nlohmann::json::parse(hc::test::read_bytes(file));
}

}  // namespace

TEST_CASE("hc embed killed while embedding resumes from the cache", "[cli][cache]") {
  TempDir dir;
  const fs::path cache = dir / "cache";
  const fs::path embeddings = cache / "embeddings";
  // Enough distinct texts, one per forward pass, for the run to be caught half-way.
  const int total = 4000;
  std::string lines;
  for (int i = 0; i < total; ++i) lines += "a photo of thing number " + std::to_string(i) + "\n";
  hc::test::write_bytes(dir / "texts.txt", lines);
  const std::string embed = "embed --threads 2 --batch-size 1 --model " + quoted(fixture_model()) +
                            " --texts " + quoted(dir / "texts.txt");

  const pid_t run = start(hc_command(cache, embed + " -o " + quoted(dir / "killed.safetensors")) +
                          " 2>" + quoted(dir / "killed.log"));
  // Kill it as soon as the cache holds some records (polling, not timing).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  int64_t seen = 0;
  int status = 0;
  bool exited = false;
  while (seen < 20 && std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(run, &status, WNOHANG) == run) {
      exited = true;
      break;
    }
    seen = hc::cache_stats(embeddings).records;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  INFO(hc::test::read_bytes(dir / "killed.log"));
  REQUIRE_FALSE(exited);  // it must still be embedding: more texts needed on a faster machine
  REQUIRE(seen >= 20);
  REQUIRE(::kill(run, SIGKILL) == 0);
  REQUIRE(::waitpid(run, &status, 0) == run);
  REQUIRE(WIFSIGNALED(status));
  CHECK_FALSE(fs::exists(dir / "killed.safetensors"));

  const hc::CacheStats left = hc::cache_stats(embeddings);
  REQUIRE(left.keys.size() == 1);
  CHECK(left.keys[0].live_shards == 1);  // its shard never got its final name
  const int64_t done = left.records;
  REQUIRE(done >= seen);
  REQUIRE(done < total);

  // The re-run computes only the rest.
  const auto resumed = hc::test::run_command(
      hc_command(cache, embed + " -o " + quoted(dir / "resumed.safetensors")));
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  const auto stats = read_json(dir / "resumed.json")["embedding"];
  CHECK(stats["texts_from_cache"] == done);
  CHECK(stats["texts_computed"] == total - done);
  CHECK(stats["text_forward_calls"] == total - done);

  // The same embeddings as a run without the cache.
  const auto uncached = hc::test::run_command(
      hc_command(cache, embed + " --no-cache -o " + quoted(dir / "uncached.safetensors")));
  REQUIRE(uncached.exit_code == 0);
  CHECK(torch::equal(read_tensor(dir / "resumed.safetensors", "text_embeds"),
                     read_tensor(dir / "uncached.safetensors", "text_embeds")));

  // A third run computes nothing.
  REQUIRE(
      hc::test::run_command(hc_command(cache, embed + " -o " + quoted(dir / "third.safetensors")))
          .exit_code == 0);
  CHECK(read_json(dir / "third.json")["embedding"]["texts_computed"] == 0);
}

TEST_CASE("hc cache stats, prune and clear", "[cli][cache]") {
  TempDir dir;
  const fs::path cache = dir / "cache";
  hc::test::write_bytes(dir / "texts.txt", "a dog\na cat\na bird\n");
  const std::string embed = "embed --threads 2 --model " + quoted(fixture_model()) + " --texts " +
                            quoted(dir / "texts.txt");
  for (const char* name : {"one", "two"}) {
    const auto result = hc::test::run_command(
        hc_command(cache, embed + " -o " + quoted(dir / (std::string(name) + ".safetensors"))));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
  }
  const std::string sha = read_json(dir / "one.json")["model"]["sha256"];

  auto stats = hc::test::run_command(hc_command(cache, "cache stats --json"));
  INFO(stats.err);
  REQUIRE(stats.exit_code == 0);
  auto json = nlohmann::json::parse(stats.out);
  CHECK(json["keys"] == 1);
  CHECK(json["records"] == 3);
  CHECK(json["models"][0]["weights_sha256"] == sha);
  CHECK(json["models"][0]["label"] == "tiny-quickgelu");
  CHECK(json["keys_detail"][0]["device"] == "cpu");

  const auto text = hc::test::run_command(hc_command(cache, "cache stats"));
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Contains("1 keys, 3 records") && Contains("tiny-quickgelu"));

  // --cache-dir names another folder: empty.
  const auto elsewhere = hc::test::run_command(
      hc_command(cache, "cache stats --json --cache-dir " + quoted(dir / "nothing")));
  REQUIRE(elsewhere.exit_code == 0);
  CHECK(nlohmann::json::parse(elsewhere.out)["keys"] == 0);

  // prune: recently used keys stay whatever the cap; the report goes to --output.
  const auto prune =
      hc::test::run_command(hc_command(cache, "cache prune --max-size 1 --output -"));
  INFO(prune.err);
  REQUIRE(prune.exit_code == 0);
  CHECK(nlohmann::json::parse(prune.out)["keys_removed"] == 0);
  CHECK(nlohmann::json::parse(prune.out)["over_cap"] == true);

  CHECK(
      hc::test::run_command(hc_command(cache, "cache clear --model-sha256 " + std::string(64, '0')))
          .exit_code == 0);
  CHECK(hc::cache_stats(cache / "embeddings").keys.size() == 1);
  const auto clear =
      hc::test::run_command(hc_command(cache, "cache clear --model-sha256 " + sha + " --output -"));
  REQUIRE(clear.exit_code == 0);
  CHECK(nlohmann::json::parse(clear.out)["keys_removed"] == 1);
  CHECK(hc::cache_stats(cache / "embeddings").keys.empty());

  // Usage errors: exit 2 naming the option.
  const auto bad_size = hc::test::run_command(hc_command(cache, "cache prune --max-size 20X"));
  CHECK(bad_size.exit_code == 2);
  CHECK_THAT(bad_size.err, Contains("--max-size"));
  const auto bad_sha = hc::test::run_command(hc_command(cache, "cache clear --model-sha256 xyz"));
  CHECK(bad_sha.exit_code == 2);
  CHECK_THAT(bad_sha.err, Contains("--model-sha256"));
  CHECK(hc::test::run_command(hc_command(cache, "cache")).exit_code == 2);
  CHECK(hc::test::run_command(hc_command(cache, "cache prune --older-than -3")).exit_code == 2);
}
