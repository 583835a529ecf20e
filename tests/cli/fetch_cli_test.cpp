#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "fake_hub.h"
#include "test_support.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

// `hc fetch ARGS` with the hub at the local server, the cache in a temp folder and nothing of
// the machine's own Hugging Face settings.
struct FetchCli {
  hc::test::LocalHttpServer server;
  hc::test::TempDir home;
  hc::test::FakeModel model = hc::test::tiny_clip_model();

  FetchCli() { hc::test::serve_model(server, model); }

  fs::path cache() const { return home / "hub"; }

  hc::test::CommandResult run(const std::string& args) const { return run_at(server.url(), args); }

  hc::test::CommandResult run_at(const std::string& endpoint, const std::string& args) const {
    std::string command =
        "env -u HF_TOKEN -u HUGGING_FACE_HUB_TOKEN -u HF_TOKEN_PATH -u HF_HUB_OFFLINE "
        "-u HUGGINGFACE_HUB_CACHE no_proxy='*' NO_PROXY='*' HF_ENDPOINT=" + endpoint +
        " HF_HOME=" + home.path().string() + " HF_HUB_CACHE=" + cache().string() + " " +
        hc::test::binary("hc") + " fetch " + args;
    return hc::test::run_command(command);
  }
};

}  // namespace

TEST_CASE_METHOD(FetchCli, "hc fetch downloads into the cache and prints the snapshot folder") {
  hc::test::CommandResult result = run("org/clip-tiny");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  fs::path snapshot = cache() / "models--org--clip-tiny" / "snapshots" / model.commit;
  REQUIRE(result.out == snapshot.string() + "\n");
  REQUIRE(hc::test::read_bytes(snapshot / "model.safetensors") == model.files.at("model.safetensors"));
  REQUIRE(hc::test::read_bytes(cache() / "models--org--clip-tiny" / "refs" / "main") == model.commit);

  server.clear_requests();
  result = run("org/clip-tiny --output -");
  REQUIRE(result.exit_code == 0);
  auto summary = nlohmann::json::parse(result.out);
  REQUIRE(summary["commit"] == model.commit);
  REQUIRE(summary["metrics"]["bytes_downloaded"] == 0);
  REQUIRE(summary["absent"] == nlohmann::json::array({"special_tokens_map.json"}));
  REQUIRE(server.requests().size() == 1);
}

TEST_CASE_METHOD(FetchCli, "hc fetch --files takes a comma-separated list") {
  hc::test::CommandResult result = run("org/clip-tiny@main --files config.json,vocab.json");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  fs::path snapshot = cache() / "models--org--clip-tiny" / "snapshots" / model.commit;
  REQUIRE(fs::exists(snapshot / "vocab.json"));
  REQUIRE_FALSE(fs::exists(snapshot / "merges.txt"));
}

TEST_CASE_METHOD(FetchCli, "hc fetch fails with exit code 1 and one line on a 404") {
  hc::test::CommandResult result = run("org/missing");
  REQUIRE(result.exit_code == 1);
  REQUIRE(result.out.empty());
  REQUIRE_THAT(result.err, Contains("no model 'org/missing' on " + server.url() + " (404"));

  result = run("org/clip-tiny --files nope.bin");
  REQUIRE(result.exit_code == 1);
  REQUIRE_THAT(result.err, Contains("has no file 'nope.bin'"));
}

TEST_CASE_METHOD(FetchCli, "hc fetch reports an unreachable hub as offline") {
  std::string port = std::to_string(hc::test::unused_local_port());
  hc::test::CommandResult result = run_at("http://127.0.0.1:" + port, "org/clip-tiny");
  REQUIRE(result.exit_code == 1);
  REQUIRE_THAT(result.err, Contains("cannot reach the hub at http://127.0.0.1:" + port));
  REQUIRE_THAT(result.err, Contains("offline?"));
}

TEST_CASE_METHOD(FetchCli, "hc fetch rejects malformed ids and clashing revisions with exit code 2") {
  REQUIRE(run("'org/na me'").exit_code == 2);
  hc::test::CommandResult result = run("org/clip-tiny@v1 --revision v2");
  REQUIRE(result.exit_code == 2);
  REQUIRE_THAT(result.err, Contains("different revisions"));
  REQUIRE(run("").exit_code == 2);
  REQUIRE(server.requests().empty());
}
