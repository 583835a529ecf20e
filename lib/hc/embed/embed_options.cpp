#include "hc/embed/embed_options.h"

#include "hc/core/error.h"

namespace hc {

void EmbedOptions::validate() const {
  if (batch_size < 1) throw usage_error("embedding: --batch-size must be >= 1, got {}", batch_size);
  if (threads < 0) throw usage_error("embedding: --threads must be >= 0, got {}", threads);
  if (prefetch_batches < 0) {
    throw usage_error("embedding: the prefetch count must be >= 0, got {}", prefetch_batches);
  }
  if (cache_max_bytes < 0) {
    throw usage_error("embedding: the cache size cap must be >= 0 bytes (0 = none), got {}",
                      cache_max_bytes);
  }
}

}  // namespace hc
