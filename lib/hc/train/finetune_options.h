#pragma once
// hc-finetune's options: the model to start from, the HierarCaps train data, validation, the
// loop (training_loop.h), the RE step (re_trainer.h: optimizer.*, loss.*) and the ablations'
// switches (train.root, train.init), each a config key (configs/finetune/).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hc/embed/model_options.h"
#include "hc/train/re_trainer.h"
#include "hc/train/re_validation.h"
#include "hc/train/training_loop.h"

namespace hc {

class ConfigSchema;

struct FinetuneOptions {
  ModelOptions model;  // model.path (--model): the checkpoint to fine-tune
  std::filesystem::path train_csv;                    // data.train (--data)
  std::vector<std::filesystem::path> exclude_images;  // data.exclude_images (--exclude-images)
  int64_t limit = 0;                                  // data.limit: first N rows (0: all)
  // data.images (--images): the folder of the training rows' images (loss.objective clip), each
  // row's file named by the end of its image_url (train_image_files, hierarcaps_train.h).
  std::filesystem::path images;
  ReValidationOptions validation;
  TrainLoopOptions loop;
  ReTrainerOptions trainer;
  // train.root: where the loss's root comes from (the paper's Table 3 ablations):
  //   empty    - the current model's embedding of "" every step (official)
  //   origin   - fixed at the origin
  //   mean     - fixed at the normalised mean of the training texts' original embeddings
  //   original - fixed at the original model's embedding of ""
  //   learned  - only the root trains (a free vector from the original "" embedding); the
  //              encoder is frozen; saved as the extra tensor "root"
  std::string root = "empty";
  std::string init = "pretrained";  // train.init: pretrained | random (training from scratch)
  int64_t init_seed = 0;            // train.init_seed
  std::filesystem::path out;        // train.out (--out): the fine-tuned checkpoint folder
  bool replace = false;             // train.replace (--force): replace an existing train.out
  std::filesystem::path log_dir;    // train.log_dir: loss.jsonl and loss.svg ("": the run folder)

  void declare(ConfigSchema& schema);
  void validate() const;  // checks across keys (usage hc::Errors naming them)
};

}  // namespace hc
