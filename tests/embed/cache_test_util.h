#pragma once
// Small helpers for the embedding cache tests: items with known embeddings, written and read
// through hc::EmbeddingCache without a model.
#include "catch_torch.h"

#include <filesystem>
#include <string>
#include <vector>

#include "hc/embed/cache_key_folder.h"
#include "hc/embed/embedding_cache.h"

namespace hc::test {

// The digest of item i ("item <i>") and its embedding: dim values i, i + 0.5, i + 1, ...
inline ItemDigest item_digest(int64_t i) { return text_digest("item " + std::to_string(i)); }

inline at::Tensor item_rows(int64_t begin, int64_t end, int64_t dim) {
  at::Tensor base = at::arange(begin, end, at::kFloat).unsqueeze(1);
  return base + 0.5 * at::arange(dim, at::kFloat).unsqueeze(0);
}

inline std::vector<ItemDigest> item_digests(int64_t begin, int64_t end) {
  std::vector<ItemDigest> digests;
  for (int64_t i = begin; i < end; ++i) digests.push_back(item_digest(i));
  return digests;
}

// Adds items [begin, end) in batches of `batch`.
inline void add_items(EmbeddingCache& cache, int64_t begin, int64_t end, int64_t dim,
                      int64_t batch = 16) {
  for (int64_t at = begin; at < end; at += batch) {
    const int64_t stop = std::min(end, at + batch);
    cache.add(item_digests(at, stop), item_rows(at, stop, dim));
  }
}

// How many of items [begin, end) the cache finds; fails the test on any wrong row.
inline int64_t found_items(EmbeddingCache& cache, int64_t begin, int64_t end, int64_t dim) {
  const std::vector<int64_t> rows = cache.lookup(item_digests(begin, end));
  int64_t found = 0;
  for (int64_t i = begin; i < end; ++i) {
    const int64_t row = rows[static_cast<std::size_t>(i - begin)];
    if (row < 0) continue;
    ++found;
    const at::Tensor got = cache.rows({row});
    if (!torch::equal(got, item_rows(i, i + 1, dim))) {
      FAIL("item " << i << " came back with a wrong embedding");
    }
  }
  return found;
}

// Moves the modification times of every file of a key folder `age_s` seconds into the past.
inline void age_key(const std::filesystem::path& folder, double age_s) {
  const double when = now_seconds() - age_s;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    set_file_mtime(entry.path(), when);
  }
}

}  // namespace hc::test
