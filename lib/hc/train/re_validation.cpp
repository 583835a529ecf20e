#include "hc/train/re_validation.h"

#include <array>

#include <ATen/ATen.h>
#include <torch/utils.h>

#include "hc/core/config.h"
#include "hc/data/hierarcaps_train.h"
#include "hc/embed/embedding_engine.h"
#include "hc/eval/depth_correlation.h"
#include "hc/eval/hierarchical_retrieval.h"

namespace hc {

void ReValidationOptions::declare(ConfigSchema& schema) {
  schema.add("validation.rows", rows,
             "training rows held out for validation (d_corr of their chains; 0: none)")
      .check_non_negative();
  hierarcaps.declare(schema, "validation", /*flags=*/false);
  schema.add("validation.steps", steps, "radius levels of the retrieval metric").check_positive();
}

struct ReValidation::Impl {
  ReValidationOptions options;
  std::vector<HierarCapsTrainRow> held_out;
  ClipBundle bundle;
  std::unique_ptr<EmbeddingEngine> engine;
  std::unique_ptr<HierarCapsSet> set;
  at::Tensor images;  // [m, D], embedded at the first call

  Impl(const ReValidationOptions& o, std::vector<HierarCapsTrainRow> rows, ClipBundle b,
       int threads)
      : options(o), held_out(std::move(rows)), bundle(std::move(b)) {
    EmbedOptions embed;
    embed.batch_size = options.batch_size;
    embed.threads = threads;
    embed.use_cache = false;  // the text tower changes between calls
    embed.show_progress = false;
    bundle.identity.weights_sha256.clear();
    engine = std::make_unique<EmbeddingEngine>(bundle, embed);
    if (!options.hierarcaps.csv.empty()) {
      set = std::make_unique<HierarCapsSet>(load_hierarcaps(options.hierarcaps));
    }
  }

  void held_out_metrics(const at::Tensor& root, nlohmann::ordered_json& out) {
    std::vector<std::string> texts;
    for (const auto& row : held_out) texts.insert(texts.end(), row.positive.begin(), row.positive.end());
    const at::Tensor embeddings = engine->embed_texts(texts).to(at::kDouble).cpu();
    const at::Tensor radii =
        (embeddings - root.to(at::kDouble).cpu()).norm(2, {-1}).reshape({-1, 4}).contiguous();
    std::vector<std::array<double, 4>> rows(static_cast<std::size_t>(radii.size(0)));
    const double* data = radii.data_ptr<double>();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      for (std::size_t t = 0; t < 4; ++t) rows[i][t] = data[i * 4 + t];
    }
    out["heldout_rows"] = held_out.size();
    out["heldout_d_corr"] = depth_correlation(rows).mean;
  }

  void retrieval_metrics(const at::Tensor& root, nlohmann::ordered_json& out) {
    if (!images.defined()) {
      std::vector<std::filesystem::path> files;
      for (const auto& image : set->images) files.push_back(image.file);
      images = engine->embed_images(files);
    }
    const auto rows = static_cast<int64_t>(set->rows.size());
    const at::Tensor text = engine->embed_texts(set->texts()).reshape({rows, 4, -1});
    const HierarchicalRetrievalResult result =
        evaluate_hierarchical_retrieval(text, images, root.to(text.device()), *set, options.steps);
    out["precision"] = result.precision;
    out["recall"] = result.recall;
    out["d_corr"] = result.d_corr;
    out["rows"] = result.rows;
    out["images"] = result.images;
  }
};

ReValidation::ReValidation(const ReValidationOptions& options,
                           std::vector<HierarCapsTrainRow> held_out, ClipBundle bundle,
                           int threads)
    : impl_(std::make_unique<Impl>(options, std::move(held_out), std::move(bundle), threads)) {}

ReValidation::~ReValidation() = default;

nlohmann::ordered_json ReValidation::evaluate(const at::Tensor& root) {
  torch::NoGradGuard no_grad;
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (!impl_->held_out.empty()) impl_->held_out_metrics(root, out);
  if (impl_->set) impl_->retrieval_metrics(root, out);
  return out;
}

}  // namespace hc
