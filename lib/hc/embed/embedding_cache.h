#pragma once
// Embeddings kept on disk so that a run with the same model computes only inputs no earlier run
// (or no other process sharing the folder) has embedded.
//
// Layout: one folder per key, <cache>/<kind>-<32 hex digits>/, the hex digits from the SHA-256 of
// the cache format version and the settings JSON (weights SHA-256, model config, compute dtype,
// device type, tokenizer or preprocessing settings; see embedding_engine.cpp). In it:
//   <writer id>.live / .shard  append-only shards of records (item SHA-256, raw embedding),
//                              one per writing process (embedding_shard.h)
//   key.json                   what the key was made for (cache_key_folder.h)
//   last-use                   its modification time is the key's last use, for eviction
// Items are keyed by content: a text by its UTF-8 bytes, an image file by its bytes, so a copied,
// moved or re-extracted dataset still hits and a rewritten file never returns a stale row
// (hashing costs one read of each file, ~0.5 GB/s a core, far below decoding and the model).
// Rows are raw (unnormalised) float32: they serve normalised and --raw runs alike.
//
// Concurrency (array jobs on NFS or Lustre, no lock needed for correctness):
// - each writer appends to a shard file of its own, created with a unique name; nobody rewrites
//   another process's file;
// - readers take the union of every shard of the key (the first record of an item wins);
// - records go to disk as they are computed (add() is called batch by batch), each with its own
//   checksum, so a run killed at any point leaves every whole record it wrote and a re-run
//   computes only the rest; a cut or damaged record is skipped, never returned;
// - compaction (merging many shards into one) writes the new shard under a hidden name, renames
//   it into place, then deletes the merged ones; a reader that finds a shard gone looks again
//   and finds the merged one.
// A cache that cannot be read or written costs only recomputation: a warning, never a failure.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>

#include "hc/core/sha256.h"
#include "hc/embed/embedding_shard.h"

namespace hc {

class ThreadPool;

// hc_cache_dir() / "embeddings": $HC_CACHE_DIR/embeddings, else
// ${XDG_CACHE_HOME:-~/.cache}/hc/embeddings.
std::filesystem::path default_embedding_cache_dir();

ItemDigest text_digest(std::string_view text);
// SHA-256 of one file's bytes, on the calling thread; an unreadable file is an hc::Error naming it.
ItemDigest file_digest(const std::filesystem::path& file);
// SHA-256 of each file's bytes, on the pool; an unreadable file is an hc::Error naming it.
std::vector<ItemDigest> file_digests(const std::vector<std::filesystem::path>& files,
                                     ThreadPool& pool);

struct EmbeddingCacheOptions {
  // When the cache closes after writing, least-recently-used keys (never this one, nor one used
  // in the last in_use_s seconds) are removed until the folder holds at most this many bytes.
  // 0 = no cap.
  int64_t max_bytes = 0;
  double in_use_s = 600;
  // When the cache closes after writing and its key has more shards than this, they are merged
  // into one (skipped while another process is merging them).
  int compact_after_shards = 32;
  std::string label;  // a name for people (the model's), kept in key.json
};

class EmbeddingCache {
 public:
  // kind: "text" or "image"; settings: canonical JSON text of everything that changes the
  // embeddings; dim: the embedding width. Nothing is read before the first lookup and nothing
  // written before the first add.
  EmbeddingCache(std::filesystem::path dir, std::string kind, std::string settings, int64_t dim,
                 EmbeddingCacheOptions options = {});
  // close(), logging a failure.
  ~EmbeddingCache();
  EmbeddingCache(const EmbeddingCache&) = delete;
  EmbeddingCache& operator=(const EmbeddingCache&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  // The key's folder: dir() / "<kind>-<32 hex digits>".
  const std::filesystem::path& folder() const { return folder_; }
  const std::string& key_name() const { return key_name_; }

  // Reads what every shard of the key holds now (only what is new since the last call) and
  // returns a row for each digest found, else -1. Marks the key as used. Rows stay valid until
  // the next lookup().
  std::vector<int64_t> lookup(const std::vector<ItemDigest>& digests);
  // Embeddings of rows from the last lookup (all >= 0): [rows.size(), dim] float32 on the CPU.
  at::Tensor rows(const std::vector<int64_t>& rows) const;
  // Appends entries ([digests.size(), dim], converted to float32 on the CPU) to this object's
  // shard, created on the first call. A failure to write is a warning; later calls then do
  // nothing.
  void add(const std::vector<ItemDigest>& digests, const at::Tensor& embeddings);
  // Distinct items found in the key's shards by the lookups so far.
  int64_t size() const;
  // Records this object appended.
  int64_t added() const;

  // Seals this object's shard and, when it wrote anything, compacts the key when it has too many
  // shards and applies the size cap. Idempotent; add() after it starts a new shard.
  void close();

  struct State;

 private:
  void refresh();
  bool fetch_rows(const std::vector<ItemDigest>& digests, std::vector<int64_t>& found);
  void open_writer();
  void maintain();

  std::filesystem::path dir_;
  std::string kind_;
  std::string settings_;
  int64_t dim_;
  EmbeddingCacheOptions options_;
  ItemDigest key_;
  std::string key_name_;
  std::filesystem::path folder_;
  std::unique_ptr<State> state_;
};

}  // namespace hc
