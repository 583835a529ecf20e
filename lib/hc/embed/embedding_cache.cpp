#include "hc/embed/embedding_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include <ATen/ATen.h>

#include "hc/core/cache_dir.h"
#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/embed/cache_admin.h"
#include "hc/embed/cache_compaction.h"
#include "hc/embed/cache_key_folder.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

// The index keys on the first 8 bytes of each SHA-256 (uniformly distributed) to stay small on
// large keys; the full digest is compared when the record is read, so a collision is a miss,
// never a wrong row.
uint64_t digest_prefix(const ItemDigest& digest) {
  uint64_t prefix;
  std::memcpy(&prefix, digest.data(), sizeof prefix);
  return prefix;
}

const std::string kSealedSuffix = ".shard";
// Each compaction that removes a shard between our listing and our reads costs one attempt.
constexpr int kLookupAttempts = 8;

std::string live_to_sealed(const std::string& name) {
  return name.substr(0, name.size() - std::string(".live").size()) + kSealedSuffix;
}

}  // namespace

struct EmbeddingCache::State {
  struct File {
    std::string name;
    int64_t end = kShardHeaderBytes;  // records before this offset have been indexed
    bool rejected = false;
    bool tail_reported = false;
  };
  struct Location {
    uint32_t file;
    int64_t offset;
  };
  std::vector<File> files;
  std::unordered_map<std::string, uint32_t> file_of_name;
  std::unordered_map<uint64_t, Location> index;
  std::vector<float> hits;  // rows of the last lookup, [n, dim]
  std::unique_ptr<ShardWriter> writer;
  int64_t added = 0;
  bool write_failed = false;

  void forget_reads() {
    files.clear();
    file_of_name.clear();
    index.clear();
  }

  // The number of a shard file, new ones added. A sealed name whose live name is known is the
  // same file renamed by its writer: reading goes on where it stopped.
  uint32_t file_number(const std::string& name) {
    if (auto known = file_of_name.find(name); known != file_of_name.end()) return known->second;
    if (shard_file_kind(name) == ShardFileKind::Sealed) {
      const std::string live = name.substr(0, name.size() - kSealedSuffix.size()) + ".live";
      if (auto known = file_of_name.find(live); known != file_of_name.end()) {
        const uint32_t number = known->second;
        rename(number, name);
        return number;
      }
    }
    file_of_name.emplace(name, static_cast<uint32_t>(files.size()));
    files.push_back(File{name});
    return static_cast<uint32_t>(files.size() - 1);
  }

  void rename(uint32_t number, const std::string& name) {
    file_of_name.erase(files[number].name);
    file_of_name[name] = number;
    files[number].name = name;
  }
};

fs::path default_embedding_cache_dir() { return hc_cache_dir() / "embeddings"; }

ItemDigest text_digest(std::string_view text) {
  Sha256 hash;
  hash.update(text);
  return hash.digest();
}

ItemDigest file_digest(const fs::path& file) {
  Sha256 hash;
  update_from_file(hash, file);
  return hash.digest();
}

std::vector<ItemDigest> file_digests(const std::vector<fs::path>& files, ThreadPool& pool) {
  std::vector<ItemDigest> digests(files.size());
  pool.parallel_for(files.size(), [&](std::size_t i) { digests[i] = file_digest(files[i]); });
  return digests;
}

EmbeddingCache::EmbeddingCache(fs::path dir, std::string kind, std::string settings, int64_t dim,
                               EmbeddingCacheOptions options)
    : dir_(std::move(dir)),
      kind_(std::move(kind)),
      settings_(std::move(settings)),
      dim_(dim),
      options_(std::move(options)),
      key_(cache_key_digest(settings_)),
      key_name_(cache_key_name(kind_, key_)),
      folder_(dir_ / key_name_),
      state_(std::make_unique<State>()) {}

EmbeddingCache::~EmbeddingCache() {
  try {
    close();
  } catch (const std::exception& e) {
    spdlog::warn("embedding cache {}: {}", folder_.string(), e.what());
  }
}

// Indexes what is new in the key's shards: new files and what grew at the end of known ones. A
// file that vanishes meanwhile (sealed under its final name, merged by a compaction) means
// another look at the folder, where its records now are.
void EmbeddingCache::refresh() {
  State& s = *state_;
  for (int pass = 0; pass < 4; ++pass) {
    bool vanished = false;
    for (const fs::path& path : list_shard_files(folder_)) {
      const uint32_t number = s.file_number(path.filename().string());
      State::File& now = s.files[number];
      if (now.rejected) continue;
      const ShardScan scan = scan_shard(
          path, key_, dim_, now.end, [&](const ItemDigest& digest, const uint8_t*, int64_t at) {
            s.index.emplace(digest_prefix(digest), State::Location{number, at});
          });
      switch (scan.status) {
        case ShardScan::Status::Ok:
          now.end = scan.end;
          if (scan.damaged > 0) {
            spdlog::warn("embedding cache {}: skipped {} damaged records", path.string(),
                         scan.damaged);
          }
          if (scan.size > scan.end && !now.tail_reported) {
            spdlog::debug(
                "embedding cache {}: ignoring {} bytes at the end (an interrupted or "
                "unfinished write)",
                path.string(), scan.size - scan.end);
            now.tail_reported = true;
          }
          break;
        case ShardScan::Status::Incomplete:
          break;
        case ShardScan::Status::Vanished:
          vanished = true;
          break;
        case ShardScan::Status::Rejected:
          spdlog::warn("embedding cache: ignoring {} ({})", path.string(), scan.error);
          now.rejected = true;
          break;
      }
    }
    if (!vanished) return;
  }
}

// Copies the indexed rows of digests into state.hits. False when a shard changed under us (a
// compaction removed it): the caller starts over.
bool EmbeddingCache::fetch_rows(const std::vector<ItemDigest>& digests,
                                std::vector<int64_t>& found) {
  State& s = *state_;
  struct Wanted {
    uint32_t file;
    int64_t offset;
    std::size_t item;
  };
  std::vector<Wanted> wanted;
  for (std::size_t i = 0; i < digests.size(); ++i) {
    auto hit = s.index.find(digest_prefix(digests[i]));
    if (hit != s.index.end()) wanted.push_back({hit->second.file, hit->second.offset, i});
  }
  std::sort(wanted.begin(), wanted.end(), [](const Wanted& a, const Wanted& b) {
    return a.file != b.file ? a.file < b.file : a.offset < b.offset;
  });
  found.assign(digests.size(), -1);
  s.hits.clear();
  s.hits.reserve(wanted.size() * static_cast<std::size_t>(dim_));
  std::vector<float> row(static_cast<std::size_t>(dim_));
  for (std::size_t begin = 0; begin < wanted.size();) {
    std::size_t end = begin;
    while (end < wanted.size() && wanted[end].file == wanted[begin].file) ++end;
    State::File& file = s.files[wanted[begin].file];
    auto reader = std::make_unique<ShardReader>(folder_ / file.name);
    if (!reader->is_open() && shard_file_kind(file.name) == ShardFileKind::Live) {
      // Sealed since we read it: the same bytes under the final name.
      reader = std::make_unique<ShardReader>(folder_ / live_to_sealed(file.name));
      if (reader->is_open()) s.rename(wanted[begin].file, live_to_sealed(file.name));
    }
    for (std::size_t k = begin; k < end; ++k) {
      switch (reader->read(wanted[k].offset, dim_, digests[wanted[k].item], row.data())) {
        case ShardReader::Result::Ok:
          found[wanted[k].item] = static_cast<int64_t>(s.hits.size()) / dim_;
          s.hits.insert(s.hits.end(), row.begin(), row.end());
          break;
        case ShardReader::Result::OtherItem:
          break;  // another item with the same 8-byte prefix: a miss
        case ShardReader::Result::Failed:
          return false;
      }
    }
    begin = end;
  }
  return true;
}

std::vector<int64_t> EmbeddingCache::lookup(const std::vector<ItemDigest>& digests) {
  State& s = *state_;
  touch_cache_key(folder_);  // one utime call: the key's place in the eviction order
  std::vector<int64_t> found;
  for (int attempt = 0; attempt < kLookupAttempts; ++attempt) {
    refresh();
    if (fetch_rows(digests, found)) return found;
    spdlog::debug("embedding cache {}: shards changed while reading; reading them again",
                  folder_.string());
    s.forget_reads();
  }
  // Still changing under us: what was read is right, the rest is recomputed.
  return found;
}

at::Tensor EmbeddingCache::rows(const std::vector<int64_t>& rows) const {
  const State& s = *state_;
  const int64_t available = static_cast<int64_t>(s.hits.size()) / dim_;
  at::Tensor out = at::empty({static_cast<int64_t>(rows.size()), dim_}, at::kFloat);
  float* destination = out.data_ptr<float>();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= available) {
      throw std::out_of_range("EmbeddingCache::rows: row not found by the last lookup");
    }
    std::memcpy(destination + i * dim_, s.hits.data() + rows[i] * dim_, dim_ * sizeof(float));
  }
  return out;
}

void EmbeddingCache::open_writer() {
  fs::create_directories(folder_);
  write_cache_key_description(folder_, kind_, dim_, options_.label, settings_);
  state_->writer = std::make_unique<ShardWriter>(folder_, key_, dim_);
  touch_cache_key(folder_);
}

void EmbeddingCache::add(const std::vector<ItemDigest>& digests, const at::Tensor& embeddings) {
  if (digests.empty()) return;
  const at::Tensor values = embeddings.to(at::kCPU, at::kFloat).contiguous();
  if (values.dim() != 2 || values.size(0) != static_cast<int64_t>(digests.size()) ||
      values.size(1) != dim_) {
    throw std::invalid_argument("EmbeddingCache::add: embeddings must be [digests, dim]");
  }
  State& s = *state_;
  if (s.write_failed) return;
  try {
    if (s.writer && s.writer->detached()) {
      spdlog::info("embedding cache {}: the shard being written was removed; starting another",
                   folder_.string());
      s.writer.reset();
    }
    if (!s.writer) open_writer();
    s.writer->append(digests.data(), values.data_ptr<float>(),
                     static_cast<int64_t>(digests.size()));
    s.added += static_cast<int64_t>(digests.size());
  } catch (const std::exception& e) {
    spdlog::warn("could not write the embedding cache {}: {}; the rest of this run is not cached",
                 folder_.string(), e.what());
    s.write_failed = true;
  }
}

int64_t EmbeddingCache::size() const { return static_cast<int64_t>(state_->index.size()); }
int64_t EmbeddingCache::added() const { return state_->added; }

void EmbeddingCache::close() {
  State& s = *state_;
  if (!s.writer) return;
  const bool wrote = s.writer->records() > 0;
  std::unique_ptr<ShardWriter> writer = std::move(s.writer);
  writer->seal();
  if (wrote) maintain();
}

// Housekeeping after writing: merge the key's shards when there are many, keep the folder under
// its cap. Both are optional: failures are warnings.
void EmbeddingCache::maintain() {
  try {
    CompactionOptions compaction;
    compaction.min_shards = options_.compact_after_shards + 1;
    const CompactionResult result = compact_cache_key(folder_, compaction);
    if (result.compacted) {
      spdlog::info("embedding cache {}: merged {} shards into one", folder_.string(),
                   result.files_merged);
    }
  } catch (const std::exception& e) {
    spdlog::warn("embedding cache {}: compaction failed: {}", folder_.string(), e.what());
  }
  if (options_.max_bytes <= 0) return;
  try {
    PruneOptions prune;
    prune.max_bytes = options_.max_bytes;
    prune.compact = false;
    prune.remove_leftovers = false;  // files of an older hc version: `hc cache prune` removes them
    prune.keep = {key_name_};
    prune.in_use_s = options_.in_use_s;
    const PruneReport report = prune_cache(dir_, prune);
    if (report.keys_removed > 0) {
      spdlog::info("embedding cache {}: removed {} least recently used keys to stay under its cap",
                   dir_.string(), report.keys_removed);
    }
  } catch (const std::exception& e) {
    spdlog::warn("embedding cache {}: could not apply the size cap: {}", dir_.string(), e.what());
  }
}

}  // namespace hc
