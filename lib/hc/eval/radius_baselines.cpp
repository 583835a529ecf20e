#include "hc/eval/radius_baselines.h"

#include <algorithm>

#include "hc/core/error.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {
namespace {

// Code points of valid UTF-8 (the loader has checked every non-ASCII text): the bytes that do
// not continue a sequence.
std::size_t code_points(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// radii[row][tier] = value(row, tier) for every row of set.
template <typename Value>
std::vector<std::array<double, 4>> per_text(const HierarCapsSet& set, Value value) {
  std::vector<std::array<double, 4>> radii(set.rows.size());
  for (std::size_t row = 0; row < set.rows.size(); ++row) {
    for (std::size_t tier = 0; tier < kHierarCapsTiers; ++tier) {
      radii[row][tier] = static_cast<double>(value(row, tier));
    }
  }
  return radii;
}

}  // namespace

std::vector<std::array<double, 4>> char_length_radii(const HierarCapsSet& set) {
  return token_count_radii(set, code_points);
}

std::vector<std::array<double, 4>> token_count_radii(
    const HierarCapsSet& set, const std::function<std::size_t(const std::string&)>& count) {
  return per_text(set, [&](std::size_t row, std::size_t tier) {
    return count(set.rows[row].captions[tier]);
  });
}

std::vector<std::array<double, 4>> token_count_radii(const HierarCapsSet& set,
                                                     const ClipTokenizer& tokenizer) {
  return token_count_radii(
      set, [&tokenizer](const std::string& text) { return tokenizer.encode(text).size(); });
}

std::vector<std::array<double, 4>> token_count_radii(const HierarCapsSet& set,
                                                     const std::vector<std::size_t>& counts) {
  if (counts.size() != set.rows.size() * kHierarCapsTiers) {
    throw runtime_error("token counts: expected {} (4 per row of {}), got {}",
                        set.rows.size() * kHierarCapsTiers, set.source.string(), counts.size());
  }
  return per_text(set, [&](std::size_t row, std::size_t tier) {
    return counts[row * kHierarCapsTiers + tier];
  });
}

}  // namespace hc
