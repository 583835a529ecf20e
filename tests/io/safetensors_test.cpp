#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "hc/io/safetensors.h"
#include "safetensors_test_util.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

const std::vector<hc::DType> kAllDTypes{hc::DType::F64, hc::DType::F32, hc::DType::F16,
                                        hc::DType::BF16, hc::DType::I64, hc::DType::I32,
                                        hc::DType::I16, hc::DType::I8, hc::DType::U8,
                                        hc::DType::BOOL};

// Distinct bytes per tensor, so a mix-up between tensors or offsets shows.
std::vector<std::byte> pattern(std::size_t count, int seed) {
  std::vector<std::byte> bytes(count);
  for (std::size_t i = 0; i < count; ++i) bytes[i] = static_cast<std::byte>((i * 7 + seed) & 0xff);
  return bytes;
}

std::size_t byte_count(hc::DType dtype, const std::vector<int64_t>& shape) {
  std::size_t count = hc::dtype_size(dtype);
  for (int64_t dim : shape) count *= static_cast<std::size_t>(dim);
  return count;
}

void add_pattern(hc::SafetensorsWriter& writer, const std::string& name, hc::DType dtype,
                 const std::vector<int64_t>& shape, int seed) {
  auto bytes = pattern(byte_count(dtype, shape), seed);
  writer.add(name, dtype, shape, bytes.data(), bytes.size());
}

bool holds_pattern(const hc::TensorView& view, int seed) {
  auto expected = pattern(view.nbytes, seed);
  return view.nbytes == 0 || std::memcmp(view.data, expected.data(), view.nbytes) == 0;
}

std::vector<int64_t> read_i64(const hc::TensorView& view) {
  REQUIRE(view.dtype == hc::DType::I64);
  std::vector<int64_t> values(static_cast<std::size_t>(view.numel()));
  std::memcpy(values.data(), view.data, view.nbytes);
  return values;
}

}  // namespace

TEST_CASE("dtype names, sizes and parsing agree") {
  for (hc::DType dtype : kAllDTypes) {
    REQUIRE(hc::parse_dtype(hc::dtype_name(dtype), "test") == dtype);
  }
  REQUIRE(hc::dtype_size(hc::DType::F64) == 8);
  REQUIRE(hc::dtype_size(hc::DType::BF16) == 2);
  REQUIRE(hc::dtype_size(hc::DType::BOOL) == 1);
  REQUIRE(std::string(hc::dtype_name(hc::DType::BF16)) == "BF16");
}

TEST_CASE("every dtype round-trips, including 0-dim and empty tensors") {
  hc::DType dtype = GENERATE(from_range(kAllDTypes));
  CAPTURE(hc::dtype_name(dtype));
  const std::vector<std::vector<int64_t>> shapes{{2, 3}, {}, {0}, {3, 0, 2}, {5}};
  hc::test::TempDir dir;
  fs::path path = dir / "round_trip.safetensors";

  hc::SafetensorsWriter writer;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    add_pattern(writer, "t" + std::to_string(i), dtype, shapes[i], static_cast<int>(i));
  }
  writer.set_metadata("format", "pt");
  writer.set_metadata("note", "round trip");
  writer.write(path);

  auto file = hc::SafetensorsFile::open(path);
  REQUIRE(file->names() == std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"});
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const hc::TensorView& view = file->get("t" + std::to_string(i));
    CAPTURE(i);
    REQUIRE(view.name == "t" + std::to_string(i));
    REQUIRE(view.dtype == dtype);
    REQUIRE(view.shape == shapes[i]);
    REQUIRE(view.nbytes == byte_count(dtype, shapes[i]));
    REQUIRE(holds_pattern(view, static_cast<int>(i)));
  }
  REQUIRE(file->get("t1").numel() == 1);
  REQUIRE(file->get("t3").numel() == 0);
  REQUIRE(file->metadata() == std::map<std::string, std::string>{{"format", "pt"},
                                                                   {"note", "round trip"}});
}

TEST_CASE("the writer keeps insertion order, pads the header and aligns the data") {
  hc::test::TempDir dir;
  fs::path path = dir / "order.safetensors";
  hc::SafetensorsWriter writer;
  add_pattern(writer, "zeta", hc::DType::F64, {3}, 1);
  add_pattern(writer, "alpha", hc::DType::U8, {5}, 2);
  add_pattern(writer, "mid", hc::DType::I32, {2, 2}, 3);
  writer.write(path);

  std::string bytes = hc::test::read_bytes(path);
  std::uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | static_cast<std::uint8_t>(bytes[i]);
  REQUIRE(header_length % 8 == 0);
  REQUIRE(bytes.size() == 8 + header_length + 24 + 5 + 16);
  REQUIRE(bytes.find("__metadata__") == std::string::npos);

  auto file = hc::SafetensorsFile::open(path);
  REQUIRE(file->names() == std::vector<std::string>{"zeta", "alpha", "mid"});
  REQUIRE(reinterpret_cast<std::uintptr_t>(file->get("zeta").data) % 8 == 0);
  REQUIRE(holds_pattern(file->get("alpha"), 2));
  REQUIRE(holds_pattern(file->get("mid"), 3));
  // Nothing but the file itself is left in the folder: the temp file was renamed into place.
  REQUIRE(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("the writer refuses duplicate names, wrong byte counts and bad shapes") {
  hc::SafetensorsWriter writer;
  std::vector<std::byte> bytes(8);
  writer.add("w", hc::DType::F32, {2}, bytes.data(), 8);
  REQUIRE_THROWS_WITH(writer.add("w", hc::DType::F32, {2}, bytes.data(), 8),
                      Catch::Contains("\"w\" added twice"));
  REQUIRE_THROWS_WITH(writer.add("v", hc::DType::F32, {3}, bytes.data(), 8),
                      Catch::Contains("\"v\": 8 bytes given but shape and dtype F32 need 12"));
  REQUIRE_THROWS_WITH(writer.add("n", hc::DType::U8, {-8}, bytes.data(), 8),
                      Catch::Contains("\"n\": negative dim -8"));
  REQUIRE_THROWS_WITH(writer.add("__metadata__", hc::DType::U8, {8}, bytes.data(), 8),
                      Catch::Contains("reserved"));
  REQUIRE_THROWS_AS(writer.add("null", hc::DType::U8, {8}, nullptr, 8), hc::Error);
  writer.add("empty", hc::DType::F32, {0}, nullptr, 0);
}

TEST_CASE("asking a file for a tensor it lacks names the file and the tensor") {
  hc::test::TempDir dir;
  fs::path path = dir / "one.safetensors";
  hc::SafetensorsWriter writer;
  add_pattern(writer, "present", hc::DType::U8, {1}, 0);
  writer.write(path);
  auto file = hc::SafetensorsFile::open(path);
  REQUIRE(file->contains("present"));
  REQUIRE_FALSE(file->contains("absent"));
  hc::test::require_error([&] { file->get("absent"); }, path, "no tensor named \"absent\"");
}

TEST_CASE("the preprocessing fixture reads as F32 pixel values with its image order") {
  fs::path path = hc::test::shared_path("fixtures/preprocess/expected.safetensors");
  auto file = hc::SafetensorsFile::open(path);
  REQUIRE(file->names() == std::vector<std::string>{"pixel_values"});
  const hc::TensorView& pixels = file->get("pixel_values");
  REQUIRE(pixels.dtype == hc::DType::F32);
  REQUIRE(pixels.shape == std::vector<int64_t>{10, 3, 224, 224});
  REQUIRE(pixels.nbytes == 10 * 3 * 224 * 224 * 4);
  std::vector<float> values(static_cast<std::size_t>(pixels.numel()));
  std::memcpy(values.data(), pixels.data, pixels.nbytes);
  // CLIP-normalized pixels lie within about [-1.8, 2.2].
  auto implausible = std::count_if(values.begin(), values.end(), [](float value) {
    return !std::isfinite(value) || std::abs(value) > 3.0f;
  });
  REQUIRE(implausible == 0);
  const std::string& order = file->metadata().at("order");
  REQUIRE(order.rfind("COCO_val2014_000000220764.jpg,", 0) == 0);
  REQUIRE(std::count(order.begin(), order.end(), ',') == 9);
}

TEST_CASE("the tiny CLIP fixtures read with their dtypes and shapes") {
  SECTION("tiny-quickgelu: F16 weights, I64 position ids") {
    auto checkpoint = hc::SafetensorsCheckpoint::open(hc::test::shared_path("fixtures/model/tiny-quickgelu"));
    REQUIRE(checkpoint.files().size() == 1);
    REQUIRE(checkpoint.files()[0]->path().filename() == "model.safetensors");
    REQUIRE(checkpoint.names().size() == 80);
    REQUIRE(checkpoint.files()[0]->metadata().at("format") == "pt");
    const auto& embedding = checkpoint.get("text_model.embeddings.token_embedding.weight");
    REQUIRE(embedding.dtype == hc::DType::F16);
    REQUIRE(embedding.shape == std::vector<int64_t>{49408, 64});
    const auto& position_ids = checkpoint.get("text_model.embeddings.position_ids");
    REQUIRE(position_ids.shape == std::vector<int64_t>{1, 77});
    auto ids = read_i64(position_ids);
    for (std::size_t i = 0; i < ids.size(); ++i) REQUIRE(ids[i] == static_cast<int64_t>(i));
  }
  SECTION("tiny-gelu: BF16 weights") {
    auto file = hc::SafetensorsFile::open(hc::test::shared_path("fixtures/model/tiny-gelu/model.safetensors"));
    REQUIRE(file->names().size() == 78);
    const auto& embedding = file->get("text_model.embeddings.token_embedding.weight");
    REQUIRE(embedding.dtype == hc::DType::BF16);
    REQUIRE(embedding.shape == std::vector<int64_t>{49408, 96});
    REQUIRE(file->get("text_model.encoder.layers.0.self_attn.q_proj.bias").shape ==
            std::vector<int64_t>{96});
  }
}
