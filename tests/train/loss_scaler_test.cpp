// The dynamic loss scale's state machine against GradScaler's rule with PyTorch's defaults:
// sequences of finite and overflowing steps give exact scales, growth counts and skipped steps.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "hc/core/error.h"
#include "hc/train/loss_scaler.h"

namespace {

// Feeds `count` steps of the same outcome; returns how many were applied.
int feed(hc::LossScaler& scaler, bool finite, int count) {
  int applied = 0;
  for (int i = 0; i < count; ++i) applied += scaler.update(finite) ? 1 : 0;
  return applied;
}

}  // namespace

TEST_CASE("loss scale: dynamic follows GradScaler's defaults", "[train][loss_scale]") {
  hc::LossScaler scaler = hc::LossScaler::parse("dynamic");
  REQUIRE(scaler.is_dynamic());
  CHECK(scaler.checks_overflow());
  CHECK(scaler.scale() == 65536.0);
  CHECK(scaler.growth_tracker() == 0);

  // An overflow: skipped, halved.
  CHECK_FALSE(scaler.update(false));
  CHECK(scaler.scale() == 32768.0);
  // Two overflows in a row: 8192.
  CHECK(feed(scaler, false, 2) == 0);
  CHECK(scaler.scale() == 8192.0);

  // 1999 finite steps: no growth yet; the 2000th doubles and restarts the count.
  CHECK(feed(scaler, true, 1999) == 1999);
  CHECK(scaler.scale() == 8192.0);
  CHECK(scaler.growth_tracker() == 1999);
  CHECK(scaler.update(true));
  CHECK(scaler.scale() == 16384.0);
  CHECK(scaler.growth_tracker() == 0);

  // An overflow after 1500 finite steps restarts the count: growth needs 2000 more.
  feed(scaler, true, 1500);
  CHECK_FALSE(scaler.update(false));
  CHECK(scaler.scale() == 8192.0);
  CHECK(scaler.growth_tracker() == 0);
  feed(scaler, true, 1999);
  CHECK(scaler.scale() == 8192.0);
  feed(scaler, true, 1);
  CHECK(scaler.scale() == 16384.0);
}

TEST_CASE("loss scale: growth stops where float32 would overflow", "[train][loss_scale]") {
  hc::LossScaler scaler = hc::LossScaler::dynamic();
  const double largest_power = std::ldexp(1.0, 127);  // 2^128 is not a finite float32
  scaler.restore(largest_power, 1999);
  CHECK(scaler.update(true));
  CHECK(scaler.scale() == largest_power);
  CHECK(scaler.growth_tracker() == 0);
  // Small custom settings behave the same way.
  hc::LossScaler quick = hc::LossScaler::dynamic({4.0, 3.0, 0.25, 2});
  CHECK(quick.scale() == 4.0);
  feed(quick, true, 2);
  CHECK(quick.scale() == 12.0);
  quick.update(false);
  CHECK(quick.scale() == 3.0);
}

TEST_CASE("loss scale: a fixed scale never changes; bad settings are usage errors",
          "[train][loss_scale]") {
  hc::LossScaler one = hc::LossScaler::parse("1");
  CHECK_FALSE(one.is_dynamic());
  CHECK_FALSE(one.checks_overflow());
  hc::LossScaler fixed = hc::LossScaler::parse("1024");
  CHECK(fixed.checks_overflow());
  CHECK_FALSE(fixed.update(false));  // skipped, but the scale stays
  CHECK(fixed.update(true));
  CHECK(fixed.scale() == 1024.0);
  CHECK(hc::LossScaler::parse("inf").scale() == std::numeric_limits<double>::infinity());
  CHECK_THROWS_AS(fixed.restore(2.0, 0), hc::Error);
  for (const char* bad : {"0", "-2", "", "dynamc", "12abc"}) {
    CAPTURE(bad);
    try {
      hc::LossScaler::parse(bad);
      FAIL("accepted");
    } catch (const hc::Error& e) {
      CHECK(e.exit_code() == 2);
      CHECK_THAT(e.what(), Catch::Contains("train.loss_scale"));
    }
  }
  hc::LossScaler dynamic = hc::LossScaler::dynamic();
  CHECK_THROWS_AS(dynamic.restore(0.0, 0), hc::Error);
  CHECK_THROWS_AS(dynamic.restore(8.0, 2000), hc::Error);
}
