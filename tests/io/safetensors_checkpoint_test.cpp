#include <catch2/catch.hpp>

#include <algorithm>
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

void write_shard(const fs::path& path, const std::vector<std::string>& names, float first_value) {
  hc::SafetensorsWriter writer;
  float value = first_value;
  for (const auto& name : names) {
    std::vector<float> data{value, value + 0.5f};
    writer.add(name, hc::DType::F32, {2}, data.data(), sizeof(float) * data.size());
    value += 1.0f;
  }
  writer.write(path);
}

float first_float(const hc::TensorView& view) {
  float value = 0;
  std::memcpy(&value, view.data, sizeof value);
  return value;
}

// Two shards beside an index in `folder`:
// shard 1 holds a.weight and a.bias, shard 2 holds b.weight.
fs::path write_sharded_checkpoint(const fs::path& folder) {
  write_shard(folder / "model-00001-of-00002.safetensors", {"a.weight", "a.bias"}, 1.0f);
  write_shard(folder / "model-00002-of-00002.safetensors", {"b.weight"}, 10.0f);
  fs::path index = folder / "model.safetensors.index.json";
  hc::test::write_bytes(index, R"({
    "metadata": {"total_size": 24},
    "weight_map": {
      "a.bias": "model-00001-of-00002.safetensors",
      "a.weight": "model-00001-of-00002.safetensors",
      "b.weight": "model-00002-of-00002.safetensors"
    }
  })");
  return index;
}

}  // namespace

TEST_CASE("a sharded checkpoint reads back through its index or its folder") {
  hc::test::TempDir dir;
  fs::path index = write_sharded_checkpoint(dir / "sharded");
  auto from_index = hc::SafetensorsCheckpoint::open(index);
  auto from_folder = hc::SafetensorsCheckpoint::open(dir / "sharded");
  for (const auto* checkpoint : {&from_index, &from_folder}) {
    REQUIRE(checkpoint->files().size() == 2);
    auto names = checkpoint->names();
    std::sort(names.begin(), names.end());
    REQUIRE(names == std::vector<std::string>{"a.bias", "a.weight", "b.weight"});
    REQUIRE(checkpoint->contains("b.weight"));
    REQUIRE_FALSE(checkpoint->contains("c.weight"));
    REQUIRE(first_float(checkpoint->get("a.weight")) == 1.0f);
    REQUIRE(first_float(checkpoint->get("a.bias")) == 2.0f);
    REQUIRE(first_float(checkpoint->get("b.weight")) == 10.0f);
    REQUIRE_THAT(checkpoint->description(),
                 Catch::Contains("model.safetensors.index.json") && Catch::Contains("2 shards"));
    hc::test::require_error([&] { checkpoint->get("c.weight"); }, index,
                            "no tensor named \"c.weight\"");
  }
}

TEST_CASE("a single-file checkpoint reads through its path or its folder") {
  hc::test::TempDir dir;
  write_shard(dir / "model.safetensors", {"w"}, 3.0f);
  auto checkpoint = hc::SafetensorsCheckpoint::open(dir.path());
  REQUIRE(checkpoint.names() == std::vector<std::string>{"w"});
  REQUIRE(first_float(checkpoint.get("w")) == 3.0f);
  REQUIRE(checkpoint.description() == (dir / "model.safetensors").string());
}

TEST_CASE("broken sharded checkpoints give an error naming the index and the fault") {
  hc::test::TempDir dir;
  fs::path folder = dir / "sharded";
  fs::path index = write_sharded_checkpoint(folder);
  auto open = [&] { hc::SafetensorsCheckpoint::open(index); };

  SECTION("a shard file is missing") {
    fs::remove(folder / "model-00002-of-00002.safetensors");
    hc::test::require_error(open, index,
                            "shard \"model-00002-of-00002.safetensors\" (for tensor \"b.weight\") "
                            "does not exist");
  }
  SECTION("the index maps a tensor to a shard that lacks it") {
    write_shard(folder / "model-00002-of-00002.safetensors", {"other"}, 10.0f);
    hc::test::require_error(open, index,
                            "maps tensor \"b.weight\" to shard \"model-00002-of-00002.safetensors\", "
                            "which does not contain it");
  }
  SECTION("a tensor is in two shards") {
    write_shard(folder / "model-00002-of-00002.safetensors", {"b.weight", "a.bias"}, 10.0f);
    hc::test::require_error(open, index,
                            "tensor \"a.bias\" appears in two shards, "
                            "model-00001-of-00002.safetensors and model-00002-of-00002.safetensors");
  }
  SECTION("a shard is malformed") {
    fs::path shard = folder / "model-00002-of-00002.safetensors";
    hc::test::write_bytes(shard, "abc");
    hc::test::require_error(open, shard, "shorter than the 8-byte header length");
  }
  SECTION("the index is missing") {
    fs::remove(index);
    hc::test::require_error(open, index, "no such file");
  }
  SECTION("the index is not JSON") {
    hc::test::write_bytes(index, "{\"weight_map\": ");
    hc::test::require_error(open, index, "not valid JSON");
  }
  SECTION("the index has no weight_map") {
    hc::test::write_bytes(index, R"({"metadata": {}})");
    hc::test::require_error(open, index, "expected an object with a \"weight_map\"");
  }
  SECTION("the weight_map is not an object") {
    hc::test::write_bytes(index, R"({"weight_map": ["a.weight"]})");
    hc::test::require_error(open, index, "\"weight_map\" must be an object");
  }
  SECTION("a weight_map value is not a file name") {
    hc::test::write_bytes(index, R"({"weight_map": {"a.weight": 1}})");
    hc::test::require_error(open, index, "weight_map \"a.weight\" must name a shard file");
  }
  SECTION("the weight_map is empty") {
    hc::test::write_bytes(index, R"({"weight_map": {}})");
    hc::test::require_error(open, index, "lists no tensors");
  }
}

TEST_CASE("a folder with no checkpoint in it is an error naming the folder") {
  hc::test::TempDir dir;
  fs::create_directories(dir / "empty_model");
  hc::test::require_error([&] { hc::SafetensorsCheckpoint::open(dir / "empty_model"); },
                          dir / "empty_model", "no model.safetensors or model.safetensors.index.json");
}
