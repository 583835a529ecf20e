#pragma once
// Calibration points for d_corr: "radii" that use no model at all, only the texts. HierarCaps
// chains grow longer from general to specific, so text length alone already orders most rows;
// a model's d_corr means something only next to these.
//   char_length  - the number of characters (Unicode code points, Python's len()) of the text;
//   token_count  - the number of CLIP BPE tokens (without start / end tokens, not truncated).
// Both feed depth_correlation() (tau per row against the tier order, equal radii kept in tier
// order like the reference's stable argsort; d_corr the mean).
#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "hc/data/hierarcaps.h"
#include "hc/eval/depth_correlation.h"

namespace hc {

class ClipTokenizer;

// Per row of set, per tier: the text's length in code points.
std::vector<std::array<double, 4>> char_length_radii(const HierarCapsSet& set);

// Per row, per tier: count(text).
std::vector<std::array<double, 4>> token_count_radii(
    const HierarCapsSet& set, const std::function<std::size_t(const std::string&)>& count);
// With the CLIP tokenizer: tokenizer.encode(text).size().
std::vector<std::array<double, 4>> token_count_radii(const HierarCapsSet& set,
                                                     const ClipTokenizer& tokenizer);
// Precomputed counts, row-major in the order of set.texts(); a length other than 4 x rows is an
// hc::Error.
std::vector<std::array<double, 4>> token_count_radii(const HierarCapsSet& set,
                                                     const std::vector<std::size_t>& counts);

}  // namespace hc
