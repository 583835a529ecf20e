#include "hc/tool/compute_context.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "hc/tensor/compute_threads.h"
#include "hc/tensor/device.h"

namespace hc {

ComputeOptions resolve_compute(const ComputeOptions& options, bool defaults_only) {
  ComputeOptions resolved = options;
  resolved.threads = options.resolved_threads();
  if (defaults_only) return resolved;
  resolved.device = parse_device(options.device).str();  // "cuda" -> "cuda:0"
  resolved.dtype = scalar_type_label(parse_scalar_type(options.dtype));
  return resolved;
}

c10::Device compute_device(const ComputeOptions& options) { return parse_device(options.device); }

c10::ScalarType compute_dtype(const ComputeOptions& options) {
  return parse_scalar_type(options.dtype);
}

void apply_compute_threads(const ComputeOptions& options) {
  use_compute_threads(options.resolved_threads());
  // libgomp reads its wait policy once, before main: hc cannot set it for itself.
  if (parse_device(options.device).is_cpu() && std::getenv("OMP_WAIT_POLICY") == nullptr) {
    spdlog::debug("OMP_WAIT_POLICY is not set: export OMP_WAIT_POLICY=PASSIVE for CPU runs "
                 "(OpenMP's spinning threads otherwise compete with OpenBLAS's and other jobs; "
                 "docs/performance.md)");
  }
}

}  // namespace hc
