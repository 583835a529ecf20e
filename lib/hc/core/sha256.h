#pragma once
// SHA-256 (FIPS 180-4), torch-free: incremental over data of any size, and over whole files read
// in large chunks, for fingerprints of model weights and cache keys.
//
//   hc::Sha256 hash;
//   hash.update(bytes);            // any number of times
//   std::string hex = hash.hex_digest();
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace hc {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();

  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }

  // The digest of everything passed to update(); the object then starts afresh.
  Digest digest();
  // The same as 64 lower-case hex digits.
  std::string hex_digest();

 private:
  void reset();
  void compress(const uint8_t* blocks, std::size_t count);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  std::size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes seen
};

// 64 lower-case hex digits.
std::string to_hex(const Sha256::Digest& digest);

std::string sha256_hex(std::string_view bytes);

// The SHA-256 of a file's contents, read in 1 MiB chunks (what `sha256sum FILE` prints). Throws
// an hc::Error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

// Feeds a file's contents into hash; the same errors.
void update_from_file(Sha256& hash, const std::filesystem::path& path);

}  // namespace hc
