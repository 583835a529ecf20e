#pragma once
// OpenBLAS picks its matrix kernels for the CPU once, when it loads. Versions before 0.3.22
// (Debian 12 ships 0.3.21) do not know AVX-512 AMD CPUs (Zen 4) and newer Intel ones it was not
// told of, and fall back to their AVX2 (Haswell) kernels: fp32 matrix products then run at half
// the speed the CPU has (docs/performance.md: 181 -> 360 GFLOP/s on the reference machine).
// OPENBLAS_CORETYPE fixes that, but only in the environment before the process starts.
#include <string>

namespace hc {

// When OpenBLAS is the BLAS in use, the user has not set OPENBLAS_CORETYPE (a value set is kept,
// with a debug log line when it holds back an AVX-512 CPU), the CPU (and the OS)
// supports AVX-512 (F, CD, BW, DQ, VL) and OpenBLAS chose an AVX2-only kernel set, switches it to
// its AVX-512 kernels (Cooperlake where the CPU has AVX512-BF16, else SkylakeX), as
// OPENBLAS_CORETYPE would have. Must run while no matrix product is in flight (use_compute_threads
// calls it once, before the first model runs). Returns OpenBLAS's kernel set after the call, or ""
// when the BLAS is not OpenBLAS.
std::string use_fastest_blas_kernels();

// Switches OpenBLAS to the named kernel set (OPENBLAS_CORETYPE's names) while no product is in
// flight; returns the set in use after, or "" when the BLAS is not OpenBLAS.
std::string use_blas_kernels(const std::string& name);

// OpenBLAS's kernel set now ("Haswell", "SkylakeX", ...), or "" when the BLAS is not OpenBLAS.
std::string blas_kernels();

}  // namespace hc
