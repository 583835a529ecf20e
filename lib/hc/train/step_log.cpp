#include "hc/train/step_log.h"

#include <fstream>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"

namespace hc {

void StepLog::add(nlohmann::ordered_json record) {
  if (!record.is_object() || !record.contains("step") || !record["step"].is_number_integer()) {
    throw runtime_error("StepLog: a record needs an integer \"step\"");
  }
  records_.push_back(std::move(record));
}

void StepLog::write(const std::filesystem::path& path) const {
  AtomicFile file(path);
  for (const auto& record : records_) {
    file.stream() << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
  }
  file.commit();
}

StepLog StepLog::read(const std::filesystem::path& path, int64_t up_to_step) {
  StepLog log;
  std::ifstream in(path);
  if (!in) return log;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    nlohmann::ordered_json record = nlohmann::ordered_json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.is_object() || !record.contains("step") ||
        !record["step"].is_number_integer()) {
      throw runtime_error("{}: line {}: expected a JSON object with an integer \"step\"",
                          path.string(), number);
    }
    if (record["step"].get<int64_t>() <= up_to_step) log.records_.push_back(std::move(record));
  }
  return log;
}

std::vector<std::pair<int64_t, double>> StepLog::series(const std::string& field) const {
  std::vector<std::pair<int64_t, double>> points;
  for (const auto& record : records_) {
    const auto found = record.find(field);
    if (found == record.end() || !found->is_number()) continue;
    points.emplace_back(record["step"].get<int64_t>(), found->get<double>());
  }
  return points;
}

}  // namespace hc
