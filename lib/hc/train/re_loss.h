#pragma once
// The Radial Embedding fine-tuning loss of the official HierarCaps train.py (`batch2losses`),
// on embeddings already divided by their norms (official_unit_rows):
//
//   P[t, k] =  Xi(pos_t, pos_{t+1})   N[t, k] = -Xi(pos_t, neg_t)     tiers t = 1..T, items k
//   L_e = mean(P) + mean(N)
//   L_m = (P + N)[i] + (P + N)[j],  i = argmax(P flat), j = argmax(N flat)   (tier-major)
//   L_p = (1 - mean_rows <text_row, original_row>) / 2          over every text of the batch
//   L   = lambda_p L_p + lambda_e L_e + lambda_m L_m
//
// Xi is the exterior angle around the root. Hard mining is reproduced as coded, not as the
// paper describes it: P and N are flattened tier-major, i and j index the same flat P + N (so
// L_m adds the complete triplet terms of the item-tiers holding the largest P and the largest
// N), and the pullback runs over all texts, negatives included (the paper: ground-truth
// captions only). The fourth negative appears only in the pullback.
//
// Row layout of `text` and `original` (the official flattening): row g * items + k is text g of
// item k, with g running over the positive chain levels, then the negative ones (levels as
// listed in ReLossOptions::levels; without negatives only the positive groups are present).
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace hc {

class ConfigSchema;

// Which exterior angle the loss uses (see docs/hc-finetune.md):
//   guarded  - hc::exterior_angle: degenerate pairs (a text embedding onto the root, two equal
//              texts) count pi/2 with no gradient, and pairs with |cos| within 1e-6 (float32)
//              of 1 pass no gradient. Identical to the official values and gradients elsewhere.
//   official - official_exterior_angle: the reference formula unguarded; one degenerate pair
//              turns the loss, the gradients and, after the optimiser step, every trained weight
//              into NaN.
enum class ExteriorAngleRule { Guarded, Official };
ExteriorAngleRule parse_exterior_angle_rule(const std::string& name);  // usage hc::Error

struct ReLossOptions {
  double lambda_p = 10.0;
  double lambda_e = 1.0;
  double lambda_m = 1.0;
  // Triplet tiers: t = 1..tiers over consecutive entries of levels (official: 3 over 4 levels).
  int tiers = 3;
  // The chain levels (1 = most general .. 4 = most specific) the loss sees, in order. Official:
  // all four. The paper's "3 tiers" ablation drops the second level: [1, 3, 4] with tiers 2.
  std::vector<int> levels{1, 2, 3, 4};
  // false: the paper's "no negative examples" ablation: N = 0, no negative texts are embedded,
  // L_m = (P + N)[i] = P[i] alone (there is no hardest negative to mine).
  bool negatives = true;
  std::string exterior_angle = "guarded";  // "guarded" or "official", see ExteriorAngleRule
  // "re" (the Radial Embedding loss above) or "ec": the entailment-cone margin loss of the
  // paper's baseline (METHOD.md section 1), in place of L_e and L_m:
  //   psi(x) = arcsin(min(1, K / ||x - r||))   half-aperture of the cone at x
  //   L_e = mean_t,k max(0, m + Xi(x, y) - psi(x)) + mean_t,k max(0, m - (Xi(x, y') - psi(x)))
  //   L_m = 0 (no hard mining); P and N hold Xi(x, y) and -Xi(x, y') as with "re".
  // Or "clip": CLIP's contrastive image-text loss on one caption per row sampled from the
  // positive texts of `levels` (clip_objective_loss.h), the pullback term with lambda_p as for
  // RE; re_loss is not used then (lambda_e, lambda_m, tiers, negatives play no part).
  std::string objective = "re";
  double ec_margin = 0.1;    // m
  double ec_aperture = 0.1;  // K

  // Keys <section>.lambda_p, .lambda_e, .lambda_m, .tiers, .levels, .negatives,
  // .exterior_angle, .objective, .ec_margin, .ec_aperture, with their checks (also the ones
  // across keys).
  void declare(ConfigSchema& schema, const std::string& section = "loss");
  // The same checks for options built in code: a usage hc::Error naming the key.
  void validate() const;

  // Texts per item: the levels, twice with negatives.
  int64_t groups() const;
};

struct ReLoss {
  at::Tensor total;       // 0-dim, differentiable
  at::Tensor pullback;    // L_p (0 when lambda_p is 0 and no original embeddings are given)
  at::Tensor entailment;  // L_e
  at::Tensor mining;      // L_m
  at::Tensor P;           // [tiers, items]
  at::Tensor N;           // [tiers, items]; zeros without negatives
  at::Tensor hard_i;      // 0-dim int64: argmax of P flattened tier-major (index t * items + k)
  at::Tensor hard_j;      // 0-dim int64: argmax of N flattened; undefined without negatives
};

// text [groups * items, D] and root [D]: unit embeddings of the model being trained (gradients
// flow to both); original [groups * items, D]: unit embeddings of the frozen original model
// (detached here), may be undefined only when lambda_p is 0. Everything is computed in the
// geometry compute type (float64 stays float64, the rest float32) on the inputs' device.
// Shapes that do not fit the layout are an hc::Error naming the tensor and the expected shape.
ReLoss re_loss(const at::Tensor& text, const at::Tensor& original, const at::Tensor& root,
               const ReLossOptions& options);

// features / ||features|| along the last dimension, as the official code divides (a zero row
// is NaN there and here; the text encoder's outputs never are zero).
at::Tensor official_unit_rows(const at::Tensor& features);

}  // namespace hc
