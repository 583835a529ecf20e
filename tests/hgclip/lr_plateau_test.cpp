// The learning-rate plateau schedule against PyTorch's ReduceLROnPlateau rules (mode max,
// relative threshold), worked by hand, and its state surviving a save and restore.
#include <catch2/catch.hpp>

#include <vector>

#include "hc/hgclip/lr_plateau.h"

namespace {

hc::PlateauOptions small() {
  hc::PlateauOptions options;
  options.patience = 2;
  options.factor = 0.5;
  options.min_lr = 0.1;
  return options;
}

}  // namespace

TEST_CASE("LrPlateau reduces after patience evaluations without a relative gain", "[hgclip]") {
  hc::LrPlateau plateau(small());
  std::vector<double> lr{1.0, 2.0};
  // The first evaluation sets the best; three without a gain (> patience 2) halve every group.
  for (double metric : {1.0, 0.5, 0.5}) {
    lr = plateau.step(metric, lr);
    CHECK(lr == std::vector<double>{1.0, 2.0});
  }
  lr = plateau.step(0.5, lr);
  CHECK(lr == std::vector<double>{0.5, 1.0});
  CHECK(plateau.reductions() == 1);
  // A gain resets the count; a gain below the relative threshold (1e-4) is no gain.
  lr = plateau.step(2.0, lr);
  lr = plateau.step(2.0001, lr);
  lr = plateau.step(2.0, lr);
  CHECK(lr == std::vector<double>{0.5, 1.0});
  lr = plateau.step(2.0, lr);
  CHECK(lr == std::vector<double>{0.25, 0.5});
  CHECK(plateau.best() == 2.0);
}

TEST_CASE("LrPlateau stops at min_lr and resumes from its saved state", "[hgclip]") {
  hc::LrPlateau plateau(small());
  std::vector<double> lr{0.3};
  lr = plateau.step(1.0, lr);
  for (int i = 0; i < 3; ++i) lr = plateau.step(0.0, lr);
  CHECK(lr[0] == Approx(0.15));
  for (int i = 0; i < 2; ++i) lr = plateau.step(0.0, lr);
  // Saved between two evaluations, restored into a fresh schedule: the same next step.
  hc::LrPlateau restored(small());
  restored.restore(plateau.to_json(), "test");
  std::vector<double> copy = lr;
  lr = plateau.step(0.0, lr);
  copy = restored.step(0.0, copy);
  CHECK(lr[0] == Approx(0.1));  // max(0.075, min_lr)
  CHECK(copy == lr);
  for (int i = 0; i < 3; ++i) lr = plateau.step(0.0, lr);
  CHECK(lr[0] == Approx(0.1));  // nothing left to reduce
  CHECK(plateau.reductions() == 2);
}
