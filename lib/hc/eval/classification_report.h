#pragma once
// Zero-shot classification metrics from logits: top-k accuracy, per-class accuracy (and its
// mean, the "balanced" accuracy), and a confusion summary (the most frequent true -> predicted
// mistakes), so a number like "top-1 0.62" comes with where it fails.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace hc {

struct Confusion {
  int64_t truth = 0;
  int64_t predicted = 0;
  int64_t count = 0;
};

struct ClassificationReport {
  std::vector<std::string> classes;
  int64_t images = 0;
  std::vector<int> ks;
  std::vector<double> top_k;          // accuracy at each k (k capped at the class count)
  std::vector<double> per_class;      // top-1 accuracy per class; NaN for a class without images
  std::vector<int64_t> class_images;  // images per class
  double mean_per_class = 0.0;        // over classes with images
  std::vector<Confusion> confusions;  // most frequent mistakes first, at most `confusions`
};

// logits [N, C] (any device), truth [N] class indices. A usage-free runtime hc::Error for
// shapes that do not fit or a truth index out of range.
ClassificationReport classification_report(const at::Tensor& logits, const std::vector<int64_t>& truth,
                                           const std::vector<std::string>& classes,
                                           const std::vector<int>& ks, int confusions = 10);

// The same from top-1 predictions alone (e.g. fine predictions mapped to their coarse class):
// ks = {1}.
ClassificationReport prediction_report(const std::vector<int64_t>& predicted,
                                       const std::vector<int64_t>& truth,
                                       const std::vector<std::string>& classes, int confusions = 10);

// {"top1": .., "top5": .., "mean_per_class": .., "images": .., "per_class": {name: acc},
//  "confusions": [{"truth", "predicted", "count"}]}
nlohmann::ordered_json classification_report_json(const ClassificationReport& report);

}  // namespace hc
