#pragma once
#include <nlohmann/json.hpp>

namespace hc {

// What a benchmark figure needs beside it to mean anything: the CPU model, hardware threads,
// the 1-minute load average (a busy shared machine inflates wall times), compiler and hc build.
nlohmann::json machine_info();

// This process's CPU time (user + system, all threads) in seconds.
double process_cpu_seconds();
// This process's peak resident memory in MiB since it started (Linux: VmHWM), or a negative
// value where it cannot be read.
double peak_resident_mib();

}  // namespace hc
