#include "hc/embed/embedding_cache.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <optional>
#include <unordered_map>

#include <ATen/ATen.h>

#include "hc/core/cache_dir.h"
#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/hub/file_lock.h"
#include "hc/io/safetensors.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "hc-embedding-cache-1";
constexpr int64_t kDigestBytes = 32;

struct DigestHash {
  std::size_t operator()(const ItemDigest& digest) const noexcept {
    std::size_t h;
    std::memcpy(&h, digest.data(), sizeof h);  // already uniformly distributed
    return h;
  }
};

}  // namespace

struct EmbeddingCache::Table {
  std::vector<ItemDigest> digests;
  std::vector<float> values;  // [size(), dim] row-major
  std::unordered_map<ItemDigest, int64_t, DigestHash> index;

  int64_t size() const { return static_cast<int64_t>(digests.size()); }

  void append(const ItemDigest& digest, const float* row, int64_t dim) {
    if (!index.emplace(digest, size()).second) return;  // first one wins
    digests.push_back(digest);
    values.insert(values.end(), row, row + dim);
  }

  void append_all(const Table& other, int64_t dim) {
    for (int64_t i = 0; i < other.size(); ++i) {
      append(other.digests[i], other.values.data() + i * dim, dim);
    }
  }
};

namespace {

using Table = EmbeddingCache::Table;

std::string metadata_value(const SafetensorsFile& file, const std::string& key) {
  auto found = file.metadata().find(key);
  return found == file.metadata().end() ? "" : found->second;
}

// What the file holds, or an empty table when it is missing, corrupt or made for other
// settings (warned about: the next write replaces it).
Table read_table(const fs::path& path, const std::string& kind, const std::string& settings,
                 int64_t dim, bool warn = true) {
  Table table;
  std::error_code ec;
  if (!fs::exists(path, ec)) return table;
  try {
    auto file = SafetensorsFile::open(path);
    if (metadata_value(*file, "format") != kFormat || metadata_value(*file, "kind") != kind ||
        metadata_value(*file, "settings") != settings) {
      throw runtime_error("written for other settings or by another version");
    }
    const TensorView& digests = file->get("digests");
    const TensorView& values = file->get("embeddings");
    if (digests.dtype != DType::U8 || digests.shape.size() != 2 ||
        digests.shape[1] != kDigestBytes) {
      throw runtime_error("'digests' must be U8 [N, {}]", kDigestBytes);
    }
    const int64_t rows = digests.shape[0];
    if (values.dtype != DType::F32 || values.shape != std::vector<int64_t>{rows, dim}) {
      throw runtime_error("'embeddings' must be F32 [{}, {}]", rows, dim);
    }
    std::vector<float> row(static_cast<std::size_t>(dim));
    for (int64_t i = 0; i < rows; ++i) {
      ItemDigest digest;
      std::memcpy(digest.data(), digests.data + i * kDigestBytes, kDigestBytes);
      // The mapping need not be aligned for float: copy rather than cast.
      std::memcpy(row.data(), values.data + i * dim * sizeof(float), dim * sizeof(float));
      table.append(digest, row.data(), dim);
    }
  } catch (const Error& e) {
    spdlog::log(warn ? spdlog::level::warn : spdlog::level::debug,
                "ignoring the embedding cache {} ({}); it will be rebuilt", path.string(),
                e.what());
    return Table{};
  }
  return table;
}

void write_table(const Table& table, const fs::path& path, const std::string& kind,
                 const std::string& settings, int64_t dim) {
  SafetensorsWriter writer;
  writer.add("digests", DType::U8, {table.size(), kDigestBytes}, table.digests.data(),
             table.digests.size() * kDigestBytes);
  writer.add("embeddings", DType::F32, {table.size(), dim}, table.values.data(),
             table.values.size() * sizeof(float));
  writer.set_metadata("format", kFormat);
  writer.set_metadata("kind", kind);
  writer.set_metadata("settings", settings);
  writer.write(path);
}

}  // namespace

fs::path default_embedding_cache_dir() { return hc_cache_dir() / "embeddings"; }

ItemDigest text_digest(std::string_view text) {
  Sha256 hash;
  hash.update(text);
  return hash.digest();
}

std::vector<ItemDigest> file_digests(const std::vector<fs::path>& files, ThreadPool& pool) {
  std::vector<ItemDigest> digests(files.size());
  pool.parallel_for(files.size(), [&](std::size_t i) {
    Sha256 hash;
    update_from_file(hash, files[i]);
    digests[i] = hash.digest();
  });
  return digests;
}

EmbeddingCache::EmbeddingCache(fs::path dir, std::string kind, std::string settings, int64_t dim)
    : kind_(std::move(kind)), settings_(std::move(settings)), dim_(dim) {
  file_ = std::move(dir) / (kind_ + "-" + sha256_hex(settings_).substr(0, 32) + ".safetensors");
}

EmbeddingCache::~EmbeddingCache() = default;

void EmbeddingCache::load_once() {
  if (table_) return;
  table_ = std::make_unique<Table>(read_table(file_, kind_, settings_, dim_));
  if (table_->size() > 0) {
    spdlog::debug("embedding cache {}: {} entries", file_.string(), table_->size());
  }
}

std::vector<int64_t> EmbeddingCache::lookup(const std::vector<ItemDigest>& digests) {
  load_once();
  std::vector<int64_t> rows(digests.size(), -1);
  for (std::size_t i = 0; i < digests.size(); ++i) {
    auto found = table_->index.find(digests[i]);
    if (found != table_->index.end()) rows[i] = found->second;
  }
  return rows;
}

at::Tensor EmbeddingCache::rows(const std::vector<int64_t>& rows) const {
  at::Tensor out = at::empty({static_cast<int64_t>(rows.size()), dim_}, at::kFloat);
  float* dst = out.data_ptr<float>();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!table_ || rows[i] < 0 || rows[i] >= table_->size()) {
      throw std::out_of_range("EmbeddingCache::rows: row not in the cache");
    }
    std::memcpy(dst + i * dim_, table_->values.data() + rows[i] * dim_, dim_ * sizeof(float));
  }
  return out;
}

void EmbeddingCache::add(const std::vector<ItemDigest>& digests, const at::Tensor& embeddings) {
  if (digests.empty()) return;
  load_once();
  const at::Tensor values = embeddings.to(at::kCPU, at::kFloat).contiguous();
  if (values.dim() != 2 || values.size(0) != static_cast<int64_t>(digests.size()) ||
      values.size(1) != dim_) {
    throw std::invalid_argument("EmbeddingCache::add: embeddings must be [digests, dim]");
  }
  Table fresh;
  for (std::size_t i = 0; i < digests.size(); ++i) {
    fresh.append(digests[i], values.data_ptr<float>() + i * dim_, dim_);
  }
  try {
    fs::create_directories(file_.parent_path());
    hub::FileLock lock(file_.string() + ".lock");
    // Another process may have added entries since we read the file: keep them.
    Table merged = read_table(file_, kind_, settings_, dim_, /*warn=*/false);  // warned on load
    merged.append_all(*table_, dim_);
    merged.append_all(fresh, dim_);
    write_table(merged, file_, kind_, settings_, dim_);
    *table_ = std::move(merged);
  } catch (const std::exception& e) {
    spdlog::warn("could not write the embedding cache {}: {}", file_.string(), e.what());
    table_->append_all(fresh, dim_);
  }
}

int64_t EmbeddingCache::size() const { return table_ ? table_->size() : 0; }

}  // namespace hc
