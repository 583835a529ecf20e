// Every way a safetensors file can be broken must end in one hc::Error naming the file and the
// fault, never in a crash or an out-of-bounds read (these tests also run under ASan/UBSan).
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hc/io/safetensors.h"
#include "safetensors_test_util.h"
#include "test_support.h"

namespace fs = std::filesystem;
using hc::test::safetensors_bytes;

namespace {

struct MalformedCase {
  const char* what;
  std::string bytes;
  std::string fault;  // a fragment the message must contain
};

const std::string kEightBytes(8, '\x01');
// A header padded with spaces to a multiple of 8 bytes, as writers do, for one 8-byte tensor.
const std::string kPaddedHeader =
    R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})" + std::string(2, ' ');

// The length prefix of a safetensors file.
std::uint64_t header_length(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char prefix[8] = {};
  in.read(reinterpret_cast<char*>(prefix), 8);
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | prefix[i];
  return length;
}

std::vector<MalformedCase> malformed_cases() {
  return {
      {"empty file", "", "shorter than the 8-byte header length"},
      {"file shorter than the length prefix", "abc", "shorter than the 8-byte header length"},
      {"header length past the end", hc::test::little_endian_u64(100) + "{}",
       "truncated: header length 100 runs past the end"},
      {"absurd header length", hc::test::little_endian_u64(200'000'000) + "{}",
       "header length 200000000 is over the 100000000 byte limit"},
      {"header length near 2^64", hc::test::little_endian_u64(~0ULL) + "{}", "byte limit"},
      {"header not JSON", safetensors_bytes("{not json"), "header is not valid JSON"},
      {"header not UTF-8", safetensors_bytes("{\"\xff\xfe\": 1}"), "header is not valid JSON"},
      {"header an array", safetensors_bytes("[1, 2]"), "header must be a JSON object, not array"},
      {"entry not an object", safetensors_bytes(R"({"a": 3})"),
       "tensor \"a\": expected an object with dtype, shape and data_offsets"},
      {"missing dtype", safetensors_bytes(R"({"a": {"shape": [2], "data_offsets": [0, 8]}})", kEightBytes),
       "tensor \"a\": missing \"dtype\""},
      {"missing shape", safetensors_bytes(R"({"a": {"dtype": "F32", "data_offsets": [0, 8]}})", kEightBytes),
       "tensor \"a\": missing \"shape\""},
      {"missing data_offsets", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [2]}})", kEightBytes),
       "tensor \"a\": missing \"data_offsets\""},
      {"dtype not a string", safetensors_bytes(R"({"a": {"dtype": 4, "shape": [2], "data_offsets": [0, 8]}})", kEightBytes),
       "tensor \"a\": \"dtype\" must be a string, not number"},
      {"shape not an array", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}})", kEightBytes),
       "tensor \"a\": \"shape\" must be an array of integers, not string"},
      {"fractional dim", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}})", kEightBytes),
       "shape dim must be a non-negative integer, not number"},
      {"data_offsets with one number", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8]}})", kEightBytes),
       "\"data_offsets\" must be an array [begin, end]"},
      {"data_offsets not an array", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": {"b": 0}}})", kEightBytes),
       "\"data_offsets\" must be an array [begin, end]"},
      {"data_offsets as strings", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": ["0", "8"]}})", kEightBytes),
       "data offset begin must be a non-negative integer, not string"},
      {"unknown dtype", safetensors_bytes(R"({"a": {"dtype": "F8", "shape": [2], "data_offsets": [0, 2]}})", kEightBytes),
       "tensor \"a\": unknown dtype \"F8\""},
      {"negative dim", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", kEightBytes),
       "tensor \"a\": shape dim -2 is negative"},
      {"negative offset", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}})", kEightBytes),
       "data offset begin -8 is negative"},
      {"shape and byte range disagree", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", kEightBytes),
       "tensor \"a\": data_offsets [0, 8] hold 8 bytes but shape and dtype F32 need 12"},
      {"shape overflowing 64 bits", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}})", kEightBytes),
       "tensor \"a\": shape is too large"},
      {"begin past end", safetensors_bytes(R"({"a": {"dtype": "U8", "shape": [0], "data_offsets": [8, 4]}})", kEightBytes),
       "tensor \"a\": data_offsets begin 8 is past end 4"},
      {"data past the end of the file", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", kEightBytes),
       "tensor \"a\": truncated: data_offsets end 16 is past the 8 bytes of data"},
      {"empty tensor past the end", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [0], "data_offsets": [9, 9]}})", kEightBytes),
       "truncated: data_offsets end 9"},
      {"overlapping tensors", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "b": {"dtype": "I16", "shape": [3], "data_offsets": [0, 6]}})", kEightBytes),
       "tensors \"b\" [0, 6] and \"a\" [4, 8] overlap"},
      {"a hole between tensors", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "I16", "shape": [1], "data_offsets": [6, 8]}})", kEightBytes),
       "data bytes [4, 6) belong to no tensor: a hole between \"a\" [0, 4] and \"b\" [6, 8]"},
      {"a hole before the first tensor", safetensors_bytes(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]}})", kEightBytes),
       "data bytes [0, 4) belong to no tensor: a hole before \"a\" [4, 8]"},
      {"trailing bytes after the last tensor", safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", kEightBytes),
       "data bytes [4, 8) after the last tensor \"a\" [0, 4] belong to no tensor: 4 trailing byte(s)"},
      {"data but no tensor", safetensors_bytes("{}", kEightBytes),
       "data bytes [0, 8) after an empty header belong to no tensor"},
      {"an empty tensor inside another", safetensors_bytes(R"({"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]}, "e": {"dtype": "F32", "shape": [0], "data_offsets": [2, 2]}})", kEightBytes),
       "empty tensor \"e\" [2, 2] lies inside \"a\" [0, 8]"},
      // A header length one byte short of the padded header: the JSON still parses (it only lost
      // a padding space), and the space then reads as the first data byte.
      {"header length one byte short", hc::test::little_endian_u64(kPaddedHeader.size() - 1) + kPaddedHeader + kEightBytes,
       "data bytes [8, 9) after the last tensor \"a\" [0, 8] belong to no tensor: 1 trailing byte(s)"},
      // One byte long: the header swallows the first data byte, and the data falls a byte short.
      {"header length one byte long", hc::test::little_endian_u64(kPaddedHeader.size() + 1) + kPaddedHeader + kEightBytes,
       "header is not valid JSON"},
      {"header length one byte long over a whitespace data byte", hc::test::little_endian_u64(kPaddedHeader.size() + 1) + kPaddedHeader + " " + std::string(7, '\x01'),
       "tensor \"a\": truncated: data_offsets end 8 is past the 7 bytes of data"},
      {"the same tensor twice", safetensors_bytes(R"({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}})", kEightBytes),
       "header lists \"a\" twice"},
      {"metadata not an object", safetensors_bytes(R"({"__metadata__": ["x"]})"),
       "__metadata__ must be an object of strings, not array"},
      {"metadata value not a string", safetensors_bytes(R"({"__metadata__": {"epoch": 3}})"),
       "__metadata__ key \"epoch\" must be a string, not number"},
  };
}

}  // namespace

TEST_CASE("malformed safetensors files give an error naming the file and the fault") {
  hc::test::TempDir dir;
  for (const auto& malformed : malformed_cases()) {
    SECTION(malformed.what) {
      fs::path path = dir / "broken_input.safetensors";
      hc::test::write_bytes(path, malformed.bytes);
      hc::test::require_error([&] { hc::SafetensorsFile::open(path); }, path, malformed.fault);
      // The checkpoint reader goes through the same validation.
      hc::test::require_error([&] { hc::SafetensorsCheckpoint::open(path); }, path, malformed.fault);
    }
  }
}

TEST_CASE("a missing safetensors file or a folder is an error naming it") {
  hc::test::TempDir dir;
  hc::test::require_error([&] { hc::SafetensorsFile::open(dir / "absent.safetensors"); },
                          dir / "absent.safetensors", "cannot open");
  fs::create_directories(dir / "folder.safetensors");
  hc::test::require_error([&] { hc::SafetensorsFile::open(dir / "folder.safetensors"); },
                          dir / "folder.safetensors", "not a regular file");
}

TEST_CASE("an unknown dtype name is an error naming where it came from") {
  hc::test::require_error([] { hc::parse_dtype("float32", "weights.safetensors: tensor \"w\""); },
                          "weights.safetensors", "unknown dtype \"float32\"");
}

TEST_CASE("a tensor range ending exactly where the next begins is no overlap") {
  hc::test::TempDir dir;
  fs::path path = dir / "touching.safetensors";
  hc::test::write_bytes(
      path, safetensors_bytes(R"({"b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
                                  "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                  "e": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]}})",
                              kEightBytes));
  auto file = hc::SafetensorsFile::open(path);
  REQUIRE(file->names() == std::vector<std::string>{"b", "a", "e"});
  REQUIRE(file->get("e").nbytes == 0);
}

TEST_CASE("empty tensors may sit at both ends of the data and between tensors") {
  hc::test::TempDir dir;
  fs::path path = dir / "edges.safetensors";
  const std::string data = "\x01\x02\x03\x04\x05\x06\x07\x08";
  hc::test::write_bytes(
      path, safetensors_bytes(R"({"last": {"dtype": "F32", "shape": [0, 3], "data_offsets": [8, 8]},
                                  "b": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]},
                                  "middle": {"dtype": "I64", "shape": [0], "data_offsets": [4, 4]},
                                  "a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                                  "first": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}})",
                              data));
  auto file = hc::SafetensorsFile::open(path);
  CHECK(file->get("first").nbytes == 0);
  CHECK(file->get("middle").nbytes == 0);
  CHECK(file->get("last").nbytes == 0);
  REQUIRE(file->get("a").nbytes == 4);
  CHECK(std::memcmp(file->get("a").data, data.data(), 4) == 0);
  CHECK(std::memcmp(file->get("b").data, data.data() + 4, 4) == 0);

  // Only empty tensors and no data: the empty data section is covered.
  hc::test::write_bytes(path, safetensors_bytes(
      R"({"z": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}})"));
  CHECK(hc::SafetensorsFile::open(path)->get("z").nbytes == 0);
}

TEST_CASE("a padded header of the right length loads the tensor bytes unshifted") {
  hc::test::TempDir dir;
  fs::path path = dir / "padded.safetensors";
  const std::string data = "\x11\x22\x33\x44\x55\x66\x77\x88";
  hc::test::write_bytes(path, safetensors_bytes(kPaddedHeader, data));
  auto file = hc::SafetensorsFile::open(path);
  REQUIRE(file->get("a").nbytes == 8);
  CHECK(std::memcmp(file->get("a").data, data.data(), 8) == 0);
}

TEST_CASE("every safetensors file among the shared fixtures is valid and opens") {
  // Files from several writers (Python safetensors, this project's writer): the exact-coverage
  // rule must accept all of them.
  std::size_t opened = 0;
  for (const auto& entry : fs::recursive_directory_iterator(hc::test::shared_path("fixtures"))) {
    if (entry.path().extension() != ".safetensors") continue;
    INFO(entry.path().string());
    auto file = hc::SafetensorsFile::open(entry.path());
    std::size_t bytes = 0;
    for (const auto& name : file->names()) bytes += file->get(name).nbytes;
    // The tensors tile the data section: their sizes add up to everything after the header.
    CHECK(bytes == fs::file_size(entry.path()) - 8 - header_length(entry.path()));
    ++opened;
  }
  CHECK(opened > 0);
}
