// SHA-256 against FIPS 180-4's test vectors, fed whole, in pieces and from files.
#include <catch2/catch.hpp>

#include <string>

#include "hc/core/error.h"
#include "hc/core/sha256.h"
#include "test_support.h"

TEST_CASE("SHA-256 of the standard test vectors", "[sha256]") {
  CHECK(hc::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hc::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hc::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(hc::sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 fed in pieces of any size equals the one-shot digest", "[sha256]") {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>((i * 7919) % 256);
  const std::string expected = hc::sha256_hex(data);
  // Lengths around the 55/56/64-byte padding boundaries.
  for (std::size_t length : {55u, 56u, 63u, 64u, 65u, 119u, 120u, 1000u}) {
    const std::string prefix = data.substr(0, length);
    for (std::size_t piece : {1u, 3u, 63u, 64u, 65u, 200u}) {
      hc::Sha256 hash;
      for (std::size_t at = 0; at < prefix.size(); at += piece) {
        hash.update(std::string_view(prefix).substr(at, piece));
      }
      INFO("length " << length << ", pieces of " << piece);
      CHECK(hash.hex_digest() == hc::sha256_hex(prefix));
    }
  }
  hc::Sha256 reused;
  reused.update("abc");
  reused.hex_digest();
  reused.update(data);
  CHECK(reused.hex_digest() == expected);  // a digest starts the object afresh
}

TEST_CASE("sha256_file hashes the file's bytes; a missing file is named", "[sha256]") {
  hc::test::TempDir dir;
  std::string content(3 * (1 << 20) + 17, '\0');  // more than one 1 MiB read
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 31 + 7);
  hc::test::write_bytes(dir / "blob.bin", content);
  CHECK(hc::sha256_file(dir / "blob.bin") == hc::sha256_hex(content));
  hc::test::write_bytes(dir / "empty", "");
  CHECK(hc::sha256_file(dir / "empty") == hc::sha256_hex(""));
  try {
    hc::sha256_file(dir / "absent.bin");
    FAIL("no error for a missing file");
  } catch (const hc::Error& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains("absent.bin"));
  }
}
