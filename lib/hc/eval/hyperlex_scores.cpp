#include "hc/eval/hyperlex_scores.h"

#include <ATen/ATen.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/geometry/exterior_angle.h"
#include "hc/geometry/genericness.h"
#include "hc/geometry/precision.h"

namespace hc {
namespace {

at::Tensor word_indices(const HyperLexSet& set, bool first) {
  std::vector<int64_t> indices;
  indices.reserve(set.pairs.size());
  for (const auto& pair : set.pairs) {
    indices.push_back(static_cast<int64_t>(first ? pair.word1_index : pair.word2_index));
  }
  return at::tensor(indices, at::kLong);
}

std::vector<double> to_vector(const at::Tensor& values) {
  const at::Tensor cpu = values.to(at::kCPU, at::kDouble).contiguous();
  const double* data = cpu.data_ptr<double>();
  return std::vector<double>(data, data + cpu.numel());
}

}  // namespace

HyperLexScorer parse_hyperlex_scorer(const std::string& name) {
  if (name == "exterior_angle") return HyperLexScorer::ExteriorAngle;
  if (name == "cosine") return HyperLexScorer::Cosine;
  if (name == "genericness") return HyperLexScorer::Genericness;
  throw usage_error("unknown HyperLex scorer '{}': expected exterior_angle, cosine or genericness",
                    name);
}

const char* hyperlex_scorer_name(HyperLexScorer scorer) {
  switch (scorer) {
    case HyperLexScorer::ExteriorAngle:
      return "exterior_angle";
    case HyperLexScorer::Cosine:
      return "cosine";
    case HyperLexScorer::Genericness:
      return "genericness";
  }
  return "?";
}

const char* hyperlex_scorer_formula(HyperLexScorer scorer) {
  switch (scorer) {
    case HyperLexScorer::ExteriorAngle:
      return "-Xi(e(WORD2), e(WORD1))";
    case HyperLexScorer::Cosine:
      return "cos(e(WORD1), e(WORD2))";
    case HyperLexScorer::Genericness:
      return "||e(WORD1) - r|| - ||e(WORD2) - r||";
  }
  return "?";
}

std::vector<double> hyperlex_scores(const HyperLexSet& set, const at::Tensor& embeddings,
                                    const at::Tensor& root, HyperLexScorer scorer) {
  const int64_t words = static_cast<int64_t>(set.words.size());
  if (embeddings.dim() != 2 || embeddings.size(0) != words) {
    throw runtime_error("HyperLex scores: expected embeddings [{}, D] (one row per distinct word), "
                        "got [{}]",
                        words, fmt::join(embeddings.sizes(), ", "));
  }
  if (root.dim() != 1 || root.size(0) != embeddings.size(1)) {
    throw runtime_error("HyperLex scores: expected a root [{}], got [{}]", embeddings.size(1),
                        fmt::join(root.sizes(), ", "));
  }
  const at::Tensor unit = normalize_embeddings(embeddings.to(at::kCPU, at::kDouble));
  const at::Tensor r = normalize_embeddings(root.to(at::kCPU, at::kDouble));
  const at::Tensor specific = unit.index_select(0, word_indices(set, true));   // e(WORD1)
  const at::Tensor general = unit.index_select(0, word_indices(set, false));   // e(WORD2)
  switch (scorer) {
    case HyperLexScorer::ExteriorAngle:
      return to_vector(-exterior_angle(general, specific, r));
    case HyperLexScorer::Cosine:
      return to_vector((specific * general).sum(-1));
    case HyperLexScorer::Genericness:
      return to_vector(genericness(specific, r) - genericness(general, r));
  }
  throw runtime_error("unknown HyperLex scorer");
}

}  // namespace hc
