// hc::re_loss beyond the official configuration: fewer tiers, the paper's "3 tiers" and "no
// negatives" ablations, degenerate pairs under both exterior-angle rules, option checks and
// layout errors. Expected values are built from the loss fixture's pairwise angles (ext_all),
// so they do not depend on re_loss's own arithmetic.

#include "catch_torch.h"

#include <cmath>
#include <string>
#include <vector>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/train/re_loss.h"
#include "test_support.h"

namespace {

struct Batch {
  std::shared_ptr<hc::SafetensorsFile> file =
      hc::SafetensorsFile::open(hc::test::shared_path("fixtures/loss/expected.safetensors"));
  torch::Tensor E = get("E"), orig = get("orig"), root = get("root"), ext = get("ext_all");
  int64_t items = get("P").size(1);

  torch::Tensor get(const std::string& name) const {
    return hc::to_tensor(file->get(name), torch::kCPU);
  }
  // Rows of the fixture's groups (8 groups: positive levels 1-4, negative levels 1-4).
  std::vector<int64_t> rows_of(const std::vector<int64_t>& groups) const {
    std::vector<int64_t> rows;
    for (int64_t g : groups) {
      for (int64_t k = 0; k < items; ++k) rows.push_back(g * items + k);
    }
    return rows;
  }
  torch::Tensor select(const torch::Tensor& t, const std::vector<int64_t>& groups) const {
    return t.index_select(0, torch::tensor(rows_of(groups), torch::kLong));
  }
  // ext(text of group a, text of group b) for every item, from ext_all.
  torch::Tensor angle(int64_t a, int64_t b) const {
    auto k = torch::arange(items);
    return ext.index({a * items + k, b * items + k});
  }
};

double diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.detach().to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

double value(const torch::Tensor& t) { return t.detach().item<double>(); }

}  // namespace

TEST_CASE("re_loss: fewer tiers use the first triplets only", "[train][re_loss]") {
  Batch b;
  hc::ReLossOptions o;
  o.tiers = 2;
  hc::ReLoss loss = hc::re_loss(b.E, b.orig, b.root, o);
  REQUIRE(loss.P.sizes() == torch::IntArrayRef({2, b.items}));
  CHECK(diff(loss.P, torch::stack({b.angle(0, 1), b.angle(1, 2)})) <= 1e-12);
  CHECK(diff(loss.N, -torch::stack({b.angle(0, 4), b.angle(1, 5)})) <= 1e-12);
}

TEST_CASE("re_loss: the paper's \"3 tiers\" ablation drops the second level", "[train][re_loss]") {
  Batch b;
  hc::ReLossOptions o;
  o.levels = {1, 3, 4};
  o.tiers = 2;
  REQUIRE(o.groups() == 6);
  // The batch holds only the texts of levels 1, 3, 4 (fixture groups 0, 2, 3 and 4, 6, 7).
  const std::vector<int64_t> kept{0, 2, 3, 4, 6, 7};
  hc::ReLoss loss = hc::re_loss(b.select(b.E, kept), b.select(b.orig, kept), b.root, o);
  auto P = torch::stack({b.angle(0, 2), b.angle(2, 3)});
  auto N = -torch::stack({b.angle(0, 4), b.angle(2, 6)});
  CHECK(diff(loss.P, P) <= 1e-12);
  CHECK(diff(loss.N, N) <= 1e-12);
  CHECK(std::abs(value(loss.entailment) - value(P.mean() + N.mean())) <= 1e-12);
  const auto flat = (P + N).reshape(-1);
  const double mining =
      value(flat[P.reshape(-1).argmax().item<int64_t>()] + flat[N.reshape(-1).argmax().item<int64_t>()]);
  CHECK(std::abs(value(loss.mining) - mining) <= 1e-12);
  const auto E = b.select(b.E, kept), orig = b.select(b.orig, kept);
  const double pullback = (1 - (E * orig).sum(-1).mean().item<double>()) / 2;
  CHECK(std::abs(value(loss.pullback) - pullback) <= 1e-12);
}

TEST_CASE("re_loss: without negatives N is zero and only the hardest positive is mined",
          "[train][re_loss]") {
  Batch b;
  hc::ReLossOptions o;
  o.negatives = false;
  REQUIRE(o.groups() == 4);
  const std::vector<int64_t> positives{0, 1, 2, 3};
  hc::ReLoss loss = hc::re_loss(b.select(b.E, positives), b.select(b.orig, positives), b.root, o);
  auto P = torch::stack({b.angle(0, 1), b.angle(1, 2), b.angle(2, 3)});
  CHECK(diff(loss.P, P) <= 1e-12);
  CHECK(loss.N.abs().max().item<double>() == 0);
  CHECK_FALSE(loss.hard_j.defined());
  CHECK(std::abs(value(loss.entailment) - P.mean().item<double>()) <= 1e-12);
  CHECK(std::abs(value(loss.mining) - P.max().item<double>()) <= 1e-12);
  CHECK(std::abs(value(loss.total) - (o.lambda_p * value(loss.pullback) +
                                      value(loss.entailment) + value(loss.mining))) <= 1e-12);
}

TEST_CASE("re_loss: lambda_p 0 needs no original embeddings", "[train][re_loss]") {
  Batch b;
  hc::ReLossOptions o;
  o.lambda_p = 0;
  hc::ReLoss loss = hc::re_loss(b.E, torch::Tensor(), b.root, o);
  CHECK(value(loss.pullback) == 0);
  CHECK(std::abs(value(loss.total) - value(loss.entailment + loss.mining)) <= 1e-12);
  o.lambda_p = 10;
  CHECK_THROWS_AS(hc::re_loss(b.E, torch::Tensor(), b.root, o), hc::Error);
}

TEST_CASE("re_loss: a degenerate pair is NaN under the official rule, finite when guarded",
          "[train][re_loss]") {
  Batch b;
  // Item 0's level-2 positive text equal to its level-1 text: y == x in the first triplet.
  auto E = b.E.clone();
  E[b.items] = E[0];
  for (const std::string rule : {"official", "guarded"}) {
    CAPTURE(rule);
    hc::ReLossOptions o;
    o.exterior_angle = rule;
    auto leaf = E.clone().requires_grad_(true);
    hc::ReLoss loss = hc::re_loss(leaf, b.orig, b.root, o);
    loss.total.backward();
    if (rule == "official") {
      CHECK(std::isnan(value(loss.total)));
      CHECK(std::isnan(value(loss.P[0][0])));
    } else {
      CHECK(std::isfinite(value(loss.total)));
      CHECK(value(loss.P[0][0]) == Approx(std::acos(-1.0) / 2));
      CHECK(leaf.grad().isfinite().all().item<bool>());
    }
  }
}

TEST_CASE("re_loss: inputs that do not fit the layout are errors", "[train][re_loss]") {
  Batch b;
  hc::ReLossOptions o;
  CHECK_THROWS_AS(hc::re_loss(b.E.slice(0, 0, 39), b.orig.slice(0, 0, 39), b.root, o), hc::Error);
  CHECK_THROWS_AS(hc::re_loss(b.E, b.orig.slice(0, 0, 32), b.root, o), hc::Error);
  CHECK_THROWS_AS(hc::re_loss(b.E, b.orig, b.root.unsqueeze(0), o), hc::Error);
  CHECK_THROWS_AS(hc::re_loss(b.E, b.orig, b.root.slice(0, 0, 8), o), hc::Error);
  CHECK_THROWS_AS(hc::re_loss(b.E.to(torch::kLong), b.orig, b.root, o), hc::Error);
}

TEST_CASE("ReLossOptions: checks in code and in the config schema", "[train][re_loss]") {
  auto usage = [](const hc::ReLossOptions& o) {
    try {
      o.validate();
    } catch (const hc::Error& e) {
      return e.kind() == hc::Error::Kind::Usage;
    }
    return false;
  };
  hc::ReLossOptions o;
  CHECK_NOTHROW(o.validate());
  o.tiers = 4;
  CHECK(usage(o));  // 4 levels give 3 triplet tiers at most
  o = {};
  o.levels = {1, 3, 4};
  CHECK(usage(o));  // tiers 3 with 3 levels
  o.tiers = 2;
  CHECK_NOTHROW(o.validate());
  o.levels = {1, 1, 4};
  CHECK(usage(o));
  o.levels = {0, 2, 3};
  CHECK(usage(o));
  o = {};
  o.lambda_m = -1;
  CHECK(usage(o));
  o = {};
  o.exterior_angle = "clamped";
  CHECK(usage(o));

  hc::ReLossOptions declared;
  hc::ConfigSchema schema;
  declared.declare(schema);
  schema.load_text("loss:\n  lambda_p: 0\n  levels: [1, 3, 4]\n  tiers: 2\n  negatives: false\n",
                   "test.yaml");
  CHECK_NOTHROW(schema.validate());
  CHECK(declared.lambda_p == 0);
  CHECK(declared.levels == std::vector<int>{1, 3, 4});
  CHECK(declared.tiers == 2);
  CHECK_FALSE(declared.negatives);
  schema.apply_override("loss.tiers=3");
  CHECK_THROWS_WITH(schema.validate(), Catch::Contains("loss.tiers"));
  schema.apply_override("loss.tiers=2");
  schema.apply_override("loss.exterior_angle=nan");
  CHECK_THROWS_WITH(schema.validate(), Catch::Contains("loss.exterior_angle"));
}
