#include "hc/embed/embedding_shard.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "hc/core/error.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the embedding cache stores little-endian numbers as they are in memory");

namespace hc {
namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'H', 'C', 'E', 'M', 'B', 'S', 'H', 'D'};
constexpr const char* kLiveSuffix = ".live";
constexpr const char* kSealedSuffix = ".shard";
constexpr const char* kTempSuffix = ".tmp";
constexpr std::size_t kScanChunkBytes = 4 << 20;

uint32_t crc32_of(const uint8_t* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed very large ranges in pieces.
  while (size > 0) {
    const uInt piece = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    crc = crc32(crc, data, piece);
    data += piece;
    size -= piece;
  }
  return static_cast<uint32_t>(crc);
}

void put_u32(uint8_t* at, uint32_t value) { std::memcpy(at, &value, 4); }
uint32_t get_u32(const uint8_t* at) {
  uint32_t value;
  std::memcpy(&value, at, 4);
  return value;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Host names may hold '-' (the writer id separator) and characters unwelcome in file names.
std::string host_label() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "host";
  std::string label(name);
  for (char& c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.') c = '_';
  }
  return label;
}

std::string new_writer_id() {
  std::random_device device;
  const uint64_t random = (static_cast<uint64_t>(device()) << 32) ^ device();
  return fmt::format("{}-{}-{:016x}", host_label(), ::getpid(), random);
}

std::array<uint8_t, kShardHeaderBytes> encode_header(const ItemDigest& key, int64_t dim) {
  std::array<uint8_t, kShardHeaderBytes> header{};
  std::memcpy(header.data(), kMagic, 8);
  put_u32(header.data() + 8, kShardFormatVersion);
  put_u32(header.data() + 12, static_cast<uint32_t>(dim));
  std::memcpy(header.data() + 16, key.data(), kDigestBytes);
  put_u32(header.data() + 48, static_cast<uint32_t>(shard_record_bytes(dim)));
  put_u32(header.data() + 60, crc32_of(header.data(), 60));
  return header;
}

std::optional<ShardHeader> decode_header(const uint8_t* bytes, std::string* error) {
  const auto fail = [&](const char* why) -> std::optional<ShardHeader> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (std::memcmp(bytes, kMagic, 8) != 0) return fail("not an hc embedding shard");
  if (get_u32(bytes + 60) != crc32_of(bytes, 60)) return fail("damaged header");
  ShardHeader header;
  header.version = get_u32(bytes + 8);
  if (header.version != kShardFormatVersion) return fail("written by another format version");
  header.dim = get_u32(bytes + 12);
  if (header.dim < 1 || get_u32(bytes + 48) != shard_record_bytes(header.dim)) {
    return fail("inconsistent record size");
  }
  std::memcpy(header.key.data(), bytes + 16, kDigestBytes);
  return header;
}

// A file that disappeared or was replaced under us, as opposed to one we may not read.
bool vanished_errno(int error) { return error == ENOENT || error == ESTALE; }

// pread of the whole range: the bytes read (short at the end of the file), or -1 with errno.
ssize_t read_at(int fd, uint8_t* out, std::size_t size, int64_t offset) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd, out + done, size - done, offset + static_cast<int64_t>(done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return static_cast<ssize_t>(done);
}

struct Fd {
  int fd = -1;
  explicit Fd(int value) : fd(value) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void sync_folder(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.fd >= 0) ::fsync(fd.fd);  // best effort: not every file system allows it
}

}  // namespace

ItemDigest cache_key_digest(const std::string& settings) {
  Sha256 hash;
  hash.update(fmt::format("hc-embedding-cache-{}\n", kShardFormatVersion));
  hash.update(settings);
  return hash.digest();
}

std::string cache_key_name(const std::string& kind, const ItemDigest& key) {
  return kind + "-" + to_hex(key).substr(0, 32);
}

ShardFileKind shard_file_kind(const fs::path& file) {
  const fs::path suffix = file.filename().extension();
  if (suffix == kLiveSuffix) return ShardFileKind::Live;
  if (suffix == kSealedSuffix) return ShardFileKind::Sealed;
  if (suffix == kTempSuffix) return ShardFileKind::Temp;
  return ShardFileKind::Other;
}

bool shard_writer_alive(const fs::path& live_file) {
  // <host>-<pid>-<random>.live: the host may not hold '-' (host_label replaces it).
  const std::string stem = live_file.stem().string();
  const std::size_t last = stem.rfind('-');
  if (last == std::string::npos || last == 0) return true;
  const std::size_t before = stem.rfind('-', last - 1);
  if (before == std::string::npos) return true;
  if (stem.substr(0, before) != host_label()) return true;
  const std::string pid_text = stem.substr(before + 1, last - before - 1);
  if (pid_text.empty() || pid_text.size() > 9 ||
      !std::all_of(pid_text.begin(), pid_text.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    return true;
  }
  const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

std::optional<ShardHeader> read_shard_header(const fs::path& file, std::string* error) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) {
    if (error) *error = std::strerror(errno);
    return std::nullopt;
  }
  std::array<uint8_t, kShardHeaderBytes> bytes{};
  if (read_at(fd.fd, bytes.data(), bytes.size(), 0) != kShardHeaderBytes) {
    if (error) *error = "no whole header";
    return std::nullopt;
  }
  return decode_header(bytes.data(), error);
}

ShardWriter::ShardWriter(const fs::path& dir, const ItemDigest& key, int64_t dim,
                         Visibility visibility)
    : dim_(dim) {
  if (dim < 1) throw runtime_error("embedding shard: width must be positive, got {}", dim);
  const std::string id = new_writer_id();
  file_ = dir / (id + (visibility == Visibility::Live ? kLiveSuffix : kTempSuffix));
  sealed_ = dir / (id + kSealedSuffix);
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw runtime_error("cannot create the embedding cache shard {}: {}", file_.string(),
                        std::strerror(errno));
  }
  const auto header = encode_header(key, dim);
  try {
    write_all(header.data(), header.size());
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(file_.c_str());
    throw;
  }
  last_sync_ = now_s();
}

ShardWriter::~ShardWriter() {
  try {
    seal();
  } catch (const std::exception& e) {
    spdlog::warn("{}", e.what());
  }
}

void ShardWriter::write_all(const uint8_t* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t wrote = ::write(fd_, data + done, size - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      const int error = wrote < 0 ? errno : EIO;
      // Cut back to the last whole record so that later appends stay aligned.
      if (::ftruncate(fd_, size_) != 0 || ::lseek(fd_, size_, SEEK_SET) != size_) {
        ::close(fd_);
        fd_ = -1;
      }
      throw runtime_error("cannot append to the embedding cache shard {}: {}", file_.string(),
                          std::strerror(error));
    }
    done += static_cast<std::size_t>(wrote);
  }
  size_ += static_cast<int64_t>(size);
}

void ShardWriter::append(const ItemDigest* digests, const float* values, int64_t count) {
  const int64_t record = shard_record_bytes(dim_);
  std::vector<uint8_t> buffer(static_cast<std::size_t>(count * record));
  for (int64_t i = 0; i < count; ++i) {
    uint8_t* at = buffer.data() + i * record;
    std::memcpy(at, digests[i].data(), kDigestBytes);
    std::memcpy(at + kDigestBytes, values + i * dim_, static_cast<std::size_t>(4 * dim_));
    put_u32(at + record - 4, crc32_of(at, static_cast<std::size_t>(record - 4)));
  }
  append_records(buffer.data(), count);
}

void ShardWriter::append_records(const uint8_t* records, int64_t count) {
  if (fd_ < 0) throw runtime_error("the embedding cache shard {} is closed", file_.string());
  if (count <= 0) return;
  write_all(records, static_cast<std::size_t>(count * shard_record_bytes(dim_)));
  records_ += count;
  if (shard_file_kind(file_) == ShardFileKind::Live && now_s() - last_sync_ >= kSyncIntervalS) {
    ::fdatasync(fd_);  // bounds what a power loss can take; readers elsewhere see it sooner
    last_sync_ = now_s();
  }
}

void ShardWriter::seal() {
  if (fd_ < 0) return;
  const bool synced = ::fdatasync(fd_) == 0;
  const bool closed = ::close(fd_) == 0;
  fd_ = -1;
  if (!synced || !closed) {
    throw runtime_error("cannot finish the embedding cache shard {}: {}", file_.string(),
                        std::strerror(errno));
  }
  if (::rename(file_.c_str(), sealed_.c_str()) != 0) {
    if (vanished_errno(errno)) return;  // the key was cleared meanwhile: nothing to keep
    throw runtime_error("cannot rename the embedding cache shard {}: {}", file_.string(),
                        std::strerror(errno));
  }
  file_ = sealed_;
  sync_folder(file_.parent_path());
}

void ShardWriter::discard() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  ::unlink(file_.c_str());
}

bool ShardWriter::detached() const {
  if (fd_ < 0) return false;
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return true;  // ESTALE on NFS: removed by another host
  return info.st_nlink == 0;
}

ShardScan scan_shard(const fs::path& file, const ItemDigest& key, int64_t dim, int64_t from,
                     const ShardRecordVisitor& visit) {
  ShardScan scan;
  scan.end = std::max<int64_t>(from, kShardHeaderBytes);
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat info {};
  if (fd.fd < 0 || ::fstat(fd.fd, &info) != 0) {
    scan.status = vanished_errno(errno) ? ShardScan::Status::Vanished : ShardScan::Status::Rejected;
    scan.error = std::strerror(errno);
    return scan;
  }
  scan.size = info.st_size;
  std::array<uint8_t, kShardHeaderBytes> header_bytes{};
  if (scan.size < kShardHeaderBytes ||
      read_at(fd.fd, header_bytes.data(), header_bytes.size(), 0) != kShardHeaderBytes) {
    scan.status = ShardScan::Status::Incomplete;
    return scan;
  }
  const auto header = decode_header(header_bytes.data(), &scan.error);
  if (!header || header->key != key || header->dim != dim) {
    if (header) scan.error = "written for another cache key or width";
    scan.status = ShardScan::Status::Rejected;
    return scan;
  }

  const int64_t record = shard_record_bytes(dim);
  const int64_t per_chunk = std::max<int64_t>(1, kScanChunkBytes / record);
  std::vector<uint8_t> buffer(static_cast<std::size_t>(per_chunk * record));
  int64_t offset = scan.end;
  int64_t unverified = 0;  // damaged records since the last verified one
  while (offset + record <= scan.size) {
    const int64_t count = std::min(per_chunk, (scan.size - offset) / record);
    const ssize_t got =
        read_at(fd.fd, buffer.data(), static_cast<std::size_t>(count * record), offset);
    if (got < 0) {
      scan.status =
          vanished_errno(errno) ? ShardScan::Status::Vanished : ShardScan::Status::Rejected;
      scan.error = std::strerror(errno);
      return scan;
    }
    const int64_t whole = got / record;
    for (int64_t i = 0; i < whole; ++i) {
      const uint8_t* at = buffer.data() + i * record;
      if (get_u32(at + record - 4) != crc32_of(at, static_cast<std::size_t>(record - 4))) {
        ++unverified;
        continue;
      }
      ItemDigest digest;
      std::memcpy(digest.data(), at, kDigestBytes);
      visit(digest, at + kDigestBytes, offset + i * record);
      ++scan.records;
      scan.damaged += unverified;
      unverified = 0;
      scan.end = offset + (i + 1) * record;
    }
    if (whole < count) break;  // the file shrank under us: it is being replaced
    offset += count * record;
  }
  return scan;
}

ShardReader::ShardReader(const fs::path& file) : fd_(::open(file.c_str(), O_RDONLY | O_CLOEXEC)) {}

ShardReader::~ShardReader() {
  if (fd_ >= 0) ::close(fd_);
}

ShardReader::Result ShardReader::read(int64_t offset, int64_t dim, const ItemDigest& expected,
                                      float* out) {
  if (fd_ < 0) return Result::Failed;
  const int64_t record = shard_record_bytes(dim);
  buffer_.resize(static_cast<std::size_t>(record));
  if (read_at(fd_, buffer_.data(), buffer_.size(), offset) != record) return Result::Failed;
  if (get_u32(buffer_.data() + record - 4) !=
      crc32_of(buffer_.data(), static_cast<std::size_t>(record - 4))) {
    return Result::Failed;
  }
  if (std::memcmp(buffer_.data(), expected.data(), kDigestBytes) != 0) return Result::OtherItem;
  std::memcpy(out, buffer_.data() + kDigestBytes, static_cast<std::size_t>(4 * dim));
  return Result::Ok;
}

}  // namespace hc
