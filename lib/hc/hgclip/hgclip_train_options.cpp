#include "hc/hgclip/hgclip_train_options.h"

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/hgclip/hgclip_method.h"

namespace hc {

HgclipTrainOptions::HgclipTrainOptions() {
  model.preprocess = "hgclip_legacy";  // the official transform (squash, ImageNet mean/std)
  loop.epochs = 50;
  loop.batch_size = 32;
  optimizer.type = "sgd";
  optimizer.learning_rate = 1e-3;
  optimizer.momentum = 0.9;
  optimizer.weight_decay = 1e-4;
}

void HgclipTrainOptions::declare(ConfigSchema& schema) {
  model.declare(schema);
  hierarchy.declare(schema, "hierarchy");
  data.declare(schema, "data");
  schema.add("data.format", data_format,
             "folders (one folder per class), or cifar100: data.train and data.test are "
             "CIFAR-100 binary files (train.bin, test.bin) with hierarchy.format cifar100")
      .one_of({"folders", "cifar100"});
  schema.add("data.flip", flips, "random horizontal flips of the training images (official)");
  schema.add("method", method,
             "hgclip (default), coop, kgcoop, cocoop, maple, vpt, vp, promptsrc or zeroshot")
      .flag("--method");
  hgclip.declare(schema, "hgclip");
  loop.declare(schema);
  optimizer.declare(schema, "optimizer");
  schema.add("train.plateau_on", plateau_on,
             "split whose mean top-1 accuracy steps the ReduceLROnPlateau schedule: val, test "
             "(what the official code does: test data leaks into training) or none")
      .one_of({"val", "test", "none"});
  schema.add("train.plateau_patience", plateau.patience,
             "evaluations without improvement before the learning rate drops (official 5)")
      .check_non_negative();
  schema.add("train.plateau_factor", plateau.factor, "factor of each drop (official 0.1)")
      .check_range(0.0, 0.999999);
  schema.add("train.plateau_min_lr", plateau.min_lr, "lowest learning rate (official 1e-7)")
      .check_non_negative();
  schema.add("prototypes.cache", prototype_cache,
             "keep the class prototypes in a cache file keyed by model, data and preprocessing");
  schema.add("prototypes.cache_dir", prototype_cache_dir,
             "prototypes cache folder (default: $HC_CACHE_DIR/hgclip-prototypes)");
  schema.add("train.out", out,
             "folder of the trained prompts (default: model/ beside the result)")
      .flag("--out");
  schema.add("train.replace", replace, "replace an existing train.out").flag("--force");
  schema.add("train.log_dir", log_dir,
             "folder of the step log loss.jsonl and loss.svg (default: the run folder)");
  schema.add("evaluate.prompts", evaluate,
             "evaluate the trained prompts of this folder (train.out or a checkpoint) on the "
             "validation and test splits, without training; the config must be the training "
             "run's")
      .flag("--evaluate");
  schema.add("synthetic.write_shapes", write_shapes,
             "write a generated shape/colour image set (DIR/images, DIR/hierarchy.txt), print "
             "DIR and exit")
      .flag("--write-shapes");
  schema.add("synthetic.images_per_class", shapes_per_class, "images per fine class")
      .check_positive();
  schema.add("synthetic.image_size", shapes_size, "image side in pixels").check_range(16, 4096);
}

void HgclipTrainOptions::validate() const {
  if (model.path.empty()) throw usage_error("model.path: expected the CLIP model (--model)");
  const HgclipMethod parsed = parse_hgclip_method(method);
  if (!evaluate.empty()) {
    if (!method_trains(parsed)) {
      throw usage_error("evaluate.prompts {}: method {} has no trained prompts to evaluate",
                        evaluate.string(), method);
    }
    if (data.train.empty() && data.test.empty()) {
      throw usage_error("evaluate.prompts {}: expected the test images (data.test, or data.train "
                        "with data.test_fraction)",
                        evaluate.string());
    }
  } else if (data.train.empty()) {
    throw usage_error("data.train: expected the training images (one folder per class, or the "
                      "CIFAR-100 train file with data.format cifar100)");
  }
  if (data_format == "cifar100" && !data.val.empty()) {
    throw usage_error("data.val {}: with data.format cifar100 the validation split is drawn from "
                      "data.train (data.val_fraction)",
                      data.val);
  }
  if (data_format == "cifar100" && !data.test.empty() && data.test_fraction > 0) {
    throw usage_error("data.test_fraction {} is given beside the file data.test {}: use one",
                      data.test_fraction, data.test);
  }
  optimizer.validate();
}

}  // namespace hc
