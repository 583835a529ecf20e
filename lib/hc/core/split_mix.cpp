#include "hc/core/split_mix.h"

#include <limits>

namespace hc {

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t bound) {
  // Values in the top partial block would make small results likelier: draw again.
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  const uint64_t limit = max - max % bound;
  while (true) {
    const uint64_t value = next();
    if (value < limit) return value % bound;
  }
}

uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b) {
  SplitMix64 first(seed ^ (a * 0xD1B54A32D192ED03ull));
  SplitMix64 second(first.next() ^ (b * 0x8CB92BA72F3D8DD7ull));
  return second.next();
}

}  // namespace hc
