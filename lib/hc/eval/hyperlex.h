#pragma once
// The HyperLex report for one scorer: Spearman's rho (scipy.stats.spearmanr, average ranks for
// ties) between the predicted scores and the gold ratings over all pairs, the nouns and the
// verbs, and the mean score per WordNet relation type, so a geometry's scores can be read
// against the relations (hyp-1 should score above hyp-4, above cohyp and no-rel). Torch-free:
// the scores come from hyperlex_scores.h.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/data/hyperlex.h"
#include "hc/eval/spearman.h"

namespace hc {

struct HyperLexTypeMean {
  std::string type;         // as in the file: hyp-1, r-hyp-2, cohyp, ...
  std::size_t count = 0;
  double mean_score = 0.0;  // mean predicted score
  double mean_gold = 0.0;   // mean gold rating
};

struct HyperLexReport {
  SpearmanResult all;                     // every pair
  SpearmanResult nouns;                   // POS N (n = 0: none)
  SpearmanResult verbs;                   // POS V (n = 0: none)
  std::vector<HyperLexTypeMean> per_type; // hyp-1..N, r-hyp-1..N, cohyp, mero, syn, ant, no-rel, others
};

// scores and gold: one per pair of set, in its order. Lengths that differ are an hc::Error.
HyperLexReport hyperlex_report(const HyperLexSet& set, const std::vector<double>& scores,
                               const std::vector<double>& gold);

// {rho_all, rho_nouns, rho_verbs, p_value_all, p_value_nouns, p_value_verbs, n_all, n_nouns,
//  n_verbs, per_type: {TYPE: {count, mean_score, mean_gold}}}; undefined values are null.
nlohmann::ordered_json hyperlex_report_json(const HyperLexReport& report);

}  // namespace hc
