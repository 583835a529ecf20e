#include <catch2/catch.hpp>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "hc/core/cli.h"
#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/version.h"
#include "test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
hc::CommonOptions options_with_output(const std::string& output) {
  hc::CommonOptions options;
  options.output = output;
  options.threads = 3;
  options.dtype = "bf16";
  return options;
}
}  // namespace

TEST_CASE("result: metadata, model, config, metrics and artefacts in order") {
  hc::test::TempDir dir;
  int steps = 50;
  hc::ConfigSchema schema;
  schema.add("retrieval.steps", steps, "radius levels");
  hc::RunResult result("hc-eval", options_with_output((dir / "r.json").string()));
  result.set_config(schema);
  result.set_model({{"path", "models/clip"}, {"name", "clip-vit-b32"}, {"sha256", "abc"}});
  result.metrics()["recall@1"] = 0.5;
  result.set_metric("pairs", 1000);
  auto j = result.to_json();

  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  REQUIRE(keys == std::vector<std::string>{"tool", "version", "git_sha", "started_at", "elapsed_s",
                                           "device", "dtype", "threads", "host", "model", "config",
                                           "metrics", "artefacts"});
  REQUIRE(j["tool"] == "hc-eval");
  REQUIRE(j["version"] == hc::version());
  REQUIRE(j["git_sha"] == hc::git_sha());
  REQUIRE(std::regex_match(j["started_at"].get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  REQUIRE(j["elapsed_s"].get<double>() >= 0);
  REQUIRE(j["device"] == "cpu");
  REQUIRE(j["dtype"] == "bf16");
  REQUIRE(j["threads"] == 3);
  REQUIRE_FALSE(j["host"].get<std::string>().empty());
  REQUIRE(j["model"]["name"] == "clip-vit-b32");
  REQUIRE(j["config"]["retrieval"]["steps"] == 50);
  REQUIRE(j["metrics"]["recall@1"] == 0.5);
  REQUIRE(j["metrics"]["pairs"] == 1000);
  REQUIRE(j["artefacts"].is_array());
  REQUIRE(j["artefacts"].empty());
}

TEST_CASE("result: --threads 0 records the thread count actually used") {
  hc::CommonOptions options;
  hc::RunResult result("t", options);
  REQUIRE(result.to_json()["threads"].get<int>() >= 1);
}

TEST_CASE("result: written atomically to --output, artefacts relative to its folder") {
  hc::test::TempDir dir;
  fs::path output = dir / "eval" / "result.json";
  hc::RunResult result("hc-eval", options_with_output(output.string()));
  REQUIRE(result.run_dir() == dir / "eval");
  fs::path ranks = result.artefact_path("ranks.jsonl");
  hc::test::write_bytes(ranks, "{}\n");
  result.add_artefact(ranks, "per-item ranks");
  result.add_artefact("/elsewhere/plot.png", "a plot");
  result.set("device", "cuda:0");
  result.set("dataset", "hierarcaps");
  REQUIRE(result.write() == output.string());
  auto j = json::parse(hc::test::read_bytes(output));
  REQUIRE(j["artefacts"][0] == json({{"path", "ranks.jsonl"}, {"description", "per-item ranks"}}));
  REQUIRE(j["artefacts"][1]["path"] == "/elsewhere/plot.png");
  REQUIRE(j["device"] == "cuda:0");
  REQUIRE(j["dataset"] == "hierarcaps");
  // Only the result and the artefact: no temporary file left beside them.
  REQUIRE(std::distance(fs::directory_iterator(dir / "eval"), fs::directory_iterator()) == 2);
}

TEST_CASE("result: '-' writes to stdout") {
  hc::RunResult result("hc-eval", options_with_output("-"));
  result.set_metric("x", 1);
  std::ostringstream captured;
  auto* old = std::cout.rdbuf(captured.rdbuf());
  std::string where = result.write();
  std::cout.rdbuf(old);
  REQUIRE(where == "-");
  REQUIRE(json::parse(captured.str())["metrics"]["x"] == 1);
}

TEST_CASE("result: the default output is runs/<tool>/<UTC timestamp>/result.json") {
  hc::test::TempDir dir;
  hc::CommonOptions options;
  hc::RunResult first("hc-eval", options, dir / "runs");
  hc::RunResult second("hc-eval", options, dir / "runs");
  fs::path written = first.write();
  REQUIRE(written.filename() == "result.json");
  REQUIRE(written.parent_path().parent_path() == dir / "runs" / "hc-eval");
  REQUIRE(std::regex_match(written.parent_path().filename().string(),
                           std::regex(R"(\d{8}T\d{6}Z(-\d+)?)")));
  // Two runs started in the same second still get a folder each.
  fs::path other = second.write();
  REQUIRE(other.parent_path() != written.parent_path());
  REQUIRE(fs::exists(written));
  REQUIRE(fs::exists(other));
}

TEST_CASE("result: non-ASCII text stays UTF-8, invalid bytes do not fail the run") {
  hc::test::TempDir dir;
  fs::path output = dir / "r.json";
  hc::RunResult result("hc-eval", options_with_output(output.string()));
  result.set_metric("caption", "un chien sur la plage — 犬");
  result.set_metric("broken", std::string("ab\xff" "cd"));
  result.write();
  std::string text = hc::test::read_bytes(output);
  REQUIRE(text.find("un chien sur la plage — 犬") != std::string::npos);
  REQUIRE(text.find("\\u") == std::string::npos);
  REQUIRE(json::parse(text)["metrics"]["broken"] == "ab\xEF\xBF\xBD" "cd");
}

TEST_CASE("result: an output that cannot be written is a runtime error") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "file", "x");
  hc::RunResult result("hc-eval", options_with_output((dir / "file" / "r.json").string()));
  try {
    result.write();
    FAIL("no error");
  } catch (const hc::Error& e) {
    REQUIRE(e.kind() == hc::Error::Kind::Runtime);
    REQUIRE_THAT(e.what(), Catch::Contains((dir / "file").string()));
  }
}
