#include "catch_torch.h"

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/geometry/genericness.h"
#include "hc/geometry/precision.h"
#include "hc/geometry/root.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "test_support.h"

namespace {

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble).cpu() - b.to(torch::kDouble).cpu()).abs().max().item<double>();
}

// A float64 reference vector (torch::tensor of doubles would be float32).
torch::Tensor f64(std::vector<double> values) {
  return torch::tensor(values, torch::TensorOptions().dtype(torch::kDouble));
}

}  // namespace

TEST_CASE("root: the empty-string embedding, normalised, keeps its gradient") {
  auto raw = torch::tensor({{3.0, 0.0, 4.0}}, torch::kDouble).requires_grad_(true);
  auto root = hc::empty_text_root(raw);
  REQUIRE(root.sizes() == torch::IntArrayRef({3}));
  CHECK(max_abs_diff(root, f64({0.6, 0.0, 0.8})) <= 1e-15);
  root.sum().backward();  // fine-tuning back-propagates into the text encoder through the root
  REQUIRE(raw.grad().defined());
  CHECK(torch::isfinite(raw.grad()).all().item<bool>());

  auto half = hc::empty_text_root(torch::tensor({3.0, 0.0, 4.0}).to(torch::kHalf));
  CHECK(half.scalar_type() == torch::kFloat);
  CHECK_THROWS_AS(hc::empty_text_root(torch::zeros({2, 3})), hc::Error);
}

TEST_CASE("root: origin and mean") {
  auto origin = hc::origin_root(5);
  CHECK(origin.sizes() == torch::IntArrayRef({5}));
  CHECK(origin.scalar_type() == torch::kFloat);
  CHECK(origin.abs().sum().item<double>() == 0.0);
  CHECK(hc::origin_root(2, torch::TensorOptions().dtype(torch::kDouble)).scalar_type() == torch::kDouble);
  CHECK_THROWS_AS(hc::origin_root(0), hc::Error);

  // Each row is normalised before averaging: scale does not weigh in.
  auto embeddings = torch::tensor({{10.0, 0.0}, {0.0, 1.0}}, torch::kDouble);
  auto mean = hc::mean_root(embeddings);
  const double h = std::sqrt(0.5);
  CHECK(max_abs_diff(mean, f64({h, h})) <= 1e-15);
  CHECK_THROWS_AS(hc::mean_root(torch::zeros({0, 3})), hc::Error);
  CHECK_THROWS_AS(hc::mean_root(torch::zeros({3})), hc::Error);
}

TEST_CASE("root: from a safetensors file") {
  hc::test::TempDir dir;
  {
    hc::SafetensorsWriter writer;
    hc::add_tensor(writer, "root", torch::tensor({0.0f, 2.0f, 0.0f}));
    hc::add_tensor(writer, "table", torch::ones({2, 3}));
    writer.write(dir / "one.safetensors");
  }
  auto only = hc::load_root(dir / "one.safetensors");
  CHECK(max_abs_diff(only, torch::tensor({0.0, 1.0, 0.0})) == 0.0);  // normalised
  CHECK(only.scalar_type() == torch::kFloat);

  {
    hc::SafetensorsWriter writer;
    hc::add_tensor(writer, "empty_text", torch::tensor({{1.0, 1.0}}, torch::kDouble));  // [1, D]
    hc::add_tensor(writer, "mean", torch::tensor({1.0f, 0.0f}));
    hc::add_tensor(writer, "origin", torch::zeros({2}, torch::kBFloat16));
    hc::add_tensor(writer, "ids", torch::tensor({1, 2}, torch::kLong));
    writer.write(dir / "several.safetensors");
  }
  const double h = std::sqrt(0.5);
  CHECK(max_abs_diff(hc::load_root(dir / "several.safetensors", "empty_text"), f64({h, h})) <= 1e-15);
  CHECK(hc::load_root(dir / "several.safetensors", "origin").abs().sum().item<double>() == 0.0);
  CHECK_THROWS_WITH(hc::load_root(dir / "several.safetensors"),
                    Catch::Contains("several.safetensors") && Catch::Contains("found 4") &&
                        Catch::Contains("name the tensor"));
  CHECK_THROWS_WITH(hc::load_root(dir / "several.safetensors", "ids"), Catch::Contains("'ids'"));
  CHECK_THROWS_WITH(hc::load_root(dir / "several.safetensors", "missing"), Catch::Contains("missing"));
  CHECK_THROWS_AS(hc::load_root(dir / "nothing.safetensors"), hc::Error);
}

TEST_CASE("root: make_root dispatches on the configured mode") {
  hc::RootSources sources;
  int empty_calls = 0;
  sources.empty_text_embedding = [&] {
    ++empty_calls;
    return torch::tensor({0.0, 3.0});
  };
  sources.embeddings = [] { return torch::tensor({{1.0, 0.0}, {1.0, 0.0}}); };
  sources.dim = 2;

  hc::RootOptions options;
  CHECK(max_abs_diff(hc::make_root(options, sources), torch::tensor({0.0, 1.0})) == 0.0);
  CHECK(empty_calls == 1);
  options.mode = "origin";
  CHECK(hc::make_root(options, sources).abs().sum().item<double>() == 0.0);
  options.mode = "mean";
  CHECK(max_abs_diff(hc::make_root(options, sources), torch::tensor({1.0, 0.0})) == 0.0);
  CHECK(empty_calls == 1);  // only the mode in use computes its source
  options.mode = "file";
  CHECK_THROWS_AS(hc::make_root(options, sources), hc::Error);
  options.mode = "centroid";
  CHECK_THROWS_WITH(hc::make_root(options, sources), Catch::Contains("centroid"));
  CHECK(hc::parse_root_mode("empty") == hc::RootMode::EmptyText);
  CHECK(std::string(hc::root_mode_name(hc::RootMode::Mean)) == "mean");
  options.mode = "empty";
  CHECK_THROWS_AS(hc::make_root(options, hc::RootSources{}), hc::Error);
}

TEST_CASE("root: options declare checked config keys") {
  hc::RootOptions options;
  hc::ConfigSchema schema;
  options.declare(schema);
  schema.apply_override("root.mode=origin");
  schema.validate();
  CHECK(options.mode == "origin");
  schema.apply_override("root.mode=file");
  CHECK_THROWS_WITH(schema.validate(), Catch::Contains("root.file"));
  schema.apply_override("root.mode=sideways");
  CHECK_THROWS_WITH(schema.validate(), Catch::Contains("root.mode"));
}

TEST_CASE("genericness: the distance from the root, with a zero gradient at the root") {
  auto r = torch::tensor({0.0, 0.0, 1.0}, torch::kDouble);
  auto x = torch::tensor({{1.0, 0.0, 0.0}, {0.0, 0.0, 1.0}}, torch::kDouble).requires_grad_(true);
  auto d = hc::genericness(x, r);
  CHECK(max_abs_diff(d, f64({std::sqrt(2.0), 0.0})) <= 1e-15);
  d.sum().backward();
  CHECK(torch::isfinite(x.grad()).all().item<bool>());
  CHECK(x.grad()[1].abs().sum().item<double>() == 0.0);
  CHECK(max_abs_diff(x.grad()[0], f64({1.0, 0.0, -1.0}) / std::sqrt(2.0)) <= 1e-15);

  auto type = GENERATE(torch::kFloat, torch::kHalf, torch::kBFloat16);
  auto low = hc::genericness(x.detach().to(type), r.to(type));
  CHECK(low.scalar_type() == torch::kFloat);
  CHECK(max_abs_diff(low, d) <= 1e-2);
  CHECK_THROWS_AS(hc::genericness(torch::zeros({3}), torch::zeros({4})), hc::Error);
}

TEST_CASE("normalize_embeddings: unit rows in float32, zero rows stay zero") {
  auto e = torch::tensor({{3.0, 4.0}, {0.0, 0.0}}).to(torch::kHalf).requires_grad_(true);
  auto unit = hc::normalize_embeddings(e);
  CHECK(unit.scalar_type() == torch::kFloat);
  CHECK(max_abs_diff(unit, torch::tensor({{0.6, 0.8}, {0.0, 0.0}})) <= 1e-7);
  unit.sum().backward();
  CHECK(torch::isfinite(e.grad()).all().item<bool>());
}
