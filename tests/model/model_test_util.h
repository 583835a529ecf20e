#pragma once
// Shared by the model tests: fixture paths, reading reference tensors, devices present.

#include "catch_torch.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "compute_matrix.h"
#include "test_support.h"

namespace hc::test {

inline std::filesystem::path model_fixture(const std::string& name) {
  return shared_path("fixtures/model/" + name);
}

// Every tensor of a safetensors file, on the CPU in its stored dtype.
inline std::map<std::string, torch::Tensor> read_tensors(const std::filesystem::path& path) {
  auto file = SafetensorsFile::open(path);
  std::map<std::string, torch::Tensor> tensors;
  for (const std::string& name : file->names()) {
    tensors[name] = to_tensor(file->get(name), torch::kCPU);
  }
  return tensors;
}

inline nlohmann::json read_json_file(const std::filesystem::path& path) {
  return nlohmann::json::parse(read_bytes(path));
}

// The texts.json of a model fixture.
inline std::vector<std::string> fixture_strings(const std::string& model, const char* key) {
  nlohmann::json texts = read_json_file(model_fixture(model) / "texts.json");
  return texts.at(key).get<std::vector<std::string>>();
}

// The preprocessed images, [10, 3, 224, 224] float32, in the order of texts.json "images".
inline torch::Tensor fixture_pixels(const std::string& model) {
  auto file = SafetensorsFile::open(shared_path("fixtures/preprocess/expected.safetensors"));
  torch::Tensor all = to_tensor(file->get("pixel_values"), torch::kCPU);
  std::vector<std::string> order;
  std::string list = file->metadata().at("order");
  for (std::size_t start = 0; start <= list.size();) {
    std::size_t comma = std::min(list.find(',', start), list.size());
    order.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  std::vector<int64_t> rows;
  for (const std::string& image : fixture_strings(model, "images")) {
    auto found = std::find(order.begin(), order.end(), image);
    REQUIRE(found != order.end());
    rows.push_back(found - order.begin());
  }
  return all.index_select(0, torch::tensor(rows, torch::kLong));
}

// Runs action, which must throw an hc::Error whose message contains every one of `parts`.
template <typename Action>
std::string require_hc_error(Action&& action, const std::vector<std::string>& parts) {
  try {
    action();
  } catch (const hc::Error& e) {
    for (const std::string& part : parts) CHECK_THAT(e.what(), Catch::Matchers::Contains(part));
    return e.what();
  }
  FAIL("no hc::Error (expected one mentioning " << parts.front() << ")");
  return "";
}

}  // namespace hc::test
