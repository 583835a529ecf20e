#pragma once
// Settings and counters shared by the text and image embedders and the engine. Torch-free.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "hc/tensor/compute_threads.h"

namespace hc {

struct EmbedOptions {
  int batch_size = 64;        // texts or images per forward pass
  // compute.threads: the model's intra-op threads (torch, OpenMP, OpenBLAS; set on whichever
  // thread calls the engine) and the tokenising / decoding workers; 0 = all cores.
  int threads = 0;
  int prefetch_batches = 2;   // image batches decoded ahead of the model (memory stays flat)
  bool normalise = true;      // unit-length rows; false = the raw projected embeddings
  bool use_cache = true;      // the on-disk embedding cache (hc/embed/embedding_cache.h)
  std::filesystem::path cache_dir;  // empty = default_embedding_cache_dir()
  // After writing, least-recently-used keys of other models and settings are removed until the
  // cache folder holds at most this many bytes; 0 = no cap.
  int64_t cache_max_bytes = int64_t{20} << 30;
  bool show_progress = true;  // an hc::Progress per call (bar on a terminal, log lines otherwise)

  // Throws a usage hc::Error for a batch size, thread or prefetch count or cache cap out of range.
  void validate() const;
};

// What the engine did, for logs, results and tests ("a cache hit computes nothing").
struct EmbedStats {
  std::size_t text_forward_calls = 0;   // text tower forward passes
  std::size_t image_forward_calls = 0;  // vision tower forward passes
  std::size_t texts_computed = 0;       // texts that went through the model
  std::size_t images_computed = 0;
  std::size_t texts_from_cache = 0;     // inputs answered by the on-disk cache
  std::size_t images_from_cache = 0;
  // The intra-op thread counts the model ran with, as its thread saw them (last call).
  ComputeThreadCounts model_threads;
};

}  // namespace hc
