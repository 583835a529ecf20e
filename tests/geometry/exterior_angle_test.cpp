#include "catch_torch.h"

#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/geometry/exterior_angle.h"
#include "hc/geometry/precision.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "compute_matrix.h"
#include "test_support.h"

namespace {

const double kPi = std::acos(-1.0);


torch::Tensor vec(std::vector<double> values) {
  return torch::tensor(values, torch::TensorOptions().dtype(torch::kDouble));
}

nlohmann::json loss_expected() {
  std::ifstream in(hc::test::shared_path("fixtures/loss/expected.json"));
  return nlohmann::json::parse(in);
}

// The loss fixture's tensors (float64).
struct LossFixture {
  std::shared_ptr<hc::SafetensorsFile> file = hc::SafetensorsFile::open(
      hc::test::shared_path("fixtures/loss/expected.safetensors"));
  torch::Tensor get(const std::string& name) const {
    return hc::to_tensor(file->get(name), torch::kCPU);
  }
};

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble).cpu() - b.to(torch::kDouble).cpu()).abs().max().item<double>();
}

// The official train.py loss on embeddings already normalised (fixture README): P, N over
// tiers 1..3 of bsz items, hard mining as coded, pullback over all 8 * bsz rows.
struct Losses {
  torch::Tensor P, N, ploss, eloss, mloss, total;
  int64_t i = -1, j = -1;
};

Losses official_loss(const torch::Tensor& E, const torch::Tensor& orig, const torch::Tensor& root,
                     int64_t bsz) {
  auto rows = [&](int64_t group) { return E.slice(0, group * bsz, (group + 1) * bsz); };
  std::vector<torch::Tensor> P, N;
  for (int64_t t = 0; t < 3; ++t) {
    P.push_back(hc::exterior_angle(rows(t), rows(t + 1), root));
    N.push_back(-hc::exterior_angle(rows(t), rows(4 + t), root));
  }
  Losses out;
  out.P = torch::stack(P);
  out.N = torch::stack(N);
  out.eloss = out.P.mean() + out.N.mean();
  auto Pr = out.P.reshape(-1);
  auto Nr = out.N.reshape(-1);
  auto PNr = Pr + Nr;
  out.i = Pr.argmax().item<int64_t>();
  out.j = Nr.argmax().item<int64_t>();
  out.mloss = PNr[out.i] + PNr[out.j];
  auto orig_unit = orig / orig.norm(2, {-1}, true);
  out.ploss = (1 - (E * orig_unit).sum(-1).mean()) / 2;
  out.total = 10 * out.ploss + out.eloss + out.mloss;
  return out;
}

}  // namespace

TEST_CASE("exterior angle: the reference's hand-picked 3-D configurations") {
  const nlohmann::json expected = loss_expected();
  for (const auto& c : expected.at("exterior_angle_cases_3d")) {
    const std::string name = c.at("name");
    CAPTURE(name);
    // The reference normalises every vector first.
    auto x = hc::normalize_embeddings(vec(c.at("x")));
    auto y = hc::normalize_embeddings(vec(c.at("y")));
    auto r = hc::normalize_embeddings(vec(c.at("root")));
    const double angle = hc::exterior_angle(x, y, r).item<double>();
    if (c.at("official_is_nan").get<bool>()) {
      // x == r or y == x: 0/0 in the reference, pi/2 here (documented).
      CHECK(angle == kPi / 2);
    } else {
      const double tolerance = name.rfind("y_equals_root", 0) == 0 ? 1e-7 : 1e-12;
      CHECK(std::abs(angle - c.at("official_ext").get<double>()) <= tolerance);
    }
  }
}

TEST_CASE("exterior angle: known angles and asymmetry") {
  auto r = vec({0, 0, 1});
  CHECK(hc::exterior_angle(vec({1, 0, 0}), vec({0, 1, 0}), r).item<double>() ==
        Approx(2 * kPi / 3).margin(1e-15));
  // y further out along x's ray: 0; y back towards the root: pi.
  auto x = vec({0.6, 0, 0.8});
  auto outward = r + 2 * (x - r);
  CHECK(hc::exterior_angle(x, outward, r).item<double>() == Approx(0).margin(1e-7));
  CHECK(hc::exterior_angle(x, r + 0.5 * (x - r), r).item<double>() == Approx(kPi).margin(1e-7));
  // A right angle.
  CHECK(hc::exterior_angle(vec({1, 0, 1}), vec({1, 1, 1}), r).item<double>() ==
        Approx(kPi / 2).margin(1e-15));

  auto a = hc::normalize_embeddings(vec({0.7071067811865475, 0, 0.7071067811865475}));
  auto b = hc::normalize_embeddings(vec({2, 1, 1}));
  const double ab = hc::exterior_angle(a, b, r).item<double>();
  const double ba = hc::exterior_angle(b, a, r).item<double>();
  CHECK(ab == Approx(1.1415549714230377).margin(1e-12));
  CHECK(ba == Approx(2.447471307471052).margin(1e-12));
  CHECK(std::abs(ab - ba) > 1.0);
}

TEST_CASE("exterior angle: every ordered pair of the loss fixture's batch") {
  LossFixture fixture;
  auto E = fixture.get("E");
  auto root = fixture.get("root");
  auto expected = fixture.get("ext_all");  // NaN on the diagonal (y == x)
  auto diagonal = torch::eye(E.size(0), torch::kBool);
  auto reference = torch::where(diagonal, torch::full_like(expected, kPi / 2), expected);

  auto all64 = hc::exterior_angle(E.unsqueeze(1), E.unsqueeze(0), root);
  REQUIRE(all64.sizes() == expected.sizes());
  CHECK(all64.scalar_type() == torch::kDouble);
  CHECK(max_abs_diff(all64, reference) <= 1e-12);

  auto E32 = E.to(torch::kFloat);
  auto all32 = hc::exterior_angle(E32.unsqueeze(1), E32.unsqueeze(0), root.to(torch::kFloat));
  CHECK(all32.scalar_type() == torch::kFloat);
  CHECK(max_abs_diff(all32, reference) <= 1e-5);
}

TEST_CASE("exterior angle: the RE loss built on it reproduces the fixture, gradients included") {
  const nlohmann::json expected = loss_expected();
  LossFixture fixture;
  const int64_t bsz = expected.at("bsz");
  auto P_flat = torch::tensor(expected.at("P_flat").get<std::vector<double>>(), torch::kDouble);
  auto N_flat = torch::tensor(expected.at("N_flat").get<std::vector<double>>(), torch::kDouble);

  struct Variant {
    torch::ScalarType type;
    double value_tolerance;
    double gradient_tolerance;
  };
  for (Variant variant : {Variant{torch::kDouble, 1e-12, 1e-10}, Variant{torch::kFloat, 1e-5, 1e-5}}) {
    CAPTURE(c10::toString(variant.type));
    auto E = fixture.get("E").to(variant.type).requires_grad_(true);
    auto root = fixture.get("root").to(variant.type).requires_grad_(true);
    auto orig = fixture.get("orig").to(variant.type);
    Losses loss = official_loss(E, orig, root, bsz);

    CHECK(max_abs_diff(loss.P.reshape(-1), P_flat) <= variant.value_tolerance);
    CHECK(max_abs_diff(loss.N.reshape(-1), N_flat) <= variant.value_tolerance);
    CHECK(loss.i == expected.at("hard_mining_i_argmax_P_flat").get<int64_t>());
    CHECK(loss.j == expected.at("hard_mining_j_argmax_N_flat").get<int64_t>());
    CHECK(std::abs(loss.ploss.item<double>() - expected.at("ploss").get<double>()) <= variant.value_tolerance);
    CHECK(std::abs(loss.eloss.item<double>() - expected.at("eloss").get<double>()) <= variant.value_tolerance);
    CHECK(std::abs(loss.mloss.item<double>() - expected.at("mloss").get<double>()) <= variant.value_tolerance);
    CHECK(std::abs(loss.total.item<double>() - expected.at("total").get<double>()) <= variant.value_tolerance);

    loss.total.backward();
    CHECK(max_abs_diff(E.grad(), fixture.get("grad_E_direct")) <= variant.gradient_tolerance);
    CHECK(max_abs_diff(root.grad(), fixture.get("grad_root_direct")) <= variant.gradient_tolerance);
  }

  SECTION("through the normalisation, from unit and from raw encoder outputs") {
    for (auto [suffix, e_name, r_name, o_name] :
         {std::tuple{"through_normalisation", "E", "root", "orig"},
          std::tuple{"raw", "E_raw", "root_raw", "orig_raw"}}) {
      CAPTURE(suffix);
      auto E = fixture.get(e_name).requires_grad_(true);
      auto root = fixture.get(r_name).requires_grad_(true);
      Losses loss = official_loss(hc::normalize_embeddings(E), fixture.get(o_name),
                                  hc::normalize_embeddings(root), bsz);
      CHECK(std::abs(loss.total.item<double>() - expected.at("total").get<double>()) <= 1e-12);
      loss.total.backward();
      CHECK(max_abs_diff(E.grad(), fixture.get(std::string("grad_E_") + suffix)) <= 1e-10);
      CHECK(max_abs_diff(root.grad(), fixture.get(std::string("grad_root_") + suffix)) <= 1e-10);
    }
  }
}

TEST_CASE("exterior angle: degenerate points give pi/2 and a finite, zero gradient") {
  auto type = GENERATE(torch::kDouble, torch::kFloat, torch::kHalf, torch::kBFloat16);
  auto device = GENERATE(from_range(hc::test::devices_present()));
  CAPTURE(c10::toString(type), device.str());
  auto options = torch::TensorOptions().dtype(type).device(device);
  auto r = torch::tensor({0.0, 0.0, 1.0}, options);
  auto e1 = torch::tensor({1.0, 0.0, 0.0}, options);

  struct Case {
    const char* name;
    torch::Tensor x, y;
  };
  for (const Case& c : {Case{"x == root", r, e1}, Case{"y == x", e1, e1},
                        Case{"x == y == root", r, r}}) {
    CAPTURE(c.name);
    auto x = c.x.clone().requires_grad_(true);
    auto y = c.y.clone().requires_grad_(true);
    auto root = r.clone().requires_grad_(true);
    auto angle = hc::exterior_angle(x, y, root);
    CHECK(angle.item<double>() == Approx(kPi / 2).margin(1e-6));
    angle.backward();
    for (const auto& t : {x, y, root}) {
      REQUIRE(t.grad().defined());
      CHECK(t.grad().scalar_type() == type);
      CHECK(torch::isfinite(t.grad()).all().item<bool>());
      CHECK(t.grad().abs().max().item<double>() == 0.0);
    }
  }

  SECTION("collinear pairs (cosine +-1) keep their value and a finite gradient") {
    auto x = torch::tensor({0.6, 0.0, 0.8}, options);
    for (double t : {2.0, 0.5, 0.0}) {  // outward (0), inward (pi), y == root (pi)
      CAPTURE(t);
      auto xs = x.clone().requires_grad_(true);
      auto ys = (r + t * (x - r)).detach().requires_grad_(true);
      auto angle = hc::exterior_angle(xs, ys, r);
      const double tolerance = type == torch::kDouble  ? 1e-7
                               : type == torch::kFloat ? 3e-3
                               : type == torch::kHalf  ? 1e-2
                                                       : 4e-2;
      CHECK(angle.item<double>() == Approx(t > 1 ? 0.0 : kPi).margin(tolerance));
      angle.backward();
      CHECK(torch::isfinite(xs.grad()).all().item<bool>());
      CHECK(torch::isfinite(ys.grad()).all().item<bool>());
    }
  }
}

TEST_CASE("exterior angle: fp32, fp16 and bf16 on every device against a float64 reference") {
  auto type = GENERATE(torch::kFloat, torch::kHalf, torch::kBFloat16);
  auto device = GENERATE(from_range(hc::test::devices_present()));
  CAPTURE(c10::toString(type), device.str());
  const double tolerance = type == torch::kFloat ? 1e-5 : type == torch::kHalf ? 1e-2 : 4e-2;

  torch::manual_seed(7);
  auto unit = [](torch::Tensor t) { return t / t.norm(2, {-1}, true); };
  auto x64 = unit(torch::randn({6, 1, 32}, torch::kDouble));
  auto y64 = unit(torch::randn({1, 5, 32}, torch::kDouble));
  auto r64 = unit(torch::randn({32}, torch::kDouble));
  auto reference = hc::exterior_angle(x64, y64, r64);

  auto low = [&](const torch::Tensor& t) { return t.to(type).to(device); };
  // The reference of the rounded inputs: what the low-precision storage allows at best.
  auto rounded = hc::exterior_angle(low(x64).to(torch::kDouble).cpu(), low(y64).to(torch::kDouble).cpu(),
                                    low(r64).to(torch::kDouble).cpu());
  auto x = low(x64).requires_grad_(true);
  auto y = low(y64).requires_grad_(true);
  auto angle = hc::exterior_angle(x, y, low(r64));
  REQUIRE(angle.sizes() == torch::IntArrayRef({6, 5}));
  CHECK(angle.scalar_type() == torch::kFloat);  // computed and returned in float32
  CHECK(angle.device() == device);
  CHECK(max_abs_diff(angle, reference) <= tolerance);
  CHECK(max_abs_diff(angle, rounded) <= 1e-5);  // float32 arithmetic on the stored values
  angle.sum().backward();
  CHECK(x.grad().scalar_type() == type);
  CHECK(torch::isfinite(x.grad()).all().item<bool>());
  CHECK(torch::isfinite(y.grad()).all().item<bool>());
}

TEST_CASE("exterior angle: broadcasting matches pair by pair") {
  torch::manual_seed(3);
  auto x = torch::randn({3, 1, 8}, torch::kDouble);
  auto y = torch::randn({1, 4, 8}, torch::kDouble);
  auto r = torch::randn({8}, torch::kDouble);
  auto all = hc::exterior_angle(x, y, r);
  REQUIRE(all.sizes() == torch::IntArrayRef({3, 4}));
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 4; ++j) {
      CHECK(all[i][j].item<double>() == hc::exterior_angle(x[i][0], y[0][j], r).item<double>());
    }
  }
}

TEST_CASE("exterior angle: inputs that do not fit are hc::Errors") {
  auto r = torch::zeros({4});
  CHECK_THROWS_AS(hc::exterior_angle(torch::zeros({3}), torch::zeros({4}), r), hc::Error);
  CHECK_THROWS_AS(hc::exterior_angle(torch::zeros({2, 4}), torch::zeros({3, 4}), r), hc::Error);
  CHECK_THROWS_AS(hc::exterior_angle(torch::zeros({4}, torch::kLong), torch::zeros({4}), r),
                  hc::Error);
  CHECK_THROWS_AS(hc::exterior_angle(torch::zeros({}), torch::zeros({4}), r), hc::Error);
  CHECK_THROWS_WITH(hc::exterior_angle(torch::zeros({3}), torch::zeros({4}), r),
                    Catch::Contains("exterior_angle") && Catch::Contains("[3]"));
}
