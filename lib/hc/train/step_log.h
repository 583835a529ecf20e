#pragma once
// The per-step log of a training run: one JSON object per optimiser step (the step, each loss
// term, learning rate, gradient norm, timings), kept in memory and written as JSONL, one line a
// step, through an AtomicFile (a log on disk is always whole). A checkpoint carries a copy, so a
// resumed run's log continues the interrupted one's without a gap or a repeat. Torch-free.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc {

inline constexpr const char* kStepLogFile = "loss.jsonl";

class StepLog {
 public:
  // Each record must hold an integer "step".
  void add(nlohmann::ordered_json record);
  const std::vector<nlohmann::ordered_json>& records() const { return records_; }

  // Writes every record, one compact JSON object per line.
  void write(const std::filesystem::path& path) const;

  // The records of a log written by write() whose step is at most `up_to_step`; a line that is
  // not a JSON object with a "step" is an hc::Error naming the file and line. A missing file
  // gives an empty log.
  static StepLog read(const std::filesystem::path& path, int64_t up_to_step);

  // The values of `field` over the records that have it as a number: (step, value) pairs.
  std::vector<std::pair<int64_t, double>> series(const std::string& field) const;

 private:
  std::vector<nlohmann::ordered_json> records_;
};

}  // namespace hc
