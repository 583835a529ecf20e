#pragma once
// Seeded random numbers that are the same on every platform and compiler (the standard
// distributions are not): SplitMix64 (Steele, Lea and Flood, 2014), an unbiased bounded draw, and
// a stateless mix of a seed with two counters for per-item decisions (an image's flip in an
// epoch) that must not depend on the order in which threads make them. Not for cryptography.
#include <cstdint>

namespace hc {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [0, bound) for bound > 0, without modulo bias.
  uint64_t below(uint64_t bound);

 private:
  uint64_t state_;
};

// One well-mixed value per (seed, a, b).
uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b);

}  // namespace hc
