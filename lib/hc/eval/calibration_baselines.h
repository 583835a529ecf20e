#pragma once
// The calibration points every quantitative HierarCaps result carries beside the model's d_corr,
// so a reader can tell what the model adds: radius predictors that use no model (character
// length, CLIP token count; radius_baselines.h) and, on request, a randomly initialised model
// of the same architecture (its radii ||t - r|| with the root chosen as for the model).
#include <cstdint>
#include <optional>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "hc/data/hierarcaps.h"

namespace hc {

class ClipTokenizer;
struct ClipBundle;
struct RootOptions;

// d_corr of the radii text[n, 4, D] -> ||t - root|| (any device; normalised in float32 first,
// as the metric does).
double embedding_d_corr(const at::Tensor& text, const at::Tensor& root);

// {"char_length": {"d_corr": ..}, "token_count": {"d_corr": ..}}; without a tokenizer,
// token_count is {"d_corr": null, "note": why}.
nlohmann::ordered_json radius_baselines_json(const HierarCapsSet& set,
                                             const ClipTokenizer* tokenizer);

struct RandomInitBaseline {
  double d_corr = 0.0;
  uint64_t seed = 0;
  std::string architecture_of;  // the model whose architecture it copies
  double seconds = 0.0;
};

// The set's texts (and the root of root_options: the random model's own "" for `empty`)
// through a model with model's architecture, tokenizer and device/dtype, initialised from seed
// as Hugging Face initialises CLIP. Texts only: d_corr needs no images. Not cached.
RandomInitBaseline random_init_baseline(const ClipBundle& model, const HierarCapsSet& set,
                                        const RootOptions& root_options, uint64_t seed,
                                        int batch_size);

nlohmann::ordered_json random_init_json(const RandomInitBaseline& baseline);

}  // namespace hc
