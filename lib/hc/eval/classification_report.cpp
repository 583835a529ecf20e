#include "hc/eval/classification_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"

namespace hc {
namespace {

void check_truth(const std::vector<int64_t>& truth, std::size_t classes) {
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] < 0 || truth[i] >= static_cast<int64_t>(classes)) {
      throw runtime_error("classification: image {} has class {}, expected 0..{}", i, truth[i],
                          static_cast<int64_t>(classes) - 1);
    }
  }
}

// Per-class accuracy and the confusion summary from top-1 predictions.
void fill_from_top1(const std::vector<int64_t>& predicted, const std::vector<int64_t>& truth,
                    int confusions, ClassificationReport& report) {
  const std::size_t c = report.classes.size();
  std::vector<int64_t> correct(c, 0);
  report.class_images.assign(c, 0);
  std::map<std::pair<int64_t, int64_t>, int64_t> mistakes;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    ++report.class_images[truth[i]];
    if (predicted[i] == truth[i]) {
      ++correct[truth[i]];
    } else {
      ++mistakes[{truth[i], predicted[i]}];
    }
  }
  double sum = 0.0;
  int64_t with_images = 0;
  report.per_class.assign(c, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t k = 0; k < c; ++k) {
    if (report.class_images[k] == 0) continue;
    report.per_class[k] = static_cast<double>(correct[k]) / static_cast<double>(report.class_images[k]);
    sum += report.per_class[k];
    ++with_images;
  }
  report.mean_per_class = with_images > 0 ? sum / static_cast<double>(with_images) : 0.0;
  for (const auto& [pair, count] : mistakes) report.confusions.push_back({pair.first, pair.second, count});
  std::stable_sort(report.confusions.begin(), report.confusions.end(),
                   [](const Confusion& a, const Confusion& b) { return a.count > b.count; });
  if (report.confusions.size() > static_cast<std::size_t>(std::max(0, confusions))) {
    report.confusions.resize(static_cast<std::size_t>(std::max(0, confusions)));
  }
}

}  // namespace

ClassificationReport classification_report(const at::Tensor& logits, const std::vector<int64_t>& truth,
                                           const std::vector<std::string>& classes,
                                           const std::vector<int>& ks, int confusions) {
  if (logits.dim() != 2 || logits.size(0) != static_cast<int64_t>(truth.size()) ||
      logits.size(1) != static_cast<int64_t>(classes.size())) {
    throw runtime_error("classification: expected logits [{}, {}], got [{}]", truth.size(),
                        classes.size(), fmt::join(logits.sizes(), ", "));
  }
  check_truth(truth, classes.size());
  ClassificationReport report;
  report.classes = classes;
  report.images = static_cast<int64_t>(truth.size());
  report.ks = ks;
  const at::Tensor scores = logits.to(at::kCPU, at::kFloat);
  const at::Tensor target = at::tensor(truth, at::kLong);
  const int64_t max_k = std::min<int64_t>(*std::max_element(ks.begin(), ks.end()), scores.size(1));
  const at::Tensor ranked = std::get<1>(scores.topk(max_k, 1));  // [N, max_k]
  const at::Tensor hit = ranked.eq(target.unsqueeze(1));
  for (int k : ks) {
    const int64_t kk = std::min<int64_t>(k, max_k);
    report.top_k.push_back(truth.empty() ? 0.0
                                         : hit.narrow(1, 0, kk).any(1).to(at::kDouble).mean().item<double>());
  }
  const at::Tensor top1 = ranked.select(1, 0).contiguous();
  const std::vector<int64_t> predicted(top1.data_ptr<int64_t>(), top1.data_ptr<int64_t>() + top1.numel());
  fill_from_top1(predicted, truth, confusions, report);
  return report;
}

ClassificationReport prediction_report(const std::vector<int64_t>& predicted,
                                       const std::vector<int64_t>& truth,
                                       const std::vector<std::string>& classes, int confusions) {
  if (predicted.size() != truth.size()) {
    throw runtime_error("classification: {} predictions for {} images", predicted.size(), truth.size());
  }
  check_truth(truth, classes.size());
  check_truth(predicted, classes.size());
  ClassificationReport report;
  report.classes = classes;
  report.images = static_cast<int64_t>(truth.size());
  report.ks = {1};
  int64_t correct = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) correct += predicted[i] == truth[i];
  report.top_k = {truth.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(truth.size())};
  fill_from_top1(predicted, truth, confusions, report);
  return report;
}

nlohmann::ordered_json classification_report_json(const ClassificationReport& report) {
  nlohmann::ordered_json json;
  for (std::size_t i = 0; i < report.ks.size(); ++i) json[fmt::format("top{}", report.ks[i])] = report.top_k[i];
  json["mean_per_class"] = report.mean_per_class;
  json["images"] = report.images;
  nlohmann::ordered_json per_class = nlohmann::ordered_json::object();
  for (std::size_t k = 0; k < report.classes.size(); ++k) {
    per_class[report.classes[k]] = std::isnan(report.per_class[k])
                                       ? nlohmann::ordered_json(nullptr)
                                       : nlohmann::ordered_json(report.per_class[k]);
  }
  json["per_class"] = per_class;
  nlohmann::ordered_json confusions = nlohmann::ordered_json::array();
  for (const Confusion& c : report.confusions) {
    confusions.push_back({{"truth", report.classes[c.truth]},
                          {"predicted", report.classes[c.predicted]},
                          {"count", c.count}});
  }
  json["confusions"] = confusions;
  return json;
}

}  // namespace hc
