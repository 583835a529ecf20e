#include "hc/vision/random_flip.h"

#include <algorithm>

#include "hc/core/split_mix.h"

namespace hc {

void flip_horizontal(RgbImage& image) {
  for (int y = 0; y < image.height; ++y) {
    uint8_t* row = image.row(y);
    for (int left = 0, right = image.width - 1; left < right; ++left, --right) {
      std::swap_ranges(row + 3 * left, row + 3 * left + 3, row + 3 * right);
    }
  }
}

FlipPolicy FlipPolicy::none() { return FlipPolicy(); }

FlipPolicy FlipPolicy::seeded(uint64_t seed) {
  FlipPolicy policy;
  policy.kind_ = Kind::Seeded;
  policy.seed_ = seed;
  return policy;
}

FlipPolicy FlipPolicy::fixed(std::vector<bool> flipped) {
  FlipPolicy policy;
  policy.kind_ = Kind::Fixed;
  policy.fixed_ = std::move(flipped);
  return policy;
}

bool FlipPolicy::flips(int64_t epoch, std::size_t image) const {
  switch (kind_) {
    case Kind::None:
      return false;
    case Kind::Seeded:
      return (mix_seed(seed_, static_cast<uint64_t>(epoch), image) >> 63) != 0;
    case Kind::Fixed:
      return image < fixed_.size() && fixed_[image];
  }
  return false;
}

std::string FlipPolicy::describe() const {
  switch (kind_) {
    case Kind::None:
      return "none";
    case Kind::Seeded:
      return "seeded:" + std::to_string(seed_);
    case Kind::Fixed: {
      std::string bits = "fixed:";
      for (bool f : fixed_) bits += f ? '1' : '0';
      return bits;
    }
  }
  return "none";
}

bool preset_flips_in_training(const std::string& preset_name) {
  return preset_name == "hgclip_legacy";
}

}  // namespace hc
