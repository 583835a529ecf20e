#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>

#include "hc/core/error.h"
#include "hc/train/distributed.h"

namespace hc {
namespace {

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// A whole-string decimal integer in [low, high]; anything else names the variable.
int env_int(const char* name, const std::string& value, long low, long high,
            const std::string& expected) {
  long parsed = 0;
  const char* end = value.data() + value.size();
  auto [stop, error] = std::from_chars(value.data(), end, parsed);
  if (value.empty() || error != std::errc() || stop != end || parsed < low || parsed > high) {
    throw usage_error("environment variable {}='{}': expected {}", name, value, expected);
  }
  return static_cast<int>(parsed);
}

int optional_env_int(const char* name, int fallback, long low, long high,
                     const std::string& expected) {
  auto value = env(name);
  return value ? env_int(name, *value, low, high, expected) : fallback;
}

// Rank, size and local rank from one launcher's three variables.
DistributedEnv positions(const char* rank_name, const char* size_name, const char* local_name) {
  auto size = env(size_name);
  auto rank = env(rank_name);
  if (!size || !rank) {
    throw usage_error("environment variable {} is set but {} is not: a data-parallel launch sets "
                      "both",
                      size ? size_name : rank_name, size ? rank_name : size_name);
  }
  DistributedEnv out;
  out.world_size = env_int(size_name, *size, 1, 1 << 20, "a process count >= 1");
  out.rank = env_int(rank_name, *rank, 0, out.world_size - 1,
                     fmt::format("a rank in [0, {}={})", size_name, out.world_size));
  out.local_rank = optional_env_int(local_name, 0, 0, 1 << 20, "a local rank >= 0");
  return out;
}

void read_master(DistributedEnv& out, bool slurm) {
  if (auto addr = env("MASTER_ADDR")) {
    if (addr->empty()) throw usage_error("environment variable MASTER_ADDR is empty");
    out.master_addr = *addr;
  } else if (slurm && out.world_size > 1) {
    auto nodelist = env("SLURM_JOB_NODELIST");
    if (!nodelist) {
      throw usage_error("neither MASTER_ADDR nor SLURM_JOB_NODELIST is set: rank 0's host is "
                        "unknown");
    }
    out.master_addr = first_slurm_host(*nodelist);
  }
  out.master_port = optional_env_int("MASTER_PORT", out.master_port, 1, 65535,
                                     "a TCP port in [1, 65535]");
}

}  // namespace

DistributedEnv DistributedEnv::from_environment() {
  // torchrun first: it may run inside a SLURM allocation, whose variables then describe the
  // allocation's tasks, not torchrun's processes.
  if (env("WORLD_SIZE") || env("RANK")) {
    DistributedEnv out = positions("RANK", "WORLD_SIZE", "LOCAL_RANK");
    read_master(out, false);
    out.agent_store = env("TORCHELASTIC_USE_AGENT_STORE").value_or("") == "True";
    out.restart_count = optional_env_int("TORCHELASTIC_RESTART_COUNT", 0, 0, 1 << 20,
                                         "a restart count >= 0");
    return out;
  }
  // SLURM_PROCID marks a task started by srun; SLURM_NTASKS alone is also set in an salloc
  // shell, which is one process.
  if (env("SLURM_PROCID") && env("SLURM_NTASKS")) {
    DistributedEnv out = positions("SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID");
    read_master(out, true);
    return out;
  }
  return DistributedEnv{};
}

std::string first_slurm_host(const std::string& nodelist) {
  std::string host;
  std::size_t i = 0;
  while (i < nodelist.size() && nodelist[i] != ',') {
    if (nodelist[i] == ']') break;
    if (nodelist[i] != '[') {
      host += nodelist[i++];
      continue;
    }
    std::size_t close = nodelist.find(']', i);
    if (close == std::string::npos) break;
    // "[03-05,09]": the first entry of the range list, as written (zero padding kept).
    std::string ranges = nodelist.substr(i + 1, close - i - 1);
    std::string first = ranges.substr(0, ranges.find_first_of(",-"));
    if (first.empty()) break;
    host += first;
    i = close + 1;
  }
  bool complete = i == nodelist.size() || nodelist[i] == ',';
  if (host.empty() || !complete) {
    throw usage_error("environment variable SLURM_JOB_NODELIST='{}': expected a SLURM host list "
                      "such as 'gpu[03-05,09],cpu1'",
                      nodelist);
  }
  return host;
}

}  // namespace hc
