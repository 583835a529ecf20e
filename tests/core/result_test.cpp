#include <catch2/catch.hpp>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hc/core/compute_options.h"
#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/version.h"
#include "test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
// A result as a tool that ran in bf16 on 3 threads makes it.
hc::RunResult result_with_output(const std::string& tool, const std::string& output) {
  hc::RunResult result(tool, output);
  hc::ComputeOptions compute;
  compute.threads = 3;
  compute.dtype = "bf16";
  result.set_compute(compute);
  return result;
}
}  // namespace

TEST_CASE("result: metadata, model, config, metrics and artefacts in order") {
  hc::test::TempDir dir;
  int steps = 50;
  hc::ConfigSchema schema;
  schema.add("retrieval.steps", steps, "radius levels");
  hc::RunResult result = result_with_output("hc-eval", (dir / "r.json").string());
  result.set_config(schema);
  result.set_model({{"path", "models/clip"}, {"name", "clip-vit-b32"}, {"sha256", "abc"}});
  result.metrics()["recall@1"] = 0.5;
  result.set_metric("pairs", 1000);
  auto j = result.to_json();

  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  REQUIRE(keys == std::vector<std::string>{"tool", "version", "git_sha", "started_at", "elapsed_s",
                                           "cpu_s", "peak_rss_mib", "device", "dtype", "threads", "host", "model", "config",
                                           "metrics", "artefacts"});
  REQUIRE(j["tool"] == "hc-eval");
  REQUIRE(j["version"] == hc::version());
  REQUIRE(j["git_sha"] == hc::git_sha());
  REQUIRE(std::regex_match(j["started_at"].get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  REQUIRE(j["elapsed_s"].get<double>() >= 0);
  REQUIRE(j["cpu_s"].get<double>() > 0);
  REQUIRE(j["peak_rss_mib"].get<double>() > 0);
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

TEST_CASE("result: compute.threads 0 records every hardware thread, a tool without compute null") {
  hc::RunResult result("t");
  hc::ComputeOptions compute;  // threads 0: all cores
  result.set_compute(compute);
  const auto j = result.to_json();
  REQUIRE(j["threads"].get<int>() ==
          static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  REQUIRE(j["device"] == "cpu");
  REQUIRE(j["dtype"] == "fp32");

  hc::RunResult plain("u");
  const auto k = plain.to_json();
  REQUIRE(k["device"].is_null());
  REQUIRE(k["dtype"].is_null());
  REQUIRE(k["threads"].is_null());
  plain.set_threads(2);
  REQUIRE(plain.to_json()["threads"] == 2);
}

TEST_CASE("result: stage times are written as timing, after the tool's own fields") {
  hc::RunResult result("t");
  result.set("dataset", "d");
  REQUIRE_FALSE(result.to_json().contains("timing"));  // no stage recorded: no timing
  result.timer().done("load_data");
  result.timer().add("embed", 2.5);
  result.timer().add("embed", 0.5);
  const auto j = result.to_json();
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  REQUIRE(keys.back() == "timing");
  REQUIRE(keys[keys.size() - 2] == "dataset");
  REQUIRE(j["timing"]["embed_s"] == 3.0);
  REQUIRE(j["timing"].contains("load_data_s"));
  REQUIRE(j["timing"]["total_s"].get<double>() >= j["timing"]["load_data_s"].get<double>());
}

TEST_CASE("result: a discarded result writes nothing") {
  hc::test::TempDir dir;
  hc::RunResult result("t", (dir / "r.json").string());
  result.discard();
  REQUIRE(result.write().empty());
  REQUIRE_FALSE(fs::exists(dir / "r.json"));
}

TEST_CASE("result: written atomically to --output, artefacts relative to its folder") {
  hc::test::TempDir dir;
  fs::path output = dir / "eval" / "result.json";
  hc::RunResult result = result_with_output("hc-eval", output.string());
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
  hc::RunResult result = result_with_output("hc-eval", "-");
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
  hc::RunResult first("hc-eval", "", dir / "runs");
  hc::RunResult second("hc-eval", "", dir / "runs");
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
  hc::RunResult result = result_with_output("hc-eval", output.string());
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
  hc::RunResult result = result_with_output("hc-eval", (dir / "file" / "r.json").string());
  try {
    result.write();
    FAIL("no error");
  } catch (const hc::Error& e) {
    REQUIRE(e.kind() == hc::Error::Kind::Runtime);
    REQUIRE_THAT(e.what(), Catch::Contains((dir / "file").string()));
  }
}
