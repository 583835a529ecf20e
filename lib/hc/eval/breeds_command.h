#pragma once
// hc-eval-breeds: hierarchical label-pair prediction on a BREEDS subset (METHOD.md section 5,
// the paper's Table 1 BREEDS columns and Table 7). Labels of both levels are embedded with the
// prompt ensemble, the images of the subset's ImageNet classes with the same model; every
// admissible ordered label pair is scored s(x) + s(y) - lambda * Xi(x, y) (breeds_pairs.h) over
// a grid of lambdas chosen by two-fold cross-validation (lambda_cross_validation.h), and R@k of
// the ground-truth (superclass, subclass) pair is reported with its calibration baselines (chance,
// lambda = 0) and, optionally, the single-prompt baseline (two_label_prompts.h).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hc/data/breeds_subset.h"
#include "hc/data/imagenet_images.h"
#include "hc/embed/model_options.h"
#include "hc/geometry/root.h"
#include "hc/text/prompt_templates.h"

namespace hc {

class ConfigSchema;
class RunResult;
struct RunContext;

struct BreedsCommandOptions {
  BreedsOptions breeds;          // breeds.subsets, .hierarchy, .subset, .split, .names
  ImageNetImagesOptions images;  // images.imagenet, .ground_truth, .list, .per_class
  PromptOptions prompt;          // prompt.template / prompt.templates_file (the 80-template ensemble)
  RootOptions root;              // root.*
  ModelOptions model;            // model.*
  std::vector<int> ks{1, 5};     // breeds.ks
  // lambda.min, lambda.max, lambda.count: the cross-validated grid (linspace); lambda.seed: the
  // folds' shuffle.
  double lambda_min = 0.0;
  double lambda_max = 0.2;
  int lambda_count = 20;
  int64_t seed = 0;
  // single_prompt.templates: the Table 7 baseline's two-field prompts (empty = not run).
  std::vector<std::string> single_prompt_templates;
  bool per_image = false;  // output.per_image_jsonl: per_image.jsonl beside the result
  // synthetic.write_to: write the synthetic 4-superclass stand-in (synthetic_breeds.h) into this
  // folder, print its subsets file's path and do nothing else.
  std::filesystem::path write_synthetic;

  void declare(ConfigSchema& schema);
};

// Loads the subset and finds its images (first, so missing data fails before a model loads),
// embeds, scores and fills result (the tool layer writes it).
void run_breeds(const BreedsCommandOptions& options, RunContext& context, RunResult& result);

}  // namespace hc
