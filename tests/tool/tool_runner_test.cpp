// The tool runner in process: what a tool's run function receives (the resolved compute
// section, the output), where the result goes for each output kind, and how failures end (exit
// codes, torch errors cut to one line, no data file without its result).
#include "catch_torch.h"

#include <fcntl.h>
#include <unistd.h>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "hc/core/atomic_file.h"
#include "hc/core/compute_options.h"
#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/tool.h"
#include "hc/tool/tool_runner.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using nlohmann::json;

// A tool whose run function is given by the test.
struct ProbeOptions {
  int steps = 3;
  void declare(hc::ConfigSchema& schema) {
    schema.add("probe.steps", steps, "steps").check_positive().flag("--steps");
  }
};

std::function<void(const ProbeOptions&, hc::RunContext&, hc::RunResult&)> g_body;

void run_probe(const ProbeOptions& options, hc::RunContext& context, hc::RunResult& result) {
  g_body(options, context, result);
}

// Runs the probe tool on args with stderr captured; returns the exit code.
struct Outcome {
  int exit_code;
  std::string err;
};

Outcome run(hc::ToolInfo info, std::vector<std::string> args) {
  args.insert(args.begin(), "probe");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  hc::test::TempDir dir;
  std::fflush(stderr);
  const int saved = ::dup(2);
  const int file = ::open((dir / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(file, 2);
  const int code = hc::run_tool(hc::make_tool(info, run_probe), static_cast<int>(argv.size()),
                                argv.data());
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(file);
  return {code, hc::test::read_bytes(dir / "err")};
}

hc::ToolInfo model_tool() {
  hc::ToolInfo info("probe", "a probe", {"probe --steps 2"});
  info.compute = hc::ToolCompute::Model;
  return info;
}

}  // namespace

TEST_CASE("tool runner: the run receives the resolved compute section", "[tool]") {
  hc::test::TempDir dir;
  hc::ComputeOptions seen;
  int torch_threads = 0;
  g_body = [&](const ProbeOptions&, hc::RunContext& context, hc::RunResult&) {
    seen = context.compute;
    torch_threads = at::get_num_threads();
  };
  const std::string out = (dir / "r.json").string();
  REQUIRE(run(model_tool(), {"--device", "cpu", "--threads", "1", "-o", out}).exit_code == 0);
  CHECK(seen.device == "cpu");
  CHECK(seen.dtype == "fp32");
  CHECK(seen.threads == 1);
  CHECK(torch_threads == 1);
  auto result = json::parse(hc::test::read_bytes(out));
  CHECK(result["threads"] == 1);
  CHECK(result["config"]["compute"]["threads"] == 1);

  // 0 (the default) means every core, for torch too.
  REQUIRE(run(model_tool(), {"--set", "compute.threads=0", "--set", "compute.dtype=bf16", "-o",
                             out})
              .exit_code == 0);
  CHECK(seen.threads == hc::hardware_threads());
  CHECK(torch_threads == hc::hardware_threads());
  CHECK(seen.dtype == "bf16");
  result = json::parse(hc::test::read_bytes(out));
  CHECK(result["threads"] == hc::hardware_threads());
  CHECK(result["dtype"] == "bf16");
}

TEST_CASE("tool runner: bad compute values are usage errors naming the key", "[tool]") {
  g_body = [](const ProbeOptions&, hc::RunContext&, hc::RunResult&) { FAIL("must not run"); };
  auto outcome = run(model_tool(), {"--device", "tpu"});
  CHECK(outcome.exit_code == 2);
  CHECK_THAT(outcome.err, Contains("compute.device") && Contains("cpu, cuda or cuda:N"));
  outcome = run(model_tool(), {"--set", "compute.threads=-1"});
  CHECK(outcome.exit_code == 2);
  CHECK_THAT(outcome.err, Contains("compute.threads"));
  hc::ToolInfo plain("probe", "a probe", {"probe"});
  outcome = run(plain, {"--threads", "2"});  // a tool without the compute section
  CHECK(outcome.exit_code == 2);
}

TEST_CASE("tool runner: a torch error reaches the user as one line", "[tool]") {
  hc::test::TempDir dir;
  SECTION("a c10::Error, whose what() carries a C++ backtrace") {
    g_body = [](const ProbeOptions&, hc::RunContext&, hc::RunResult&) {
      TORCH_CHECK(false, "probe failure: expected 3 rows, got 2");
    };
    const auto outcome = run(model_tool(), {"-o", (dir / "r.json").string()});
    CHECK(outcome.exit_code == 1);
    CHECK_THAT(outcome.err, Contains("torch: probe failure: expected 3 rows, got 2"));
    CHECK(std::count(outcome.err.begin(), outcome.err.end(), '\n') == 1);
  }
  SECTION("an operator's shape error") {
    g_body = [](const ProbeOptions&, hc::RunContext&, hc::RunResult&) {
      at::ones({2, 3}).view({7});
    };
    const auto outcome = run(model_tool(), {"-o", (dir / "r.json").string()});
    CHECK(outcome.exit_code == 1);
    CHECK_THAT(outcome.err, Contains("shape '[7]' is invalid for input of size 6"));
    CHECK(std::count(outcome.err.begin(), outcome.err.end(), '\n') == 1);
  }
  CHECK_FALSE(fs::exists(dir / "r.json"));  // a failed run writes no result
}

TEST_CASE("tool runner: a data tool's result goes beside its output, never without it", "[tool]") {
  hc::test::TempDir dir;
  hc::ToolInfo info("probe", "a probe", {"probe -o data.bin"});
  info.output = hc::ToolOutput::Data;
  g_body = [](const ProbeOptions& options, hc::RunContext& context, hc::RunResult& result) {
    hc::write_file_atomically(context.output, "data");
    result.metrics()["steps"] = options.steps;
  };
  const fs::path data = dir / "data.bin";
  REQUIRE(run(info, {"--steps", "5", "-o", data.string()}).exit_code == 0);
  CHECK(hc::test::read_bytes(data) == "data");
  CHECK(json::parse(hc::test::read_bytes(dir / "data.bin.json"))["metrics"]["steps"] == 5);

  // The result cannot be written (its name is taken by a folder): the data goes too.
  fs::remove(data);
  fs::remove(dir / "data.bin.json");
  fs::create_directories(dir / "data.bin.json" / "x");
  const auto outcome = run(info, {"-o", data.string()});
  CHECK(outcome.exit_code == 1);
  CHECK_FALSE(fs::exists(data));
}

TEST_CASE("tool runner: --dump-config prints the config and runs nothing", "[tool]") {
  bool ran = false;
  g_body = [&](const ProbeOptions&, hc::RunContext&, hc::RunResult&) { ran = true; };
  hc::test::TempDir dir;
  const fs::path config = dir / "c.yaml";
  hc::test::write_bytes(config, "probe:\n  steps: 9\n");
  REQUIRE(run(model_tool(), {"--config", config.string(), "--dump-config"}).exit_code == 0);
  CHECK_FALSE(ran);
}
