#include "catch_torch.h"

#include <ATen/Parallel.h>

#include "hc/core/compute_options.h"
#include "hc/tensor/compute_threads.h"

TEST_CASE("compute threads: one call sets torch, OpenMP and OpenBLAS; 0 means every usable core",
          "[tensor][threads]") {
  const int before = at::get_num_threads();
  hc::use_compute_threads(1);
  hc::ComputeThreadCounts counts = hc::compute_thread_counts();
  CHECK(counts.torch == 1);
  CHECK(counts.openmp == 1);
  if (counts.openblas != 0) CHECK(counts.openblas == 1);

  hc::use_compute_threads(0);
  counts = hc::compute_thread_counts();
  CHECK(counts.torch == hc::hardware_threads());
  CHECK(counts.openmp == hc::hardware_threads());
  if (counts.openblas != 0) CHECK(counts.openblas == hc::hardware_threads());
  hc::use_compute_threads(before);
}
