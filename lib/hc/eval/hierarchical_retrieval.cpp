#include "hc/eval/hierarchical_retrieval.h"

#include <algorithm>
#include <array>
#include <numeric>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/eval/depth_correlation.h"
#include "hc/eval/numpy_mean.h"
#include "hc/geometry/genericness.h"
#include "hc/geometry/precision.h"

namespace hc {
namespace {

// Scores of at most this many floats are held at once (images are taken in chunks).
constexpr int64_t kScoreChunkFloats = int64_t{1} << 24;

std::string shape_text(const at::Tensor& t) {
  return fmt::format("[{}]", fmt::join(t.sizes(), ", "));
}

// numpy.linspace(start, stop, num) to the rounding: i * step + start, the last one exactly stop.
std::vector<double> numpy_linspace(double start, double stop, int num) {
  std::vector<double> values(static_cast<std::size_t>(num));
  if (num == 1) {
    values[0] = start;
    return values;
  }
  const double div = num - 1;
  const double delta = stop - start;
  const double step = delta / div;
  for (int i = 0; i < num; ++i) {
    values[i] = step == 0 ? (i / div) * delta + start : i * step + start;
  }
  values.back() = stop;
  return values;
}

// The same text (string) gets the same id, in order of first appearance.
std::vector<int64_t> intern_texts(const std::vector<std::string>& texts, std::size_t* distinct) {
  std::unordered_map<std::string_view, int64_t> ids;
  ids.reserve(texts.size());
  std::vector<int64_t> result;
  result.reserve(texts.size());
  for (const auto& text : texts) {
    result.push_back(ids.emplace(text, static_cast<int64_t>(ids.size())).first->second);
  }
  if (distinct != nullptr) *distinct = ids.size();
  return result;
}

at::Tensor unit_float32(const at::Tensor& t) { return normalize_embeddings(t.to(at::kFloat)); }

void require_finite(const at::Tensor& t, const char* what) {
  if (!at::isfinite(t).all().item<bool>()) {
    throw runtime_error("hierarchical retrieval: the {} embeddings contain NaN or infinity", what);
  }
}

struct ChainSearch {
  double rmin = 0.0;
  double rmax = 0.0;
  std::vector<double> levels;
  std::vector<float> radii;                    // per candidate
  std::vector<std::vector<int64_t>> chosen;    // per image: candidate indices
  std::vector<std::vector<double>> scores;     // per image: their scores
};

// The official per-level argmax, without a pass per level: the masks R <= level are prefixes
// of the candidates sorted by radius, so one walk through that order with a running maximum
// gives every level's argmax. Ties go to the lower candidate index (the reference's first
// maximum in row-major order), whatever the radius order.
ChainSearch search_chains(const at::Tensor& candidates, const std::vector<int64_t>& text_ids,
                          const at::Tensor& images, const at::Tensor& root, int steps) {
  const at::NoGradGuard no_grad;
  const int64_t count = candidates.size(0);
  ChainSearch search;

  at::Tensor radii = genericness(candidates, root).to(at::kCPU).contiguous();
  search.radii.assign(radii.data_ptr<float>(), radii.data_ptr<float>() + count);
  auto [low, high] = std::minmax_element(search.radii.begin(), search.radii.end());
  search.rmin = *low;
  search.rmax = *high;
  search.levels = numpy_linspace(search.rmin, search.rmax, steps);

  std::vector<int64_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return search.radii[a] < search.radii[b]; });
  std::vector<float> sorted_radii(order.size());
  for (std::size_t p = 0; p < order.size(); ++p) sorted_radii[p] = search.radii[order[p]];
  // torch compares a float32 tensor with a Python float in float32.
  std::vector<std::size_t> masked(search.levels.size());
  for (std::size_t l = 0; l < masked.size(); ++l) {
    const float level = static_cast<float>(search.levels[l]);
    masked[l] = static_cast<std::size_t>(
        std::upper_bound(sorted_radii.begin(), sorted_radii.end(), level) - sorted_radii.begin());
  }

  const int64_t image_count = images.size(0);
  search.chosen.resize(static_cast<std::size_t>(image_count));
  search.scores.resize(static_cast<std::size_t>(image_count));
  const int64_t chunk = std::max<int64_t>(1, kScoreChunkFloats / std::max<int64_t>(1, count));
  at::Tensor candidates_t = candidates.t();
  for (int64_t begin = 0; begin < image_count; begin += chunk) {
    const int64_t end = std::min(image_count, begin + chunk);
    at::Tensor scores =
        at::matmul(images.slice(0, begin, end), candidates_t).to(at::kCPU).contiguous();
    const float* rows = scores.data_ptr<float>();
    for (int64_t i = begin; i < end; ++i) {
      const float* s = rows + (i - begin) * count;
      auto& chosen = search.chosen[i];
      auto& chosen_scores = search.scores[i];
      int64_t best = -1;
      float best_score = 0.0f;
      std::size_t p = 0;
      for (std::size_t limit : masked) {
        for (; p < limit; ++p) {
          const int64_t c = order[p];
          if (best < 0 || s[c] > best_score || (s[c] == best_score && c < best)) {
            best = c;
            best_score = s[c];
          }
        }
        if (chosen.empty() || text_ids[chosen.back()] != text_ids[best]) {
          chosen.push_back(best);
          chosen_scores.push_back(best_score);
        }
      }
    }
  }
  return search;
}

void check_steps(int steps) {
  if (steps < 1) throw usage_error("hierarchical retrieval: steps must be at least 1, got {}", steps);
}

}  // namespace

void HierarchicalRetrievalOptions::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".steps", steps, "radius levels of the hierarchical retrieval")
      .check_positive()
      .flag("--steps");
}

HierarchicalRetrievalResult evaluate_hierarchical_retrieval(const at::Tensor& text,
                                                            const at::Tensor& images,
                                                            const at::Tensor& root,
                                                            const HierarCapsSet& set,
                                                            int steps) {
  check_steps(steps);
  const auto tiers = static_cast<int64_t>(kHierarCapsTiers);
  const auto rows = static_cast<int64_t>(set.rows.size());
  const auto image_count = static_cast<int64_t>(set.images.size());
  if (text.dim() != 3 || text.size(0) != rows || text.size(1) != tiers) {
    throw runtime_error("hierarchical retrieval: text embeddings must be [{}, {}, D] for the {} "
                        "rows of {}, got {}", rows, tiers, rows, set.source.string(),
                        shape_text(text));
  }
  const int64_t dim = text.size(2);
  if (images.dim() != 2 || images.size(0) != image_count || images.size(1) != dim) {
    throw runtime_error("hierarchical retrieval: image embeddings must be [{}, {}] for the {} "
                        "distinct images of {}, got {}", image_count, dim, image_count,
                        set.source.string(), shape_text(images));
  }
  if (root.dim() != 1 || root.size(0) != dim) {
    throw runtime_error("hierarchical retrieval: the root must be [{}], got {}", dim,
                        shape_text(root));
  }
  const at::NoGradGuard no_grad;
  const at::Device device = text.device();
  at::Tensor t = unit_float32(text.reshape({rows * tiers, dim}));
  at::Tensor v = unit_float32(images.to(device));
  at::Tensor r = unit_float32(root.to(device));
  require_finite(t, "text");
  require_finite(v, "image");
  require_finite(r, "root");

  HierarchicalRetrievalResult result;
  const std::vector<std::string> texts = set.texts();
  const std::vector<int64_t> ids = intern_texts(texts, &result.distinct_texts);
  ChainSearch search = search_chains(t, ids, v, r, steps);

  result.rows = set.rows.size();
  result.images = set.images.size();
  result.steps = steps;
  result.rmin = search.rmin;
  result.rmax = search.rmax;
  result.levels = search.levels;
  result.skipped = set.skipped;

  std::vector<double> precisions, recalls;
  result.per_image.reserve(set.images.size());
  for (std::size_t i = 0; i < set.images.size(); ++i) {
    const HierarCapsImage& image = set.images[i];
    std::unordered_set<int64_t> predicted;
    for (int64_t c : search.chosen[i]) predicted.insert(ids[c]);
    std::unordered_set<int64_t> truth;
    std::array<bool, kHierarCapsTiers> tier_found{};
    for (std::size_t row : image.rows) {
      for (std::size_t tier = 0; tier < kHierarCapsTiers; ++tier) {
        const int64_t id = ids[row * kHierarCapsTiers + tier];
        truth.insert(id);
        tier_found[tier] = tier_found[tier] || predicted.count(id) > 0;
      }
    }
    std::size_t hits = 0;
    for (int64_t id : predicted) hits += truth.count(id);

    ImageRetrieval out;
    out.coco_id = image.coco_id;
    out.file = image.file.filename().string();
    out.precision = static_cast<double>(hits) / static_cast<double>(std::max<std::size_t>(1, predicted.size()));
    out.recall = static_cast<double>(std::count(tier_found.begin(), tier_found.end(), true)) /
                 static_cast<double>(kHierarCapsTiers);
    for (int64_t c : search.chosen[i]) out.chain.push_back(texts[c]);
    out.scores = std::move(search.scores[i]);
    precisions.push_back(out.precision);
    recalls.push_back(out.recall);
    result.per_image.push_back(std::move(out));
  }
  result.precision = numpy_mean(precisions);
  result.recall = numpy_mean(recalls);

  std::vector<std::array<double, 4>> radii(set.rows.size());
  for (std::size_t row = 0; row < radii.size(); ++row) {
    for (std::size_t tier = 0; tier < kHierarCapsTiers; ++tier) {
      radii[row][tier] = search.radii[row * kHierarCapsTiers + tier];
    }
  }
  DepthCorrelation depth = depth_correlation(radii);
  result.d_corr = depth.mean;
  result.per_row.reserve(set.rows.size());
  for (std::size_t row = 0; row < set.rows.size(); ++row) {
    result.per_row.push_back({set.rows[row].id, depth.per_row[row]});
  }
  return result;
}

nlohmann::ordered_json hierarchical_retrieval_json(const HierarchicalRetrievalResult& result,
                                                   bool per_item) {
  nlohmann::ordered_json out;
  out["precision"] = result.precision;
  out["recall"] = result.recall;
  out["d_corr"] = result.d_corr;
  out["rows"] = result.rows;
  out["images"] = result.images;
  out["distinct_texts"] = result.distinct_texts;
  out["steps"] = result.steps;
  out["rmin"] = result.rmin;
  out["rmax"] = result.rmax;
  nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
  for (const auto& row : result.skipped) {
    skipped.push_back({{"id", row.id}, {"line", row.line}, {"coco_id", row.coco_id}});
  }
  out["skipped"] = std::move(skipped);
  if (!per_item) return out;
  out["levels"] = result.levels;
  nlohmann::ordered_json images = nlohmann::ordered_json::array();
  for (const auto& image : result.per_image) {
    images.push_back({{"coco_id", image.coco_id},
                      {"file", image.file},
                      {"precision", image.precision},
                      {"recall", image.recall},
                      {"chain", image.chain},
                      {"scores", image.scores}});
  }
  out["per_image"] = std::move(images);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : result.per_row) rows.push_back({{"id", row.id}, {"tau", row.tau}});
  out["per_row"] = std::move(rows);
  return out;
}

HierarchicalChains retrieve_hierarchical_chains(const at::Tensor& candidates,
                                                const std::vector<std::string>& texts,
                                                const at::Tensor& images, const at::Tensor& root,
                                                int steps) {
  check_steps(steps);
  if (candidates.dim() != 2 || candidates.size(0) != static_cast<int64_t>(texts.size()) ||
      candidates.size(0) == 0) {
    throw runtime_error("hierarchical chains: candidates must be [{}, D] for {} texts, got {}",
                        texts.size(), texts.size(), shape_text(candidates));
  }
  const int64_t dim = candidates.size(1);
  if (images.dim() != 2 || images.size(1) != dim || root.dim() != 1 || root.size(0) != dim) {
    throw runtime_error("hierarchical chains: expected images [m, {}] and root [{}], got {} and {}",
                        dim, dim, shape_text(images), shape_text(root));
  }
  const at::NoGradGuard no_grad;
  const at::Device device = candidates.device();
  at::Tensor t = unit_float32(candidates);
  at::Tensor v = unit_float32(images.to(device));
  at::Tensor r = unit_float32(root.to(device));
  require_finite(t, "candidate");
  require_finite(v, "image");
  require_finite(r, "root");
  ChainSearch search = search_chains(t, intern_texts(texts, nullptr), v, r, steps);

  HierarchicalChains result;
  result.rmin = search.rmin;
  result.rmax = search.rmax;
  result.levels = search.levels;
  result.scores = std::move(search.scores);
  for (const auto& chosen : search.chosen) {
    std::vector<std::string> chain;
    for (int64_t c : chosen) chain.push_back(texts[c]);
    result.chains.push_back(std::move(chain));
  }
  return result;
}

}  // namespace hc
