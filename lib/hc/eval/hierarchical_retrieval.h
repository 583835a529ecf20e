#pragma once
// HierarCaps hierarchical retrieval, with the semantics of the official code
// (`code/evaluation/hierarchical_retrieval.py`, HCEvaluator.run) where the paper's prose differs
// (the prose skips the prediction closest to the root and ends the levels at the text closest
// to the image; the code does neither, and takes the levels over all texts, not per image):
// - all embeddings normalised in float32; radii R = ||T - r|| over all n x 4 texts;
// - `steps` levels linspace(min R, max R) over all texts (not per image), masks R <= level;
// - per distinct image, for each level in increasing order: the masked text with the largest
//   dot product with the image (the first one in row-major order on ties); appended to the
//   predicted chain unless it is the same text (string) as the previous prediction;
// - precision = |set(chain) & gt| / max(1, |set(chain)|), gt = every text of every row of the
//   image; recall = mean over tiers t of [the tier-t text of any of its rows is in the chain];
// - d_corr = mean over rows of Kendall tau between argsort(R_row) and [1, 2, 3, 4]
//   (depth_correlation.h).
// Texts are identified by their string: equal strings in different rows are one text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "hc/data/hierarcaps.h"

namespace hc {

class ConfigSchema;

struct HierarchicalRetrievalOptions {
  int steps = 50;  // radius levels

  // Key <section>.steps (flag --steps).
  void declare(ConfigSchema& schema, const std::string& section = "retrieval");
};

struct ImageRetrieval {
  int64_t coco_id = 0;
  std::string file;                 // the image file's name (empty without an image folder)
  double precision = 0.0;
  double recall = 0.0;
  std::vector<std::string> chain;   // predicted texts, general -> specific, consecutive repeats dropped
  std::vector<double> scores;       // each prediction's dot product with the image
};

struct RowDepth {
  std::string id;    // the row's id in the CSV
  double tau = 0.0;  // Kendall tau of its radii against the tier order
};

struct HierarchicalRetrievalResult {
  double precision = 0.0;  // mean over images
  double recall = 0.0;     // mean over images
  double d_corr = 0.0;     // mean over rows
  std::size_t rows = 0;
  std::size_t images = 0;
  std::size_t distinct_texts = 0;
  int steps = 0;
  double rmin = 0.0;
  double rmax = 0.0;
  std::vector<double> levels;                   // the radius thresholds
  std::vector<ImageRetrieval> per_image;        // in HierarCapsSet::images order
  std::vector<RowDepth> per_row;                // in HierarCapsSet::rows order
  std::vector<HierarCapsSkippedRow> skipped;    // rows the set left out (missing images)
};

// text [n, 4, D] (rows of set, tiers general -> specific), images [m, D] (set.images order),
// root [D]: unnormalised or not, any floating dtype and device (the metric computes in float32
// on that device, the chain search on the CPU). Shapes that disagree with each other or with
// the set, and steps < 1, are hc::Errors.
HierarchicalRetrievalResult evaluate_hierarchical_retrieval(const at::Tensor& text,
                                                            const at::Tensor& images,
                                                            const at::Tensor& root,
                                                            const HierarCapsSet& set,
                                                            int steps = 50);

// {precision, recall, d_corr, rows, images, distinct_texts, steps, rmin, rmax, levels,
//  per_image: [{coco_id, file, precision, recall, chain, scores}], per_row: [{id, tau}],
//  skipped: [{id, line, coco_id}]}; per_item = false leaves out levels, per_image and per_row.
nlohmann::ordered_json hierarchical_retrieval_json(const HierarchicalRetrievalResult& result,
                                                   bool per_item = true);

// The qualitative mode: the same chain search over any candidate pool (e.g. every distinct
// positive text of the expanded set), levels spanning the candidates' radii.
struct HierarchicalChains {
  double rmin = 0.0;
  double rmax = 0.0;
  std::vector<double> levels;
  std::vector<std::vector<std::string>> chains;  // per image
  std::vector<std::vector<double>> scores;       // per image, per prediction
};

// candidates [K, D] with their texts (K strings; equal strings count as one text), images
// [m, D], root [D].
HierarchicalChains retrieve_hierarchical_chains(const at::Tensor& candidates,
                                                const std::vector<std::string>& texts,
                                                const at::Tensor& images, const at::Tensor& root,
                                                int steps = 50);

}  // namespace hc
