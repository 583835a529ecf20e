#pragma once
// The JSON result every tool writes: run metadata, the model, the resolved config, metrics,
// artefacts and timing, in this order:
//   {tool, version, git_sha, started_at, elapsed_s, device, dtype, threads, host,
//    model:{...}, config:{...}, metrics:{...}, artefacts:[...], <tool's own fields>, timing:{...}}
// It goes to the output given (`-` = stdout) or, by default, to
// runs/<tool>/<UTC timestamp>/result.json, always through a temporary file renamed into place.
// device and dtype are null for a tool that runs no model, threads for one that uses none.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "hc/core/stage_timer.h"

namespace hc {

class ConfigSchema;
struct ComputeOptions;

class RunResult {
 public:
  // Starts the clock. output: where write() puts the result ("" = the default under
  // runs_root/<tool>/, "-" = stdout).
  explicit RunResult(std::string tool, std::string output = "",
                     std::filesystem::path runs_root = "runs");

  // The compute settings the run used (resolved: "cuda:0", threads >= 1), for the metadata.
  void set_compute(const ComputeOptions& compute);
  // A tool that runs no model but uses worker threads.
  void set_threads(int threads);

  void set_config(const ConfigSchema& schema);
  void set_config(nlohmann::json config);
  // {path, name, sha256 of the weights, ...}
  void set_model(nlohmann::json model);
  // metrics()["recall@1"] = 0.42;
  nlohmann::json& metrics() { return metrics_; }
  void set_metric(const std::string& name, nlohmann::json value);
  // A file the run wrote (relative to the run folder when inside it) and what it holds.
  void add_artefact(const std::filesystem::path& path, const std::string& description);
  // Any other top-level field (written after the metadata, in the order first set), or a
  // replacement for a metadata one.
  void set(const std::string& key, nlohmann::ordered_json value);

  // The folder of this run: that of --output when it names a file, otherwise a fresh
  // runs/<tool>/<timestamp>[-N]/ created on first use (so parallel runs never share one).
  const std::filesystem::path& run_dir();
  // run_dir()/name, for artefacts written beside the result.
  std::filesystem::path artefact_path(const std::string& name);

  // Per-stage wall times, written as "timing" (StageTimer::to_json) when a stage was recorded.
  StageTimer& timer() { return timer_; }

  double elapsed_s() const;
  const std::string& started_at() const { return started_at_; }
  const std::string& tool() const { return tool_; }
  const std::string& output() const { return output_; }
  // Where write() will put the result ("" = the default, "-" = stdout).
  void set_output(std::string output) { output_ = std::move(output); }
  // The run has nothing to record (e.g. a utility printing text): write() does nothing.
  void discard() { discarded_ = true; }
  bool discarded() const { return discarded_; }

  // The result as it will be written (elapsed_s measured now).
  nlohmann::ordered_json to_json() const;
  // Writes the result; returns where it went ("-" for stdout, else the file; "" if discarded).
  std::string write();

 private:
  std::string tool_;
  std::string output_;
  nlohmann::json device_;   // null: no model
  nlohmann::json dtype_;
  nlohmann::json threads_;  // null: no threads
  bool discarded_ = false;
  StageTimer timer_;
  std::filesystem::path runs_root_;
  std::string started_at_;   // ISO 8601 UTC
  std::string folder_stamp_; // the same instant as a folder name
  std::chrono::steady_clock::time_point start_;
  std::filesystem::path run_dir_;
  nlohmann::json model_ = nlohmann::json::object();
  nlohmann::json config_ = nlohmann::json::object();
  nlohmann::json metrics_ = nlohmann::json::object();
  nlohmann::json artefacts_ = nlohmann::json::array();
  nlohmann::ordered_json extra_ = nlohmann::ordered_json::object();
};

// Text of a JSON value as results are written: indented, UTF-8 kept as it is, invalid UTF-8
// replaced rather than failing the run at the very end.
std::string dump_json(const nlohmann::ordered_json& value);
std::string dump_json(const nlohmann::json& value);

}  // namespace hc
