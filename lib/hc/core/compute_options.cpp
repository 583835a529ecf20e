#include "hc/core/compute_options.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include <sched.h>

#include "hc/core/config.h"
#include "hc/core/strings.h"

namespace hc {
namespace {

// cpu, cuda or cuda:N: a misspelt device fails with the config's error before any work starts.
bool is_device_name(const std::string& text) {
  if (text == "cpu" || text == "cuda") return true;
  if (!starts_with(text, "cuda:") || text.size() == 5) return false;
  return std::all_of(text.begin() + 5, text.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

void ComputeOptions::declare(ConfigSchema& schema) {
  schema.add("compute.device", device, "where the model runs: cpu, cuda or cuda:N")
      .check(is_device_name, "cpu, cuda or cuda:N")
      .flag("--device");
  schema.add("compute.dtype", dtype, "compute dtype of the model: fp32, fp16 or bf16")
      .one_of({"fp32", "fp16", "bf16"})
      .flag("--dtype");
  declare_threads(schema);
}

void ComputeOptions::declare_threads(ConfigSchema& schema) {
  schema.add("compute.threads", threads,
             "CPU threads for torch, OpenMP, OpenBLAS and worker pools (0 = all cores)")
      .check_non_negative()
      .flag("--threads");
}

int ComputeOptions::resolved_threads() const { return threads > 0 ? threads : hardware_threads(); }

int hardware_threads() {
  // The CPUs this process may run on (taskset, a SLURM or container cpuset), not every CPU of the
  // node: on a shared node, "all cores" means the ones the job was given.
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 0) {
    return CPU_COUNT(&allowed);
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace hc
