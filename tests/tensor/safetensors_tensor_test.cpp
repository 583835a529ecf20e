#include "catch_torch.h"

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "../io/safetensors_test_util.h"
#include "compute_matrix.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

const std::vector<torch::ScalarType> kSupported{torch::kDouble, torch::kFloat, torch::kHalf,
                                                torch::kBFloat16, torch::kLong, torch::kInt,
                                                torch::kShort, torch::kChar, torch::kByte,
                                                torch::kBool};


// Small values every dtype holds exactly (bool: alternating).
torch::Tensor sample(torch::ScalarType type, std::vector<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  auto values = torch::arange(count, torch::kLong).remainder(7) - 3;
  if (type == torch::kByte) values = values + 3;
  if (type == torch::kBool) values = values.remainder(2);
  return values.to(type).reshape(shape);
}

}  // namespace

TEST_CASE("safetensors dtypes map to torch scalar types and back") {
  for (auto type : kSupported) REQUIRE(hc::to_scalar_type(hc::from_scalar_type(type)) == type);
  REQUIRE(hc::to_scalar_type(hc::DType::BF16) == torch::kBFloat16);
  REQUIRE_THROWS_AS(hc::from_scalar_type(torch::kComplexFloat), hc::Error);
}

TEST_CASE("torch tensors of every dtype round-trip through a safetensors file") {
  auto type = GENERATE(from_range(kSupported));
  auto device = GENERATE(from_range(hc::test::devices_present()));
  CAPTURE(c10::toString(type), device.str());
  hc::test::TempDir dir;
  fs::path path = dir / "torch.safetensors";

  std::vector<std::pair<std::string, torch::Tensor>> tensors{
      {"matrix", sample(type, {3, 4})},
      {"scalar", sample(type, {})},
      {"empty", sample(type, {0, 5})},
      {"transposed", sample(type, {4, 2}).t()},  // non-contiguous: saved in logical order
  };
  hc::SafetensorsWriter writer;
  for (const auto& [name, tensor] : tensors) hc::add_tensor(writer, name, tensor.to(device));
  writer.write(path);

  auto file = hc::SafetensorsFile::open(path);
  for (const auto& [name, expected] : tensors) {
    CAPTURE(name);
    const hc::TensorView& view = file->get(name);
    REQUIRE(view.dtype == hc::from_scalar_type(type));
    torch::Tensor loaded = hc::to_tensor(view, device);
    REQUIRE(loaded.device() == device);
    REQUIRE(loaded.scalar_type() == type);
    REQUIRE(loaded.sizes() == expected.sizes());
    REQUIRE(torch::equal(loaded.cpu(), expected));
  }
}

TEST_CASE("to_tensor converts to the target dtype on the target device") {
  auto device = GENERATE(from_range(hc::test::devices_present()));
  hc::test::TempDir dir;
  fs::path path = dir / "half.safetensors";
  torch::Tensor original = torch::linspace(-2, 2, 12).reshape({3, 4}).to(torch::kHalf);
  hc::SafetensorsWriter writer;
  hc::add_tensor(writer, "w", original);
  writer.write(path);

  auto file = hc::SafetensorsFile::open(path);
  torch::Tensor converted = hc::to_tensor(file->get("w"), device, torch::kFloat);
  REQUIRE(converted.scalar_type() == torch::kFloat);
  REQUIRE(converted.device() == device);
  REQUIRE(torch::equal(converted.cpu(), original.to(torch::kFloat)));
}

TEST_CASE("loaded tensors own their memory, never the mapping's") {
  hc::test::TempDir dir;
  fs::path path = dir / "own.safetensors";
  hc::SafetensorsWriter writer;
  hc::add_tensor(writer, "w", torch::ones({4}));
  writer.write(path);

  auto file = hc::SafetensorsFile::open(path);
  torch::Tensor loaded = hc::to_tensor(file->get("w"), torch::kCPU);
  REQUIRE(loaded.data_ptr() != static_cast<const void*>(file->get("w").data));
  loaded.fill_(5);  // would crash if it wrote into the read-only mapping
  file.reset();     // and the tensor outlives the file
  REQUIRE(loaded.sum().item<float>() == 20.0f);
}

TEST_CASE("misaligned data and non-0/1 bools still load correctly") {
  hc::test::TempDir dir;
  fs::path path = dir / "misaligned.safetensors";
  // A header of odd length puts the data at an odd address.
  std::string header =
      R"({"f":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BOOL","shape":[3],"data_offsets":[8,11]}})";
  if (header.size() % 2 == 0) header += ' ';
  float floats[2] = {1.5f, -2.0f};
  std::string data(reinterpret_cast<const char*>(floats), sizeof floats);
  data += std::string("\x00\x02\x01", 3);
  hc::test::write_bytes(path, hc::test::safetensors_bytes(header, data));

  auto file = hc::SafetensorsFile::open(path);
  REQUIRE(reinterpret_cast<std::uintptr_t>(file->get("f").data) % 4 != 0);
  REQUIRE(torch::equal(hc::to_tensor(file->get("f"), torch::kCPU), torch::tensor({1.5f, -2.0f})));
  torch::Tensor bools = hc::to_tensor(file->get("b"), torch::kCPU);
  REQUIRE(bools.scalar_type() == torch::kBool);
  REQUIRE(torch::equal(bools.to(torch::kByte), torch::tensor({0, 1, 1}, torch::kByte)));
}

TEST_CASE("add_tensor refuses undefined tensors and unsupported dtypes, naming the tensor") {
  hc::SafetensorsWriter writer;
  REQUIRE_THROWS_WITH(hc::add_tensor(writer, "nothing", torch::Tensor()),
                      Catch::Contains("\"nothing\""));
  REQUIRE_THROWS_WITH(hc::add_tensor(writer, "complex", torch::zeros({2}, torch::kComplexFloat)),
                      Catch::Contains("\"complex\"") && Catch::Contains("no safetensors dtype"));
}

TEST_CASE("the tiny CLIP checkpoints load as torch tensors") {
  auto checkpoint = hc::SafetensorsCheckpoint::open(hc::test::shared_path("fixtures/model/tiny-quickgelu"));
  torch::Tensor ids = hc::to_tensor(checkpoint.get("text_model.embeddings.position_ids"), torch::kCPU);
  REQUIRE(torch::equal(ids, torch::arange(77, torch::kLong).unsqueeze(0)));
  const auto& embedding_view = checkpoint.get("text_model.embeddings.token_embedding.weight");
  torch::Tensor half = hc::to_tensor(embedding_view, torch::kCPU);
  torch::Tensor single = hc::to_tensor(embedding_view, torch::kCPU, torch::kFloat);
  REQUIRE(half.scalar_type() == torch::kHalf);
  REQUIRE(single.sizes() == torch::IntArrayRef{49408, 64});
  REQUIRE(torch::equal(single, half.to(torch::kFloat)));

  auto bf16 = hc::SafetensorsFile::open(hc::test::shared_path("fixtures/model/tiny-gelu/model.safetensors"));
  torch::Tensor bias = hc::to_tensor(bf16->get("text_model.encoder.layers.0.self_attn.q_proj.bias"),
                                     torch::kCPU, torch::kFloat);
  REQUIRE(bias.sizes() == torch::IntArrayRef{96});
  REQUIRE(torch::isfinite(bias).all().item<bool>());
}
