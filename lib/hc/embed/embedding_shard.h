#pragma once
// The files of the embedding cache (the folder layout is in embedding_cache.h).
//
// A shard holds the records one writer added to one cache key. Only the process that created it
// ever writes to it, and only by appending, so readers need no lock (none that NFS would have to
// honour) and may read it while it grows:
//   header, 64 bytes: "HCEMBSHD", u32 format version, u32 dim, the key's 32-byte SHA-256,
//                     u32 record size, 8 zero bytes, u32 CRC-32 of the 60 bytes before it
//   records, each 32 + 4 * dim + 4 bytes: the item's SHA-256, dim float32 values, u32 CRC-32
//                     of those 32 + 4 * dim bytes
// Integers and floats are little-endian (checked at compile time).
//
// Fixed-size records, each with its own checksum, keep every failure local: a write cut short
// (SIGKILL, power loss, a full disk) leaves a partial or unverifiable last record that readers
// skip, and a damaged record elsewhere costs only itself, never a wrong embedding.
//
// File names in a key folder (writer id: <host>-<pid>-<16 hex digits>, unique per writer):
//   <writer id>.live   being appended to by its writer; read as it is
//   <writer id>.shard  sealed: its writer closed it (or it is the output of a compaction)
//   <writer id>.tmp    a compaction being written; ignored by readers
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hc/core/sha256.h"

namespace hc {

using ItemDigest = Sha256::Digest;

inline constexpr uint32_t kShardFormatVersion = 2;
inline constexpr int64_t kShardHeaderBytes = 64;
inline constexpr int64_t kDigestBytes = 32;

inline int64_t shard_record_bytes(int64_t dim) { return kDigestBytes + 4 * dim + 4; }

// The key of a cache entry: SHA-256 of the format version and the settings text, so a new file
// format never reads an old one. Its folder: <kind>-<first 32 hex digits of the key>.
ItemDigest cache_key_digest(const std::string& settings);
std::string cache_key_name(const std::string& kind, const ItemDigest& key);

enum class ShardFileKind { Live, Sealed, Temp, Other };
ShardFileKind shard_file_kind(const std::filesystem::path& file);

// True unless the file's writer is known to be gone: a .live file written by a process of this
// host that no longer runs. A live file of another host counts as alive (nothing to ask).
bool shard_writer_alive(const std::filesystem::path& live_file);

struct ShardHeader {
  uint32_t version = 0;
  int64_t dim = 0;
  ItemDigest key{};
};
// The header of a shard, or nullopt (with why in *error) when it is missing, short or damaged.
std::optional<ShardHeader> read_shard_header(const std::filesystem::path& file,
                                             std::string* error = nullptr);

// Appends records to a new shard of its own. Created as <id>.live (readers see it at once) or,
// for compaction, as <id>.tmp (readers ignore it until seal() renames it to <id>.shard).
class ShardWriter {
 public:
  enum class Visibility { Live, Hidden };

  // Creates the file exclusively and writes the header; an hc::Error when it cannot.
  ShardWriter(const std::filesystem::path& dir, const ItemDigest& key, int64_t dim,
              Visibility visibility = Visibility::Live);
  ~ShardWriter();  // seal(), logging a failure
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // Appends count records (digests[count], values[count * dim] float32). Written at once;
  // synced to the storage at most every sync interval and on seal(). On a write error the file
  // is cut back to its last whole record and an hc::Error thrown.
  void append(const ItemDigest* digests, const float* values, int64_t count);
  // Appends ready records (shard_record_bytes(dim) each, checksums included), e.g. copied from
  // another shard of the same key.
  void append_records(const uint8_t* records, int64_t count);
  // Syncs, closes and renames to <id>.shard (also syncing the folder). Idempotent.
  void seal();
  // Closes and deletes the file (an unfinished compaction). seal() then does nothing.
  void discard();
  // True when the file is no longer linked anywhere (the key was evicted or cleared): further
  // records would be lost, so the owner should start a new shard.
  bool detached() const;

  const std::filesystem::path& file() const { return file_; }
  int64_t records() const { return records_; }
  int64_t dim() const { return dim_; }

  static constexpr double kSyncIntervalS = 2.0;

 private:
  void write_all(const uint8_t* data, std::size_t size);

  std::filesystem::path file_;
  std::filesystem::path sealed_;
  int64_t dim_;
  int fd_ = -1;
  int64_t size_ = 0;
  int64_t records_ = 0;
  double last_sync_ = 0;
};

// Reads the verified records of a shard from byte offset `from` (0 or an `end` returned by an
// earlier scan), calling visit(digest, values, offset) for each: values points at dim float32
// (4 * dim bytes, not necessarily aligned for float), offset is where its record starts.
struct ShardScan {
  enum class Status {
    Ok,          // read to the end as it is now
    Incomplete,  // no whole header yet (a writer has just created it)
    Vanished,    // removed or replaced while being read (a compaction or eviction)
    Rejected,    // not a shard of this key and width, or unreadable: see error
  };
  Status status = Status::Ok;
  int64_t size = 0;     // the file size when read
  int64_t end = 0;      // just after the last verified record (kShardHeaderBytes if none)
  int64_t records = 0;  // verified records visited
  int64_t damaged = 0;  // records failing their checksum with verified records after them
  std::string error;
};
using ShardRecordVisitor =
    std::function<void(const ItemDigest& digest, const uint8_t* values, int64_t offset)>;
ShardScan scan_shard(const std::filesystem::path& file, const ItemDigest& key, int64_t dim,
                     int64_t from, const ShardRecordVisitor& visit);

// Random reads of single records, for rows found by an earlier scan.
class ShardReader {
 public:
  explicit ShardReader(const std::filesystem::path& file);
  ~ShardReader();
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  bool is_open() const { return fd_ >= 0; }
  enum class Result { Ok, OtherItem, Failed };
  // Copies the record at offset into out (dim floats) when it verifies and holds `expected`;
  // OtherItem when it verifies but holds another digest; Failed when it cannot be read or fails
  // its checksum (the file changed under us).
  Result read(int64_t offset, int64_t dim, const ItemDigest& expected, float* out);

 private:
  int fd_ = -1;
  std::vector<uint8_t> buffer_;
};

}  // namespace hc
