#pragma once
// Turning the compute section (hc/core/compute_options.h) into what torch runs with.
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "hc/core/compute_options.h"

namespace hc {

// The options as the run uses and records them: the device checked and written in full
// ("cuda" -> "cuda:0"; CUDA asked for without a CUDA build or device is an
// hc::Error), the dtype label canonical ("fp32", "fp16", "bf16"), threads resolved (0 -> all
// cores). With defaults_only (a tool that runs no model) only the threads are resolved.
ComputeOptions resolve_compute(const ComputeOptions& options, bool defaults_only = false);

// The device and ScalarType of (resolved) options.
c10::Device compute_device(const ComputeOptions& options);
c10::ScalarType compute_dtype(const ComputeOptions& options);

// Makes the calling thread's torch work (intra-op pool, OpenMP) use options.threads threads.
// Call it on every thread that runs torch operations.
void apply_compute_threads(const ComputeOptions& options);

}  // namespace hc
