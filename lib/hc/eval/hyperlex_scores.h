#pragma once
// Scores for HyperLex pairs (WORD1, WORD2) = "is WORD1 a type of WORD2?" from word embeddings,
// higher = more entailment:
//   exterior_angle - the Radial Embedding score -Xi(x = e(WORD2), y = e(WORD1)): the general
//                    word is x, the specific one y (METHOD.md section 4; swapping them is the
//                    classic mistake and moves rho by ~0.1 on the fixture);
//   cosine         - cos(e(WORD1), e(WORD2)), a symmetric similarity baseline;
//   genericness    - ||e(WORD1) - r|| - ||e(WORD2) - r||: WORD1 further from the root than
//                    WORD2, the "specific is further out" baseline without the angle.
// Embeddings and root are converted to float64 and renormalised there (a zero root stays the
// origin), as the fixture's reference computes, so near-equal angles rank the same on every
// device and dtype. Degenerate pairs (e(WORD1) == e(WORD2), or WORD2 on the root) get the
// geometry module's pi/2, i.e. a score of -pi/2 (see exterior_angle.h).
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "hc/data/hyperlex.h"

namespace hc {

enum class HyperLexScorer { ExteriorAngle, Cosine, Genericness };

// "exterior_angle", "cosine", "genericness"; anything else is a usage hc::Error.
HyperLexScorer parse_hyperlex_scorer(const std::string& name);
const char* hyperlex_scorer_name(HyperLexScorer scorer);
// The formula, for results: "-Xi(e(WORD2), e(WORD1))", ...
const char* hyperlex_scorer_formula(HyperLexScorer scorer);

// embeddings [set.words.size(), D] in set.words order, root [D]; any device and floating dtype.
// One score per pair, in set.pairs order. Shapes that do not fit are hc::Errors.
std::vector<double> hyperlex_scores(const HyperLexSet& set, const at::Tensor& embeddings,
                                    const at::Tensor& root, HyperLexScorer scorer);

}  // namespace hc
