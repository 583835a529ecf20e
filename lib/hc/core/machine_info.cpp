#include "hc/core/machine_info.h"

#include <time.h>

#include <fstream>
#include <string>
#include <thread>

#include "hc/core/compute_options.h"
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

double process_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

double peak_resident_mib() {
  // Per address space, so unlike getrusage's ru_maxrss it does not count what the parent held
  // before exec.
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return -1.0;
}

nlohmann::json machine_info() {
  return {{"cpu", cpu_model()},
          {"hardware_threads", std::thread::hardware_concurrency()},
          {"usable_threads", hardware_threads()},
          {"load_average_1min", load_average()},
          {"compiler", __VERSION__},
          {"hc", std::string(version()) + " " + git_sha()}};
}

}  // namespace hc
