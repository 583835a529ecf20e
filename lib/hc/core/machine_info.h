#pragma once
#include <nlohmann/json.hpp>

namespace hc {

// What a benchmark figure needs beside it to mean anything: the CPU model, hardware threads,
// the 1-minute load average (a busy shared machine inflates wall times), compiler and hc build.
nlohmann::json machine_info();

}  // namespace hc
