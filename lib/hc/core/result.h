#pragma once
// The JSON result every command writes: run metadata, the model, the resolved config, metrics
// and artefacts, in this order:
//   {tool, version, git_sha, started_at, elapsed_s, device, dtype, threads, host,
//    model:{...}, config:{...}, metrics:{...}, artefacts:[...]}
// It goes to --output (`-` = stdout) or, by default, to runs/<tool>/<UTC timestamp>/result.json,
// always through a temporary file renamed into place.
#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace hc {

struct CommonOptions;
class ConfigSchema;

class RunResult {
 public:
  // Starts the clock. options gives --output, --device, --dtype and --threads; default outputs
  // go under runs_root/<tool>/.
  RunResult(std::string tool, const CommonOptions& options,
            std::filesystem::path runs_root = "runs");

  void set_config(const ConfigSchema& schema);
  void set_config(nlohmann::json config);
  // {path, name, sha256 of the weights, ...}
  void set_model(nlohmann::json model);
  // metrics()["recall@1"] = 0.42;
  nlohmann::json& metrics() { return metrics_; }
  void set_metric(const std::string& name, nlohmann::json value);
  // A file the run wrote (relative to the run folder when inside it) and what it holds.
  void add_artefact(const std::filesystem::path& path, const std::string& description);
  // Any other top-level field, or a replacement for a metadata one (e.g. the resolved device).
  void set(const std::string& key, nlohmann::json value);

  // The folder of this run: that of --output when it names a file, otherwise a fresh
  // runs/<tool>/<timestamp>[-N]/ created on first use (so parallel runs never share one).
  const std::filesystem::path& run_dir();
  // run_dir()/name, for artefacts written beside the result.
  std::filesystem::path artefact_path(const std::string& name);

  double elapsed_s() const;
  const std::string& started_at() const { return started_at_; }

  // The result as it will be written (elapsed_s measured now).
  nlohmann::ordered_json to_json() const;
  // Writes the result; returns where it went ("-" for stdout, else the file).
  std::string write();

 private:
  std::string tool_;
  std::string output_;
  std::string device_;
  std::string dtype_;
  int threads_ = 0;
  std::filesystem::path runs_root_;
  std::string started_at_;   // ISO 8601 UTC
  std::string folder_stamp_; // the same instant as a folder name
  std::chrono::steady_clock::time_point start_;
  std::filesystem::path run_dir_;
  nlohmann::json model_ = nlohmann::json::object();
  nlohmann::json config_ = nlohmann::json::object();
  nlohmann::json metrics_ = nlohmann::json::object();
  nlohmann::json artefacts_ = nlohmann::json::array();
  nlohmann::json extra_ = nlohmann::json::object();
};

// Text of a JSON value as results are written: indented, UTF-8 kept as it is, invalid UTF-8
// replaced rather than failing the run at the very end.
std::string dump_json(const nlohmann::ordered_json& value);
std::string dump_json(const nlohmann::json& value);

}  // namespace hc
