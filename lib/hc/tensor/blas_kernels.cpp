#include "hc/tensor/blas_kernels.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

// OpenBLAS's dynamic-architecture entry points, looked up at run time: another BLAS (MKL, a
// reference BLAS) simply lacks them.
extern "C" {
char* openblas_get_corename(void) __attribute__((weak));
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}

namespace hc {
namespace {

bool cpu_has_avx512() {
  // __builtin_cpu_supports also checks that the OS saves the AVX-512 registers.
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}

bool is_avx2_only(const std::string& kernels) {
  return kernels == "Haswell" || kernels == "Zen" || kernels == "Sandybridge";
}

}  // namespace

std::string blas_kernels() {
  if (!openblas_get_corename) return "";
  const char* name = openblas_get_corename();
  return name ? name : "";
}

std::string use_blas_kernels(const std::string& name) {
  if (blas_kernels().empty() || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return "";
  // OpenBLAS's own initialisation, run again as OPENBLAS_CORETYPE=name would have run it; the
  // variable is put back as it was.
  const char* set = std::getenv("OPENBLAS_CORETYPE");
  const std::string saved = set ? set : "";
  ::setenv("OPENBLAS_CORETYPE", name.c_str(), 1);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  if (set) {
    ::setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
  } else {
    ::unsetenv("OPENBLAS_CORETYPE");
  }
  return blas_kernels();
}

std::string use_fastest_blas_kernels() {
  const std::string before = blas_kernels();
  if (before.empty() || !is_avx2_only(before) || !cpu_has_avx512()) return before;
  if (const char* chosen = std::getenv("OPENBLAS_CORETYPE")) {
    spdlog::debug("OPENBLAS_CORETYPE={} is set: fp32 matrix products run on {} kernels although "
                 "this CPU has AVX-512 (unset it to let hc pick them, about 2x faster)",
                 chosen, before);
    return before;
  }
  const std::string after =
      use_blas_kernels(__builtin_cpu_supports("avx512bf16") ? "Cooperlake" : "SkylakeX");
  spdlog::debug("OpenBLAS kernels: {} -> {} (this CPU has AVX-512)", before, after);
  return after;
}

}  // namespace hc
