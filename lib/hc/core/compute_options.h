#pragma once
// The compute section every tool that runs a model shares: where and how it computes.
//   compute.device   cpu, cuda (the current CUDA device) or cuda:N    --device
//   compute.dtype    fp32, fp16 or bf16                                --dtype
//   compute.threads  CPU threads for torch, OpenMP, OpenBLAS and hc's worker pools; 0 = all
//                    cores                                              --threads
// Tools that only use worker threads (tokenising, decoding) declare compute.threads alone.
// Library code receives these values through its options or the run context (hc/tool/), never
// through process-wide state.
#include <string>

namespace hc {

class ConfigSchema;

struct ComputeOptions {
  std::string device = "cpu";
  std::string dtype = "fp32";
  int threads = 0;

  // compute.device, compute.dtype and compute.threads with their flags.
  void declare(ConfigSchema& schema);
  // compute.threads (--threads) only.
  void declare_threads(ConfigSchema& schema);

  // threads, with 0 meaning every hardware thread of this machine (at least 1).
  int resolved_threads() const;
};

// The CPUs this process may run on (its affinity mask: taskset, a SLURM or container cpuset),
// at least 1.
int hardware_threads();

}  // namespace hc
