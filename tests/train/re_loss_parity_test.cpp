// Parity of hc::re_loss with the official train.py loss (fixtures/loss, see its README): the
// three terms and the total, the hard-mining indices, P, N, every pairwise exterior angle, the
// hand-picked 3-D cases (NaN where the official code gives NaN) and the gradients (direct,
// through the normalisation, from raw features), in float64 and float32 to the README's
// tolerances, with both exterior-angle rules. Sizes, lambdas and the row order come from the
// fixture's own files.

#include "catch_torch.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/geometry/exterior_angle.h"
#include "hc/geometry/official_exterior_angle.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/train/re_loss.h"
#include "test_support.h"

namespace {

const double kPi = std::acos(-1.0);

// The README's tolerances.
struct Tolerance {
  double values;     // losses, P, N, angles
  double gradients;
  double y_equals_root;  // the 3-D case whose cosine is -1 up to rounding
};
const Tolerance kFloat64{1e-12, 1e-10, 1e-7};
// float32: 1e-5 for values and gradients, the y == root case included (the README warns that
// acos can turn a cosine rounding error d into sqrt(2d) there; measured here: 1.1e-7).
const Tolerance kFloat32{1e-5, 1e-5, 1e-5};

const Tolerance& tolerance_of(torch::ScalarType dtype) {
  return dtype == torch::kDouble ? kFloat64 : kFloat32;
}

std::vector<torch::Device> devices_present() {
  std::vector<torch::Device> devices{torch::kCPU};
  if (torch::cuda::is_available()) devices.emplace_back(torch::kCUDA, 0);
  return devices;
}

struct LossFixture {
  nlohmann::json expected = nlohmann::json::parse(
      hc::test::read_bytes(hc::test::shared_path("fixtures/loss/expected.json")));
  std::shared_ptr<hc::SafetensorsFile> file =
      hc::SafetensorsFile::open(hc::test::shared_path("fixtures/loss/expected.safetensors"));

  torch::Tensor get(const std::string& name) const {
    return hc::to_tensor(file->get(name), torch::kCPU);
  }
  int64_t items() const { return expected.at("bsz").get<int64_t>(); }
  double value(const char* key) const { return expected.at(key).get<double>(); }

  // Options as the fixture was made: its lambdas, its P's tier count, and as many chain levels
  // as its row order has groups per polarity.
  hc::ReLossOptions options(const std::string& rule) const {
    hc::ReLossOptions o;
    o.lambda_p = expected.at("lambdas").at("lambda_p").get<double>();
    o.lambda_e = expected.at("lambdas").at("lambda_e").get<double>();
    o.lambda_m = expected.at("lambdas").at("lambda_m").get<double>();
    o.tiers = static_cast<int>(get("P").size(0));
    const int64_t groups = static_cast<int64_t>(expected.at("row_order").size()) / items();
    o.levels.clear();
    for (int level = 1; level <= groups / 2; ++level) o.levels.push_back(level);
    o.exterior_angle = rule;
    return o;
  }
};

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.detach().to(torch::kCPU, torch::kDouble) - b.to(torch::kCPU, torch::kDouble))
      .abs()
      .max()
      .item<double>();
}

double scalar(const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kDouble).item<double>(); }

torch::Tensor on(const torch::Tensor& t, torch::Device device, torch::ScalarType dtype,
                 bool requires_grad = false) {
  return t.to(device, dtype).detach().requires_grad_(requires_grad);
}

// Checks the loss against the fixture and returns the largest value difference (losses, P, N).
double check_values(const LossFixture& f, const hc::ReLoss& loss, const Tolerance& tol) {
  const std::pair<const torch::Tensor*, const char*> terms[] = {{&loss.pullback, "ploss"},
                                                                {&loss.entailment, "eloss"},
                                                                {&loss.mining, "mloss"},
                                                                {&loss.total, "total"}};
  double worst = 0;
  for (const auto& [ours, name] : terms) {
    const double diff = std::abs(scalar(*ours) - f.value(name));
    INFO(name);
    CHECK(diff <= tol.values);
    worst = std::max(worst, diff);
  }
  CHECK(loss.hard_i.item<int64_t>() == f.expected.at("hard_mining_i_argmax_P_flat").get<int64_t>());
  CHECK(loss.hard_j.item<int64_t>() == f.expected.at("hard_mining_j_argmax_N_flat").get<int64_t>());
  const double p = max_abs_diff(loss.P, f.get("P"));
  const double n = max_abs_diff(loss.N, f.get("N"));
  CHECK(p <= tol.values);
  CHECK(n <= tol.values);
  // The flat lists of expected.json are the tensors flattened tier-major.
  auto flat = [](const nlohmann::json& list) {
    return torch::tensor(list.get<std::vector<double>>(), torch::kDouble);
  };
  CHECK(max_abs_diff(loss.P.reshape(-1), flat(f.expected.at("P_flat"))) <= tol.values);
  CHECK(max_abs_diff(loss.N.reshape(-1), flat(f.expected.at("N_flat"))) <= tol.values);
  return std::max({worst, p, n});
}

std::string label(torch::Device device, torch::ScalarType dtype, const std::string& rule) {
  return fmt::format("{} {} {}", device.str(), dtype == torch::kDouble ? "float64" : "float32",
                     rule);
}

}  // namespace

TEST_CASE("re_loss: the fixture's row order is the layout re_loss reads", "[train][re_loss]") {
  LossFixture f;
  const auto& order = f.expected.at("row_order");
  const hc::ReLossOptions o = f.options("guarded");
  REQUIRE(static_cast<int64_t>(order.size()) == o.groups() * f.items());
  const int64_t levels = static_cast<int64_t>(o.levels.size());
  for (int64_t g = 0; g < o.groups(); ++g) {
    for (int64_t k = 0; k < f.items(); ++k) {
      std::string name = fmt::format("{}_tier{}_item{}", g < levels ? "pos" : "neg",
                                     o.levels[g % levels], k);
      CHECK(order.at(g * f.items() + k).get<std::string>() == name);
    }
  }
}

TEST_CASE("re_loss: values, hard mining, P and N match the official loss",
          "[train][re_loss][parity]") {
  LossFixture f;
  const auto device = GENERATE_COPY(from_range(devices_present()));
  const auto dtype = GENERATE(torch::kDouble, torch::kFloat);
  const std::string rule = GENERATE(std::string("guarded"), std::string("official"));
  CAPTURE(device, dtype, rule);
  const Tolerance& tol = tolerance_of(dtype);

  hc::ReLoss loss = hc::re_loss(on(f.get("E"), device, dtype), on(f.get("orig"), device, dtype),
                                on(f.get("root"), device, dtype), f.options(rule));
  const double worst = check_values(f, loss, tol);
  std::cout << "loss parity " << label(device, dtype, rule) << ": losses, P, N max abs diff "
            << worst << "\n";
  CHECK(loss.total.scalar_type() == dtype);
  CHECK(loss.total.device() == device);
}

TEST_CASE("re_loss: the same losses from raw (un-normalised) features",
          "[train][re_loss][parity]") {
  LossFixture f;
  const auto dtype = GENERATE(torch::kDouble, torch::kFloat);
  CAPTURE(dtype);
  auto unit = [&](const char* name) { return hc::official_unit_rows(f.get(name).to(dtype)); };
  hc::ReLoss loss = hc::re_loss(unit("E_raw"), unit("orig_raw"), unit("root_raw"),
                                f.options("official"));
  CHECK(std::abs(scalar(loss.total) - f.value("total_raw_inputs")) <= tolerance_of(dtype).values);
  check_values(f, loss, tolerance_of(dtype));
}

TEST_CASE("re_loss: gradients directly, through the normalisation and from raw features",
          "[train][re_loss][parity]") {
  LossFixture f;
  const auto device = GENERATE_COPY(from_range(devices_present()));
  const auto dtype = GENERATE(torch::kDouble, torch::kFloat);
  const std::string rule = GENERATE(std::string("guarded"), std::string("official"));
  CAPTURE(device, dtype, rule);
  const double tol = tolerance_of(dtype).gradients;
  const hc::ReLossOptions options = f.options(rule);
  auto report = [&](const char* what, const torch::Tensor& grad_E, const torch::Tensor& expected_E,
                    const torch::Tensor& grad_root, const torch::Tensor& expected_root) {
    const double e = max_abs_diff(grad_E, expected_E);
    const double r = max_abs_diff(grad_root, expected_root);
    std::cout << "loss parity " << label(device, dtype, rule) << ": gradient " << what
              << " max abs diff E " << e << ", root " << r << "\n";
    CHECK(e <= tol);
    CHECK(r <= tol);
  };

  SECTION("direct: E and root are the unit inputs of the formulas") {
    auto E = on(f.get("E"), device, dtype, true);
    auto root = on(f.get("root"), device, dtype, true);
    hc::re_loss(E, on(f.get("orig"), device, dtype), root, options).total.backward();
    report("direct", E.grad(), f.get("grad_E_direct"), root.grad(), f.get("grad_root_direct"));
  }
  SECTION("through the official normalisation of unit inputs") {
    auto E = on(f.get("E"), device, dtype, true);
    auto root = on(f.get("root"), device, dtype, true);
    hc::re_loss(hc::official_unit_rows(E), on(f.get("orig"), device, dtype),
                hc::official_unit_rows(root), options)
        .total.backward();
    report("through normalisation", E.grad(), f.get("grad_E_through_normalisation"), root.grad(),
           f.get("grad_root_through_normalisation"));
  }
  SECTION("from raw features: what reaches the text encoder") {
    auto E = on(f.get("E_raw"), device, dtype, true);
    auto root = on(f.get("root_raw"), device, dtype, true);
    auto orig = on(f.get("orig_raw"), device, dtype, true);
    hc::re_loss(hc::official_unit_rows(E), hc::official_unit_rows(orig),
                hc::official_unit_rows(root), options)
        .total.backward();
    report("raw", E.grad(), f.get("grad_E_raw"), root.grad(), f.get("grad_root_raw"));
    CHECK_FALSE(orig.grad().defined());  // the original model's side gets no gradient
  }
}

TEST_CASE("re_loss: every pairwise exterior angle (ext_all)", "[train][re_loss][parity]") {
  LossFixture f;
  const auto dtype = GENERATE(torch::kDouble, torch::kFloat);
  CAPTURE(dtype);
  const double tol = tolerance_of(dtype).values;
  auto E = f.get("E").to(dtype);
  auto root = f.get("root").to(dtype);
  torch::Tensor expected = f.get("ext_all");
  torch::Tensor nan = expected.isnan();
  REQUIRE(nan.equal(torch::eye(expected.size(0), torch::kBool)));  // y == x: 0/0

  torch::Tensor official = hc::official_exterior_angle(E.unsqueeze(1), E.unsqueeze(0), root);
  CHECK(official.isnan().equal(nan));
  const double official_diff = max_abs_diff(official.masked_fill(nan, 0), expected.masked_fill(nan, 0));
  CHECK(official_diff <= tol);
  std::cout << "loss parity ext_all " << (dtype == torch::kDouble ? "float64" : "float32")
            << ": official max abs diff " << official_diff << "\n";

  // hc's guarded angle: the same off the diagonal, pi/2 on it (its degenerate-pair policy).
  torch::Tensor guarded = hc::exterior_angle(E.unsqueeze(1), E.unsqueeze(0), root);
  CHECK_FALSE(guarded.isnan().any().item<bool>());
  CHECK(max_abs_diff(guarded.masked_fill(nan, 0), expected.masked_fill(nan, 0)) <= tol);
  CHECK(max_abs_diff(guarded.diagonal(), torch::full({expected.size(0)}, kPi / 2, torch::kDouble)) <= tol);
}

TEST_CASE("re_loss: hand-picked 3-D exterior angles, NaN where the official code gives NaN",
          "[train][re_loss][parity]") {
  LossFixture f;
  const auto dtype = GENERATE(torch::kDouble, torch::kFloat);
  CAPTURE(dtype);
  const Tolerance& tol = tolerance_of(dtype);
  double worst = 0, worst_y_is_root = 0;
  for (const auto& c : f.expected.at("exterior_angle_cases_3d")) {
    const std::string name = c.at("name").get<std::string>();
    CAPTURE(name);
    // The official code normalises x, y and root before the angle.
    auto vec = [&](const char* key) {
      return hc::official_unit_rows(
          torch::tensor(c.at(key).get<std::vector<double>>(), torch::kDouble).to(dtype));
    };
    const auto x = vec("x"), y = vec("y"), root = vec("root");
    const double official = scalar(hc::official_exterior_angle(x, y, root));
    const double guarded = scalar(hc::exterior_angle(x, y, root));
    if (c.at("official_is_nan").get<bool>()) {
      CHECK(std::isnan(official));
      CHECK(std::abs(guarded - kPi / 2) <= tol.values);  // hc's policy for degenerate pairs
      continue;
    }
    const double expected = c.at("official_ext").get<double>();
    const bool y_is_root = torch::equal(y, root);
    const double bound = y_is_root ? tol.y_equals_root : tol.values;
    CHECK(std::abs(official - expected) <= bound);
    CHECK(std::abs(guarded - expected) <= bound);
    double& slot = y_is_root ? worst_y_is_root : worst;
    slot = std::max({slot, std::abs(official - expected), std::abs(guarded - expected)});
  }
  std::cout << "loss parity 3-D cases " << (dtype == torch::kDouble ? "float64" : "float32")
            << ": max abs diff " << worst << ", y == root " << worst_y_is_root << "\n";
}
