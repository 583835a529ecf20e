#include "hc/core/result.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <iostream>
#include <thread>

#include "hc/core/atomic_file.h"
#include "hc/core/compute_options.h"
#include "hc/core/config.h"
#include "hc/core/machine_info.h"
#include "hc/core/error.h"
#include "hc/core/version.h"

namespace hc {
namespace fs = std::filesystem;
namespace {

std::string format_utc(std::time_t when, const char* format) {
  std::tm parts{};
  gmtime_r(&when, &parts);
  char text[64];
  std::size_t n = std::strftime(text, sizeof text, format, &parts);
  return std::string(text, n);
}

std::string host_name() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

bool inside(const fs::path& path, const fs::path& folder) {
  fs::path relative = fs::absolute(path).lexically_normal().lexically_relative(
      fs::absolute(folder).lexically_normal());
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

RunResult::RunResult(std::string tool, std::string output, fs::path runs_root)
    : tool_(std::move(tool)),
      output_(std::move(output)),
      runs_root_(std::move(runs_root)),
      start_(std::chrono::steady_clock::now()) {
  std::time_t now = std::time(nullptr);
  started_at_ = format_utc(now, "%Y-%m-%dT%H:%M:%SZ");
  folder_stamp_ = format_utc(now, "%Y%m%dT%H%M%SZ");
}

void RunResult::set_compute(const ComputeOptions& compute) {
  device_ = compute.device;
  dtype_ = compute.dtype;
  threads_ = compute.resolved_threads();
}

void RunResult::set_threads(int threads) { threads_ = threads; }

void RunResult::set_config(const ConfigSchema& schema) { config_ = schema.to_json(); }
void RunResult::set_config(nlohmann::json config) { config_ = std::move(config); }
void RunResult::set_model(nlohmann::json model) { model_ = std::move(model); }

void RunResult::set_metric(const std::string& name, nlohmann::json value) {
  metrics_[name] = std::move(value);
}

void RunResult::add_artefact(const fs::path& path, const std::string& description) {
  fs::path shown = path;
  if (!run_dir_.empty() && inside(path, run_dir_)) {
    shown = fs::absolute(path).lexically_normal().lexically_relative(
        fs::absolute(run_dir_).lexically_normal());
  }
  artefacts_.push_back({{"path", shown.string()}, {"description", description}});
}

void RunResult::set(const std::string& key, nlohmann::ordered_json value) {
  extra_[key] = std::move(value);
}

const fs::path& RunResult::run_dir() {
  if (!run_dir_.empty()) return run_dir_;
  if (!output_.empty() && output_ != "-") {
    fs::path parent = fs::path(output_).parent_path();
    run_dir_ = parent.empty() ? fs::path(".") : parent;
    std::error_code ec;
    fs::create_directories(run_dir_, ec);
    if (ec) throw runtime_error("cannot create the folder {}: {}", run_dir_.string(), ec.message());
    return run_dir_;
  }
  fs::path base = runs_root_ / tool_;
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) throw runtime_error("cannot create the folder {}: {}", base.string(), ec.message());
  // create_directory fails on an existing folder, so two runs started in the same second
  // each claim their own.
  for (int attempt = 0;; ++attempt) {
    fs::path candidate =
        base / (attempt == 0 ? folder_stamp_ : fmt::format("{}-{}", folder_stamp_, attempt));
    if (fs::create_directory(candidate, ec)) {
      run_dir_ = candidate;
      return run_dir_;
    }
    if (ec) throw runtime_error("cannot create the folder {}: {}", candidate.string(), ec.message());
  }
}

fs::path RunResult::artefact_path(const std::string& name) { return run_dir() / name; }

double RunResult::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

nlohmann::ordered_json RunResult::to_json() const {
  nlohmann::ordered_json result;
  result["tool"] = tool_;
  result["version"] = version();
  result["git_sha"] = git_sha();
  result["started_at"] = started_at_;
  result["elapsed_s"] = std::round(elapsed_s() * 1000.0) / 1000.0;
  // CPU time over elapsed_s says how much of the machine the run had (threads at work, or
  // waiting for a core on a shared node); the peak memory sizes a batch job's request.
  result["cpu_s"] = std::round(process_cpu_seconds() * 1000.0) / 1000.0;
  if (const double peak = peak_resident_mib(); peak >= 0) {
    result["peak_rss_mib"] = std::round(peak * 10.0) / 10.0;
  }
  result["device"] = device_;
  result["dtype"] = dtype_;
  result["threads"] = threads_;
  result["host"] = host_name();
  result["model"] = model_;
  result["config"] = config_;
  result["metrics"] = metrics_;
  result["artefacts"] = artefacts_;
  for (const auto& [key, value] : extra_.items()) result[key] = value;
  nlohmann::ordered_json timing = timer_.to_json();
  if (timing.size() > 1) result["timing"] = timing;  // more than total_s alone
  return result;
}

std::string RunResult::write() {
  if (discarded_) return "";
  std::string text = dump_json(to_json()) + "\n";
  if (output_ == "-") {
    std::cout << text << std::flush;
    if (!std::cout) throw runtime_error("cannot write the result to stdout");
    return "-";
  }
  fs::path target = output_.empty() ? run_dir() / "result.json" : fs::path(output_);
  write_file_atomically(target, text);
  spdlog::info("result written to {}", target.string());
  return target.string();
}

std::string dump_json(const nlohmann::ordered_json& value) {
  return value.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string dump_json(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hc
