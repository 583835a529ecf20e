// Every way a safetensors file can be broken must end in one hc::Error naming the file and the
// fault, never in a crash or an out-of-bounds read (these tests also run under ASan/UBSan).
#include <catch2/catch.hpp>

#include <filesystem>
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
