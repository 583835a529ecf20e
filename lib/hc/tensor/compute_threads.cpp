#include "hc/tensor/compute_threads.h"

#include <ATen/Parallel.h>

#include <mutex>

#include "hc/core/compute_options.h"
#include "hc/tensor/blas_kernels.h"

// Looked up at run time rather than linked: libtorch brings an OpenMP runtime and the system BLAS
// (OpenBLAS on Debian, but it may be another), and hc must not require either to link.
extern "C" {
int omp_get_max_threads(void) __attribute__((weak));
void omp_set_num_threads(int) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
void openblas_set_num_threads(int) __attribute__((weak));
}

namespace hc {

void use_compute_threads(int n) {
  static std::once_flag blas_tuned;
  std::call_once(blas_tuned, [] { use_fastest_blas_kernels(); });
  if (n <= 0) n = hardware_threads();
  // at::set_num_threads also sets OpenMP's count, but only when libtorch was built with OpenMP;
  // setting it here too keeps oneDNN right in either build.
  if (at::get_num_threads() != n) at::set_num_threads(n);
  if (omp_get_max_threads && omp_set_num_threads && omp_get_max_threads() != n) {
    omp_set_num_threads(n);
  }
  if (openblas_get_num_threads && openblas_set_num_threads && openblas_get_num_threads() != n) {
    openblas_set_num_threads(n);
  }
}

ComputeThreadCounts compute_thread_counts() {
  ComputeThreadCounts counts;
  counts.torch = at::get_num_threads();
  if (omp_get_max_threads) counts.openmp = omp_get_max_threads();
  if (openblas_get_num_threads) counts.openblas = openblas_get_num_threads();
  return counts;
}

}  // namespace hc
