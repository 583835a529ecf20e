#include "hc/eval/calibration_baselines.h"

#include <array>
#include <chrono>
#include <vector>

#include <ATen/ATen.h>

#include "hc/core/error.h"
#include "hc/embed/embedding_engine.h"
#include "hc/eval/depth_correlation.h"
#include "hc/eval/radius_baselines.h"
#include "hc/geometry/genericness.h"
#include "hc/geometry/precision.h"
#include "hc/geometry/root.h"
#include "hc/model/clip_bundle.h"

namespace hc {

double embedding_d_corr(const at::Tensor& text, const at::Tensor& root) {
  if (text.dim() != 3 || text.size(1) != static_cast<int64_t>(kHierarCapsTiers)) {
    throw runtime_error("d_corr: text embeddings must be [rows, 4, D]");
  }
  const at::NoGradGuard no_grad;
  const at::Tensor t = normalize_embeddings(text.to(at::kFloat));
  const at::Tensor r = normalize_embeddings(root.to(t.device(), at::kFloat));
  const at::Tensor radii = genericness(t, r).to(at::kCPU, at::kDouble).contiguous();  // [n, 4]
  const double* data = radii.data_ptr<double>();
  std::vector<std::array<double, 4>> rows(static_cast<std::size_t>(radii.size(0)));
  for (std::size_t row = 0; row < rows.size(); ++row) {
    for (std::size_t tier = 0; tier < kHierarCapsTiers; ++tier) {
      rows[row][tier] = data[row * kHierarCapsTiers + tier];
    }
  }
  return depth_correlation(rows).mean;
}

nlohmann::ordered_json radius_baselines_json(const HierarCapsSet& set,
                                             const ClipTokenizer* tokenizer) {
  nlohmann::ordered_json out;
  out["char_length"] = {{"d_corr", depth_correlation(char_length_radii(set)).mean}};
  if (tokenizer != nullptr) {
    out["token_count"] = {{"d_corr", depth_correlation(token_count_radii(set, *tokenizer)).mean}};
  } else {
    out["token_count"] = {{"d_corr", nullptr},
                          {"note", "no tokenizer: give model.vocab (or $HC_VOCAB) or a model"}};
  }
  return out;
}

RandomInitBaseline random_init_baseline(const ClipBundle& model, const HierarCapsSet& set,
                                        const RootOptions& root_options, uint64_t seed,
                                        int batch_size) {
  const auto started = std::chrono::steady_clock::now();
  const ClipConfig& config = model.model->config();
  ClipBundle random = model;
  random.model = random_clip(config, seed, model.model->device(), model.model->dtype());
  random.model->eval();
  random.identity = ModelIdentity{};
  random.identity.name = model.identity.name + " (random init)";

  EmbedOptions options;
  options.batch_size = batch_size;
  options.use_cache = false;  // no weights file to key on
  EmbeddingEngine engine(random, options);
  const auto rows = static_cast<int64_t>(set.rows.size());
  const at::Tensor text = engine.embed_texts(set.texts()).reshape({rows, 4, -1});

  RootSources sources;
  sources.empty_text_embedding = [&] { return engine.embed_texts({""}); };
  sources.embeddings = [&] { return text.reshape({rows * 4, -1}); };
  sources.dim = text.size(2);
  const at::Tensor root = make_root(root_options, sources);

  RandomInitBaseline baseline;
  baseline.d_corr = embedding_d_corr(text, root);
  baseline.seed = seed;
  baseline.architecture_of = model.identity.name;
  baseline.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return baseline;
}

nlohmann::ordered_json random_init_json(const RandomInitBaseline& baseline) {
  return {{"d_corr", baseline.d_corr},
          {"seed", baseline.seed},
          {"architecture_of", baseline.architecture_of},
          {"seconds", baseline.seconds}};
}

}  // namespace hc
