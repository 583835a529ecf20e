#pragma once
// The one augmentation of HGCLIP's training transform: torchvision's RandomHorizontalFlip
// (p = 0.5) after the resize, on the 8-bit image, before ToTensor. Which images are flipped is
// decided per (seed, epoch, image) without state, so it does not depend on thread scheduling,
// is the same after a resume, and can be recorded in cache keys. Torch-free.
#include <cstdint>
#include <string>
#include <vector>

#include "hc/vision/rgb_image.h"

namespace hc {

// Mirrors the image left to right in place.
void flip_horizontal(RgbImage& image);

class FlipPolicy {
 public:
  static FlipPolicy none();
  // Each image flipped with probability 1/2, drawn from (seed, epoch, image index).
  static FlipPolicy seeded(uint64_t seed);
  // Exactly these images flipped, every epoch (to reproduce a reference run).
  static FlipPolicy fixed(std::vector<bool> flipped);

  bool flips(int64_t epoch, std::size_t image) const;
  // "none", "seeded:<seed>" or "fixed:<0/1 per image>": what caches and results record.
  std::string describe() const;

 private:
  enum class Kind { None, Seeded, Fixed };
  Kind kind_ = Kind::None;
  uint64_t seed_ = 0;
  std::vector<bool> fixed_;
};

// Whether a preprocessing preset's training transform flips: true for hgclip_legacy (the
// official HGCLIP training transform), false for clip_hf and files. Evaluation never flips.
bool preset_flips_in_training(const std::string& preset_name);

}  // namespace hc
