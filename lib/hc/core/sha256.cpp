#include "hc/core/sha256.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "hc/core/error.h"

namespace hc {
namespace {

// libcrypto's error queue as one line, for the message; empties the queue.
std::string openssl_errors() {
  std::string text;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text.empty() ? "no detail from OpenSSL" : text;
}

[[noreturn]] void throw_openssl_failure(const char* step) {
  throw runtime_error("SHA-256 through OpenSSL failed in {}: {}", step, openssl_errors());
}

// The SHA-256 method, looked up once: with OpenSSL 3 an EVP_sha256() passed to every
// EVP_DigestInit_ex is fetched again each time, which dominates hashing many short texts.
const EVP_MD* sha256_method() {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  static const EVP_MD* method = EVP_MD_fetch(nullptr, "SHA256", nullptr);
#else
  static const EVP_MD* method = EVP_sha256();
#endif
  if (method == nullptr) throw_openssl_failure("EVP_MD_fetch(SHA256)");
  return method;
}

}  // namespace

void Sha256::ContextDeleter::operator()(evp_md_ctx_st* context) const { EVP_MD_CTX_free(context); }

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (!context_) throw_openssl_failure("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(context_.get(), sha256_method(), nullptr) != 1) {
    throw_openssl_failure("EVP_DigestInit_ex");
  }
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size != 0 && EVP_DigestUpdate(context_.get(), data, size) != 1) {
    throw_openssl_failure("EVP_DigestUpdate");
  }
}

Sha256::Digest Sha256::digest() {
  Digest out{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_.get(), out.data(), &length) != 1 || length != out.size()) {
    throw_openssl_failure("EVP_DigestFinal_ex");
  }
  // Start afresh for the next message.
  if (EVP_DigestInit_ex(context_.get(), sha256_method(), nullptr) != 1) {
    throw_openssl_failure("EVP_DigestInit_ex");
  }
  return out;
}

std::string Sha256::hex_digest() { return to_hex(digest()); }

std::string to_hex(const Sha256::Digest& digest) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex(64, '0');
  for (std::size_t i = 0; i < digest.size(); ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 15];
  }
  return hex;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 hash;
  hash.update(bytes);
  return hash.hex_digest();
}

void update_from_file(Sha256& hash, const std::filesystem::path& path) {
  struct Descriptor {
    int fd;
    ~Descriptor() {
      if (fd >= 0) ::close(fd);
    }
  } file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) throw runtime_error("cannot read {}: {}", path.string(), std::strerror(errno));
  // Reads, not a mapping: a file truncated while it is hashed gives an error, not SIGBUS.
  std::vector<uint8_t> chunk(std::size_t{1} << 20);
  for (;;) {
    const ssize_t got = ::read(file.fd, chunk.data(), chunk.size());
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      throw runtime_error("cannot read {}: {}", path.string(), std::strerror(errno));
    }
    hash.update(chunk.data(), static_cast<std::size_t>(got));
  }
}

std::string sha256_file(const std::filesystem::path& path) {
  Sha256 hash;
  update_from_file(hash, path);
  return hash.hex_digest();
}

}  // namespace hc
