#pragma once
// Validation of RE fine-tuning while it trains, with the model's current weights:
//   - held-out training rows (validation.rows of the training CSV, never trained on): d_corr of
//     their positive chains around the loss's current root (texts only: train rows' images are
//     not needed);
//   - a HierarCaps test-format set (validation.csv, validation.images): hc-retrieve's metric,
//     precision, recall and d_corr (hierarchical_retrieval.h); the images are embedded once
//     (the vision tower does not train).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "hc/data/hierarcaps.h"
#include "hc/model/clip_bundle.h"

namespace hc {

class ConfigSchema;
struct HierarCapsTrainRow;

struct ReValidationOptions {
  int64_t rows = 0;              // validation.rows: training rows held out (0: none)
  HierarCapsOptions hierarcaps;  // validation.csv, validation.images, validation.skip_missing_images
  int steps = 50;                // validation.steps: radius levels of the retrieval metric
  int batch_size = 64;           // texts or images per forward pass

  void declare(ConfigSchema& schema);
  bool enabled() const { return rows > 0 || !hierarcaps.csv.empty(); }
};

class ReValidation {
 public:
  // held_out: the held-out training rows. bundle: the model being trained (shared, its current
  // weights are used at each call), its tokenizer and preprocessing. Loads validation.csv.
  ReValidation(const ReValidationOptions& options, std::vector<HierarCapsTrainRow> held_out,
               ClipBundle bundle, int threads);
  ~ReValidation();

  // {heldout_rows, heldout_d_corr, precision, recall, d_corr, rows, images}, the parts
  // configured; root: the loss's current root [D].
  nlohmann::ordered_json evaluate(const at::Tensor& root);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hc
