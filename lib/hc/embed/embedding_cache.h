#pragma once
// Embeddings kept on disk so that a second run with the same model only computes new inputs.
//
// One safetensors file per (model, settings, kind): the name is
// <kind>-<SHA-256 of the settings JSON, 32 hex digits>.safetensors, and the settings JSON
// (weights SHA-256, model config, compute dtype, tokenizer or preprocessing settings; see
// embedding_engine.cpp) is also kept in the file's metadata and checked on load. The file holds
//   "digests"    U8  [N, 32]  SHA-256 of each item: a text's UTF-8 bytes, an image file's bytes
//   "embeddings" F32 [N, P]   the raw (unnormalised) projected embeddings
// Raw rows serve both normalised and --raw runs (normalising is exact either way).
//
// Images are keyed by their bytes, not by path + size + mtime: a copied, moved or re-extracted
// dataset (scratch disks on clusters, tar files, rsync) still hits, and a file rewritten with the
// same size and timestamp cannot return a stale embedding. Hashing costs one read of each file
// (SHA-256 runs at ~0.5 GB/s a core, on the thread pool), far below decoding and the model.
//
// Writes go through a temporary file renamed into place, under a lock file, merged with what
// another process added meanwhile. A corrupt or mismatched file is ignored with a warning and
// rebuilt on the next write. A cache that cannot be written costs only the recomputation next
// time: it is a warning, never a failed run.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>

#include "hc/core/sha256.h"

namespace hc {

class ThreadPool;

using ItemDigest = Sha256::Digest;

// hc_cache_dir() / "embeddings": $HC_CACHE_DIR/embeddings, else
// ${XDG_CACHE_HOME:-~/.cache}/hc/embeddings.
std::filesystem::path default_embedding_cache_dir();

ItemDigest text_digest(std::string_view text);
// SHA-256 of each file's bytes, on the pool; an unreadable file is an hc::Error naming it.
std::vector<ItemDigest> file_digests(const std::vector<std::filesystem::path>& files,
                                     ThreadPool& pool);

class EmbeddingCache {
 public:
  // kind: "text" or "image"; settings: canonical JSON text of everything that changes the
  // embeddings; dim: the embedding width. Nothing is read before the first lookup.
  EmbeddingCache(std::filesystem::path dir, std::string kind, std::string settings, int64_t dim);
  ~EmbeddingCache();
  EmbeddingCache(const EmbeddingCache&) = delete;
  EmbeddingCache& operator=(const EmbeddingCache&) = delete;

  const std::filesystem::path& file() const { return file_; }

  // The cached row of each digest, or -1. Rows stay valid until the next add().
  std::vector<int64_t> lookup(const std::vector<ItemDigest>& digests);
  // Embeddings of cached rows (all >= 0): [rows.size(), dim] float32 on the CPU.
  at::Tensor rows(const std::vector<int64_t>& rows) const;
  // Adds entries ([digests.size(), dim], converted to float32 on the CPU) and writes the file.
  void add(const std::vector<ItemDigest>& digests, const at::Tensor& embeddings);
  // Entries held in memory.
  int64_t size() const;

  struct Table;

 private:
  void load_once();

  std::filesystem::path file_;
  std::string kind_;
  std::string settings_;
  int64_t dim_;
  std::unique_ptr<Table> table_;
};

}  // namespace hc
