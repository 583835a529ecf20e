// The model runs with compute.threads on every library's thread count (torch, OpenMP, OpenBLAS),
// whichever thread calls the engine: OpenMP's count is per thread, so a thread that never set it
// would run oneDNN's (bf16) and torch's OpenMP kernels with the runtime's start value.
#include "embed_test_util.h"

#include <thread>

#include <ATen/Parallel.h>

#include "hc/core/compute_options.h"
#include "hc/embed/embedding_engine.h"
#include "hc/tensor/compute_threads.h"

namespace {

// Embeds two texts on a thread of its own (as a tool's model thread, or a library user's) with
// the given compute.threads, and returns the counts the model ran with.
hc::ComputeThreadCounts counts_in_new_thread(const hc::ClipBundle& bundle, int threads) {
  hc::ComputeThreadCounts seen;
  std::thread model_thread([&] {
    hc::EmbedOptions options;
    options.threads = threads;
    options.use_cache = false;
    options.show_progress = false;
    hc::EmbeddingEngine engine(bundle, options);
    engine.embed_texts({"a dog", "an animal"});
    seen = engine.stats().model_threads;
    // What the stats say is what the thread has.
    const hc::ComputeThreadCounts now = hc::compute_thread_counts();
    CHECK(now.torch == seen.torch);
    CHECK(now.openmp == seen.openmp);
  });
  model_thread.join();
  return seen;
}

}  // namespace

TEST_CASE("model threads: the default is every usable core for torch, OpenMP and OpenBLAS",
          "[embed][threads]") {
  const hc::ClipBundle bundle = hc::test::fixture_bundle();
  const int before = at::get_num_threads();
  // Another count first, so the default has to change it back rather than find it in place.
  hc::use_compute_threads(1);

  const hc::ComputeThreadCounts all = counts_in_new_thread(bundle, 0);
  CHECK(all.torch == hc::hardware_threads());
  CHECK(all.openmp == hc::hardware_threads());
  // Debian's libtorch runs fp32 matrix products through OpenBLAS; another BLAS reports 0.
  if (all.openblas != 0) CHECK(all.openblas == hc::hardware_threads());

  const hc::ComputeThreadCounts one = counts_in_new_thread(bundle, 1);
  CHECK(one.torch == 1);
  CHECK(one.openmp == 1);
  if (one.openblas != 0) CHECK(one.openblas == 1);

  hc::use_compute_threads(before);
}

TEST_CASE("model threads: a fresh thread is set even when the process count already matches",
          "[embed][threads]") {
  const hc::ClipBundle bundle = hc::test::fixture_bundle();
  const int before = at::get_num_threads();
  hc::use_compute_threads(2);  // torch's count is process-wide; OpenMP's is this thread's only
  const hc::ComputeThreadCounts two = counts_in_new_thread(bundle, 2);
  CHECK(two.torch == 2);
  CHECK(two.openmp == 2);
  hc::use_compute_threads(before);
}
