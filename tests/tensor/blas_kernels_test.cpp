#include "catch_torch.h"

#include <cstdlib>

#include <ATen/ATen.h>

#include "hc/tensor/blas_kernels.h"
#include "hc/tensor/compute_threads.h"

namespace {

bool avx2_only(const std::string& kernels) {
  return kernels == "Haswell" || kernels == "Zen" || kernels == "Sandybridge";
}

bool cpu_has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}

// fp32 products through whichever kernels are in use agree with float64 to fp32 accuracy.
void check_products() {
  at::manual_seed(0);
  const at::Tensor a = at::randn({257, 513});
  const at::Tensor b = at::randn({513, 1031});
  const at::Tensor error = (at::mm(a, b).to(at::kDouble) -
                            at::mm(a.to(at::kDouble), b.to(at::kDouble))).abs().max();
  CHECK(error.item<double>() < 1e-3);
}

// Restores OPENBLAS_CORETYPE and the kernels in use when the test ends.
struct KeepBlasState {
  const char* set = std::getenv("OPENBLAS_CORETYPE");
  std::string variable = set ? set : "";
  std::string kernels = hc::blas_kernels();
  ~KeepBlasState() {
    if (set) {
      ::setenv("OPENBLAS_CORETYPE", variable.c_str(), 1);
    } else {
      ::unsetenv("OPENBLAS_CORETYPE");
    }
    if (!kernels.empty()) hc::use_blas_kernels(kernels);
  }
};

}  // namespace

TEST_CASE("BLAS kernels: AVX2 kernels on an AVX-512 CPU are swapped for AVX-512 ones",
          "[tensor][blas]") {
  hc::use_compute_threads(0);
  if (hc::blas_kernels().empty()) {
    SUCCEED("the BLAS in use is not OpenBLAS: nothing to choose");
    return;
  }
  KeepBlasState keep;
  // The state OpenBLAS 0.3.21 leaves a Zen 4 in, whatever this machine is.
  REQUIRE(hc::use_blas_kernels("Haswell") == "Haswell");

  SECTION("a value the user set is kept") {
    ::setenv("OPENBLAS_CORETYPE", "Haswell", 1);
    CHECK(hc::use_fastest_blas_kernels() == "Haswell");
    check_products();
  }
  SECTION("without one, an AVX-512 CPU gets AVX-512 kernels, and products stay right") {
    ::unsetenv("OPENBLAS_CORETYPE");
    const std::string chosen = hc::use_fastest_blas_kernels();
    CHECK(avx2_only(chosen) == !cpu_has_avx512());
    CHECK(hc::blas_kernels() == chosen);
    CHECK(std::getenv("OPENBLAS_CORETYPE") == nullptr);
    check_products();
  }
}
