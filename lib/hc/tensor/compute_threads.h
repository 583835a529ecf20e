#pragma once
// The intra-op thread count of every library that runs tensor work on the CPU. Three counts must
// agree, and none follows another by itself:
//   - torch's own (at::get_num_threads): its parallel_for kernels;
//   - OpenMP's, which is per thread: oneDNN (all bf16 matrix work) and torch's OpenMP kernels
//     read the calling thread's value, and a thread that never set it gets the runtime's start
//     value, which libtorch lowers to the physical core count (1 on a 2-vCPU VM);
//   - OpenBLAS's, process-wide: fp32 matrix products.
// So the thread that runs the model sets all three before it runs, whichever thread it is.
//
// The first call also picks OpenBLAS's kernels for this CPU (blas_kernels.h).
namespace hc {

struct ComputeThreadCounts {
  int torch = 0;
  int openmp = 0;    // the calling thread's; 0 when no OpenMP runtime is loaded
  int openblas = 0;  // 0 when the BLAS in use is not OpenBLAS
};

// Sets all three for the calling thread (OpenBLAS for the process); n <= 0 means every core this
// process may run on (hardware_threads()). Cheap when nothing changes, so call it at the top of
// any function that runs a model.
void use_compute_threads(int n);

// The counts as the calling thread sees them.
ComputeThreadCounts compute_thread_counts();

}  // namespace hc
