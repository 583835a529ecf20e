#include "hc/train/re_loss.h"

#include <ATen/ATen.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/geometry/exterior_angle.h"
#include "hc/geometry/official_exterior_angle.h"
#include "hc/geometry/precision.h"
#include "hc/model/shape_text.h"

namespace hc {
namespace {

constexpr int kChainLevels = 4;  // HierarCaps chains: 4 texts, general to specific

bool levels_increasing(const std::vector<int>& levels) {
  for (std::size_t i = 1; i < levels.size(); ++i) {
    if (levels[i] <= levels[i - 1]) return false;
  }
  return true;
}

void check_layout(const at::Tensor& text, const at::Tensor& original, const at::Tensor& root,
                  const ReLossOptions& options) {
  const int64_t groups = options.groups();
  if (!text.defined() || text.dim() != 2 || text.size(0) == 0 || text.size(0) % groups != 0) {
    throw runtime_error("re_loss: text must be [{} * items, D] ({} texts per item), got {}",
                        groups, groups, text.defined() ? shape_text(text.sizes()) : "none");
  }
  if (!root.defined() || root.dim() != 1 || root.size(0) != text.size(1)) {
    throw runtime_error("re_loss: root must be [{}], got {}", text.size(1),
                        root.defined() ? shape_text(root.sizes()) : "none");
  }
  if (!original.defined()) {
    if (options.lambda_p != 0) {
      throw runtime_error("re_loss: the pullback term (lambda_p {}) needs the original model's "
                          "embeddings",
                          options.lambda_p);
    }
  } else if (original.sizes() != text.sizes()) {
    throw runtime_error("re_loss: original must have text's shape {}, got {}",
                        shape_text(text.sizes()), shape_text(original.sizes()));
  }
}

// The hard-mined term: (P + N)[i] + (P + N)[j] on the tier-major flattening, as coded.
void mine_hardest(ReLoss& out, bool negatives) {
  at::Tensor flat_p = out.P.reshape({-1});
  at::Tensor flat_n = out.N.reshape({-1});
  at::Tensor both = flat_p + flat_n;
  out.hard_i = flat_p.argmax();
  out.mining = both.index_select(0, out.hard_i.view({1})).squeeze(0);
  if (negatives) {
    out.hard_j = flat_n.argmax();
    out.mining = out.mining + both.index_select(0, out.hard_j.view({1})).squeeze(0);
  }
}

// The entailment-cone margin loss (ReLossOptions::objective "ec") from the exterior angles in
// out.P and out.N; x [tiers, items, D] are the cones' apexes.
void cone_margin_loss(ReLoss& out, const at::Tensor& x, const at::Tensor& r,
                      const ReLossOptions& options) {
  const at::Tensor distance = (x - r).norm(2, {-1});
  const at::Tensor psi = at::asin((options.ec_aperture / distance).clamp_max(1.0));
  out.entailment = at::relu(options.ec_margin + out.P - psi).mean();
  if (options.negatives) {
    out.entailment = out.entailment + at::relu(options.ec_margin - (-out.N - psi)).mean();
    out.hard_j = out.N.reshape({-1}).argmax();
  }
  out.hard_i = out.P.reshape({-1}).argmax();
  out.mining = at::zeros({}, out.P.options());
}

}  // namespace

ExteriorAngleRule parse_exterior_angle_rule(const std::string& name) {
  if (name == "guarded") return ExteriorAngleRule::Guarded;
  if (name == "official") return ExteriorAngleRule::Official;
  throw usage_error("exterior angle rule '{}': expected guarded or official", name);
}

void ReLossOptions::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".lambda_p", lambda_p, "weight of the pullback term L_p (official 10)")
      .check_non_negative();
  schema.add(section + ".lambda_e", lambda_e, "weight of the mean RE term L_e (official 1)")
      .check_non_negative();
  schema.add(section + ".lambda_m", lambda_m, "weight of the hard-mined term L_m (official 1)")
      .check_non_negative();
  schema.add(section + ".levels", levels,
             "chain levels the loss uses, 1 = most general .. 4 = most specific (official "
             "[1, 2, 3, 4]; the paper's \"3 tiers\" ablation: [1, 3, 4] with tiers 2)")
      .check_range(1, kChainLevels)
      .check([](const std::vector<int>& v) { return v.size() >= 2 && levels_increasing(v); },
             "at least 2 distinct levels in increasing order");
  schema.add(section + ".tiers", tiers,
             "triplet tiers t = 1..tiers: (level t, level t+1, negative level t) (official 3)")
      .check_positive()
      .check([this](const int& t) { return t < static_cast<int>(levels.size()); },
             "fewer than the number of " + section + ".levels");
  schema.add(section + ".negatives", negatives,
             "use the negative texts (false: the paper's \"no negative examples\" ablation)");
  schema.add(section + ".exterior_angle", exterior_angle,
             "guarded (degenerate pairs pi/2, no NaN) or official (unguarded, NaN on them)")
      .one_of({"guarded", "official"});
  schema.add(section + ".objective", objective,
             "re (Radial Embeddings), ec (entailment-cone margin loss, the paper's baseline) or "
             "clip (CLIP's contrastive image-text loss on a sampled caption; needs data.images)")
      .one_of({"re", "ec", "clip"});
  schema.add(section + ".ec_margin", ec_margin, "objective ec: the margin m").check_non_negative();
  schema.add(section + ".ec_aperture", ec_aperture,
             "objective ec: K of the half-aperture arcsin(K / ||x - r||)")
      .check_positive();
}

void ReLossOptions::validate() const {
  if (lambda_p < 0 || lambda_e < 0 || lambda_m < 0) {
    throw usage_error("loss: lambda_p {}, lambda_e {}, lambda_m {}: expected numbers >= 0",
                      lambda_p, lambda_e, lambda_m);
  }
  for (int level : levels) {
    if (level < 1 || level > kChainLevels) {
      throw usage_error("loss.levels [{}]: expected levels between 1 and {}",
                        fmt::join(levels, ", "), kChainLevels);
    }
  }
  if (levels.size() < 2 || !levels_increasing(levels)) {
    throw usage_error("loss.levels [{}]: expected at least 2 distinct levels in increasing order",
                      fmt::join(levels, ", "));
  }
  if (tiers < 1 || tiers >= static_cast<int>(levels.size())) {
    throw usage_error("loss.tiers {}: expected 1 to {} with loss.levels [{}]", tiers,
                      levels.size() - 1, fmt::join(levels, ", "));
  }
  parse_exterior_angle_rule(exterior_angle);
  if (objective != "re" && objective != "ec" && objective != "clip") {
    throw usage_error("loss.objective '{}': expected re, ec or clip", objective);
  }
  if (ec_margin < 0 || !(ec_aperture > 0)) {
    throw usage_error("loss.ec_margin {} / loss.ec_aperture {}: expected m >= 0 and K > 0",
                      ec_margin, ec_aperture);
  }
}

int64_t ReLossOptions::groups() const {
  return static_cast<int64_t>(levels.size()) * (negatives ? 2 : 1);
}

ReLoss re_loss(const at::Tensor& text, const at::Tensor& original, const at::Tensor& root,
               const ReLossOptions& options) {
  options.validate();
  if (options.objective == "clip") {
    throw runtime_error("re_loss: loss.objective clip is clip_objective_loss, not re_loss");
  }
  check_layout(text, original, root, options);
  const auto angle = parse_exterior_angle_rule(options.exterior_angle) == ExteriorAngleRule::Official
                         ? &official_exterior_angle
                         : &exterior_angle;
  const at::Tensor e = to_geometry_compute_type(text, "re_loss: text");
  const at::Tensor r = to_geometry_compute_type(root, "re_loss: root");
  const int64_t items = e.size(0) / options.groups();
  const int64_t levels = static_cast<int64_t>(options.levels.size());
  auto group = [&](int64_t g) { return e.narrow(0, g * items, items); };

  std::vector<at::Tensor> p;
  std::vector<at::Tensor> n;
  for (int64_t t = 0; t < options.tiers; ++t) {
    p.push_back(angle(group(t), group(t + 1), r));
    if (options.negatives) n.push_back(-angle(group(t), group(levels + t), r));
  }
  ReLoss out;
  out.P = at::stack(p);
  out.N = options.negatives ? at::stack(n) : at::zeros_like(out.P);
  if (options.objective == "ec") {
    std::vector<at::Tensor> x;
    for (int64_t t = 0; t < options.tiers; ++t) x.push_back(group(t));
    cone_margin_loss(out, at::stack(x), r, options);
  } else {
    out.entailment = out.P.mean() + out.N.mean();
    mine_hardest(out, options.negatives);
  }

  if (original.defined()) {
    at::Tensor o = to_geometry_compute_type(original, "re_loss: original").detach();
    out.pullback = (1 - (e * o).sum({-1}).mean()) / 2;
  } else {
    out.pullback = at::zeros({}, e.options());
  }
  out.total = options.lambda_p * out.pullback + options.lambda_e * out.entailment +
              options.lambda_m * out.mining;
  return out;
}

at::Tensor official_unit_rows(const at::Tensor& features) {
  return features / features.norm(2, {-1}, /*keepdim=*/true);
}

}  // namespace hc
