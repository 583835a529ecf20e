#include "hc/core/machine_info.h"

#include <fstream>
#include <string>
#include <thread>

#include "hc/core/version.h"

namespace hc {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return load;
}

}  // namespace

nlohmann::json machine_info() {
  return {{"cpu", cpu_model()},
          {"hardware_threads", std::thread::hardware_concurrency()},
          {"load_average_1min", load_average()},
          {"compiler", __VERSION__},
          {"hc", std::string(version()) + " " + git_sha()}};
}

}  // namespace hc
