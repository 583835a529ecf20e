// The Gram-matrix form of the exterior angle agrees with exterior_angle() on every ordered pair,
// degenerate pairs included.
#include "catch_torch.h"

#include <cmath>

#include "hc/geometry/exterior_angle.h"
#include "hc/geometry/exterior_angle_matrix.h"

TEST_CASE("exterior angle matrix: every ordered pair, as exterior_angle computes it", "[geometry]") {
  torch::manual_seed(4);
  at::Tensor e = torch::randn({7, 5}, torch::kDouble);
  e = e / e.norm(2, {1}, true);
  at::Tensor r = torch::randn({5}, torch::kDouble);
  r = r / r.norm();
  e[3] = e[1];  // a repeated embedding: Xi(e1, e3) is degenerate
  e[5] = r;     // an embedding on the root: its whole row is degenerate
  const at::Tensor matrix = hc::exterior_angle_matrix(e, r);
  const at::Tensor direct = hc::exterior_angle(e.unsqueeze(1), e.unsqueeze(0), r);
  REQUIRE(matrix.sizes() == direct.sizes());
  // arccos near 0 and pi turns rounding of ~1e-16 into ~1e-8 rad (here: Xi(x, r) = pi).
  CHECK(torch::allclose(matrix, direct, 0.0, 1e-7));
  CHECK(torch::allclose(matrix.index({torch::indexing::Slice(), 0}), direct.index({torch::indexing::Slice(), 0}), 0.0, 1e-7));
  CHECK(matrix[1][3].item<double>() == Approx(M_PI / 2));
  CHECK(matrix[5][0].item<double>() == Approx(M_PI / 2));
  CHECK(matrix[2][2].item<double>() == Approx(M_PI / 2));
  // float32 inputs are computed in float64 as well.
  CHECK(torch::allclose(hc::exterior_angle_matrix(e.to(torch::kFloat), r.to(torch::kFloat)),
                        hc::exterior_angle_matrix(e.to(torch::kFloat).to(torch::kDouble),
                                                  r.to(torch::kFloat).to(torch::kDouble))));
  // The origin as the root.
  const at::Tensor origin = torch::zeros({5}, torch::kDouble);
  CHECK(torch::allclose(hc::exterior_angle_matrix(e, origin),
                        hc::exterior_angle(e.unsqueeze(1), e.unsqueeze(0), origin), 0.0, 1e-7));
}
