#pragma once
// hc-retrieve: HierarCaps hierarchical retrieval with the official code's semantics, its
// qualitative chains, and cross-modal Recall@K, from a CLIP model or from embeddings made
// elsewhere. Modes (key `mode`):
//   hierarchical - precision, recall and d_corr (hierarchical_retrieval.h) from a model
//                  (model.path) or an embeddings file (embeddings.file), with the calibration
//                  baselines (calibration_baselines.h) and tier-4 cross-modal R@K beside them;
//   qualitative  - each image's predicted chain over a candidate pool (qualitative.candidates:
//                  the expanded set's distinct positive texts) as JSONL and an HTML page;
//   crossmodal   - R@K both ways for any image-caption CSV (HierarCaps: tier crossmodal.tier).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hc/data/hierarcaps.h"
#include "hc/embed/model_options.h"
#include "hc/eval/hierarchical_retrieval.h"
#include "hc/geometry/root.h"

namespace hc {

class ConfigSchema;
class RunResult;
struct RunContext;

struct RetrieveOptions {
  std::string mode = "hierarchical";
  ModelOptions model;                // model.*; model.path empty with embeddings.file
  std::filesystem::path embeddings;  // embeddings.file (retrieval_embeddings.h)
  HierarCapsOptions data;            // data.csv, data.images, data.skip_missing_images
  HierarchicalRetrievalOptions retrieval;  // retrieval.steps
  RootOptions root;                  // root.mode (empty, origin, mean, file), root.file, root.tensor
  bool random_init = false;          // baselines.random_init
  int64_t random_seed = 0;           // baselines.random_seed
  std::vector<int> ks{1, 5, 10};     // crossmodal.ks
  int tier = 4;                      // crossmodal.tier
  std::string image_column = "image";      // crossmodal.image_column (non-HierarCaps CSVs)
  std::string caption_column = "caption";  // crossmodal.caption_column
  std::filesystem::path candidates;  // qualitative.candidates
  int max_images = 0;                // qualitative.max_images (0 = all)
  int max_candidates = 0;            // qualitative.max_candidates (0 = all)
  bool html = true;                  // qualitative.html
  int thumbnail_size = 192;          // qualitative.thumbnail_size
  bool per_item = false;             // output.per_item: levels, per-image and per-row values
  bool per_image_jsonl = false;      // output.per_image_jsonl: per_image.jsonl beside the result
  // synthetic.write_to: write the offline demo's synthetic HierarCaps sample into this folder,
  // print its CSV's path and do nothing else.
  std::filesystem::path write_synthetic;
  std::string shard;  // shard (--shard I/N): only fill the cache with that share of the inputs

  void declare(ConfigSchema& schema);
  // Checks between keys (what each mode needs); usage hc::Errors naming the keys.
  void validate() const;
};

// Runs options.mode on context's device, filling result (model, metrics, timing, artefacts
// written beside it); the tool layer writes result.
void run_retrieve(const RetrieveOptions& options, RunContext& context, RunResult& result);

}  // namespace hc
