#include "hc/train/finetune_options.h"

#include <filesystem>

#include "hc/core/config.h"
#include "hc/core/error.h"

namespace hc {

void FinetuneOptions::declare(ConfigSchema& schema) {
  model.declare(schema);
  schema.add("data.train", train_csv,
             "HierarCaps train-format CSV (positive, negative; optionally gzipped)")
      .required()
      .check_exists()
      .flag("--data");
  schema.add("data.exclude_images", exclude_images,
             "CSVs with an image_url column: rows whose image is in any of them are dropped")
      .check_exists()
      .flag("--exclude-images");
  schema.add("data.limit", limit, "use only the first N rows (after exclusion; 0: all)")
      .check_non_negative();
  schema.add("data.images", images,
             "folder of the training rows' images, each named by the file name at the end of "
             "its image_url (loss.objective clip)")
      .check(
          [](const std::filesystem::path& p) {
            return p.empty() || std::filesystem::is_directory(p);  // empty: not given
          },
          "an existing folder")
      .flag("--images");
  validation.declare(schema);
  loop.declare(schema);
  trainer.declare(schema);
  schema.add("train.root", root,
             "the loss's root: empty (official), origin, mean, original or learned")
      .one_of({"empty", "origin", "mean", "original", "learned"});
  schema.add("train.init", init, "pretrained, or random (training from scratch)")
      .one_of({"pretrained", "random"});
  schema.add("train.init_seed", init_seed, "seed of train.init random").check_non_negative();
  schema.add("train.out", out, "the fine-tuned checkpoint folder (default: model/ beside the "
                               "result)")
      .flag("--out");
  schema.add("train.replace", replace, "replace an existing train.out").flag("--force");
  schema.add("train.log_dir", log_dir,
             "folder of the step log loss.jsonl and its picture loss.svg (default: the run "
             "folder, beside the result)");
}

void FinetuneOptions::validate() const {
  if (model.path.empty()) {
    throw usage_error("model.path: expected the checkpoint to fine-tune (--model)");
  }
  if (trainer.loss.objective == "clip") {
    if (images.empty()) {
      throw usage_error("loss.objective clip needs data.images (--images): the folder of the "
                        "training rows' images");
    }
    if (root != "empty") {
      throw usage_error("train.root {}: loss.objective clip has no root (expected empty)", root);
    }
  }
  if (root == "learned" && !trainer.root_gradient) {
    throw usage_error("train.root learned with train.root_gradient false: the root is the only "
                      "trained tensor and needs its gradient");
  }
}

}  // namespace hc
