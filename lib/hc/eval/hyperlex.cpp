#include "hc/eval/hyperlex.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "hc/core/error.h"
#include "hc/eval/numpy_mean.h"

namespace hc {
namespace {

// Relations in the order a reader scans them: entailment by distance, reversed entailment by
// distance, then the non-entailing relations, then anything else alphabetically.
std::tuple<int, int, std::string> type_order(const std::string& type) {
  auto level = [&](const std::string& prefix) -> int {
    if (type.rfind(prefix, 0) != 0) return -1;
    try {
      std::size_t used = 0;
      const int n = std::stoi(type.substr(prefix.size()), &used);
      return used == type.size() - prefix.size() ? n : -1;
    } catch (const std::exception&) {
      return -1;
    }
  };
  if (int n = level("hyp-"); n >= 0) return {0, n, ""};
  if (int n = level("r-hyp-"); n >= 0) return {1, n, ""};
  static const char* const kOthers[] = {"cohyp", "mero", "syn", "ant", "no-rel"};
  for (int i = 0; i < 5; ++i) {
    if (type == kOthers[i]) return {2, i, ""};
  }
  return {3, 0, type};
}

SpearmanResult subset_spearman(const HyperLexSet& set, const std::vector<double>& scores,
                               const std::vector<double>& gold, const std::string& pos) {
  std::vector<double> s, g;
  for (std::size_t i = 0; i < set.pairs.size(); ++i) {
    if (set.pairs[i].pos != pos) continue;
    s.push_back(scores[i]);
    g.push_back(gold[i]);
  }
  if (s.empty()) {
    SpearmanResult none;
    none.rho = none.p_value = std::nan("");
    return none;
  }
  return spearman(s, g);
}

nlohmann::ordered_json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

HyperLexReport hyperlex_report(const HyperLexSet& set, const std::vector<double>& scores,
                               const std::vector<double>& gold) {
  if (scores.size() != set.pairs.size() || gold.size() != set.pairs.size()) {
    throw runtime_error("HyperLex report: {} pairs, {} scores and {} gold ratings",
                        set.pairs.size(), scores.size(), gold.size());
  }
  HyperLexReport report;
  report.all = spearman(scores, gold);
  report.nouns = subset_spearman(set, scores, gold, "N");
  report.verbs = subset_spearman(set, scores, gold, "V");

  std::map<std::tuple<int, int, std::string>, std::pair<std::string, std::vector<std::size_t>>>
      by_type;
  for (std::size_t i = 0; i < set.pairs.size(); ++i) {
    auto& entry = by_type[type_order(set.pairs[i].type)];
    entry.first = set.pairs[i].type;
    entry.second.push_back(i);
  }
  for (const auto& [order, entry] : by_type) {
    std::vector<double> s, g;
    for (std::size_t i : entry.second) {
      s.push_back(scores[i]);
      g.push_back(gold[i]);
    }
    report.per_type.push_back({entry.first, entry.second.size(), numpy_mean(s), numpy_mean(g)});
  }
  return report;
}

nlohmann::ordered_json hyperlex_report_json(const HyperLexReport& report) {
  nlohmann::ordered_json json;
  json["rho_all"] = number_or_null(report.all.rho);
  json["rho_nouns"] = number_or_null(report.nouns.rho);
  json["rho_verbs"] = number_or_null(report.verbs.rho);
  json["p_value_all"] = number_or_null(report.all.p_value);
  json["p_value_nouns"] = number_or_null(report.nouns.p_value);
  json["p_value_verbs"] = number_or_null(report.verbs.p_value);
  json["n_all"] = report.all.n;
  json["n_nouns"] = report.nouns.n;
  json["n_verbs"] = report.verbs.n;
  nlohmann::ordered_json per_type = nlohmann::ordered_json::object();
  for (const auto& type : report.per_type) {
    per_type[type.type] = {{"count", type.count},
                           {"mean_score", number_or_null(type.mean_score)},
                           {"mean_gold", number_or_null(type.mean_gold)}};
  }
  json["per_type"] = std::move(per_type);
  return json;
}

}  // namespace hc
