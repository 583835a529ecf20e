#pragma once
// SHA-256 (FIPS 180-4) through OpenSSL's libcrypto (EVP, which picks the CPU's SHA extensions or
// vector code at run time), torch-free: incremental over data of any size, and over whole files
// read in large chunks, for fingerprints of model weights and cache keys.
//
//   hc::Sha256 hash;
//   hash.update(bytes);            // any number of times
//   std::string hex = hash.hex_digest();
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace hc {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();  // throws hc::Error when libcrypto cannot provide SHA-256
  ~Sha256();
  Sha256(Sha256&&) noexcept;  // a moved-from object may only be destroyed or assigned to
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }

  // The digest of everything passed to update(); the object then starts afresh.
  Digest digest();
  // The same as 64 lower-case hex digits.
  std::string hex_digest();

 private:
  struct ContextDeleter {
    void operator()(evp_md_ctx_st* context) const;
  };
  std::unique_ptr<evp_md_ctx_st, ContextDeleter> context_;
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
