#pragma once
// hc-eval-zeroshot: zero-shot image classification with a CLIP model (METHOD.md section 6, the
// paper's "pretraining knowledge retained" columns and HGCLIP's zero-shot row). Each class name
// goes into the dataset's prompt templates (CLIP's prompts.md section, ensembled: normalised
// template embeddings averaged and renormalised), images are assigned the most similar class.
// Datasets: an image folder (<class>/<images>, classes in sorted folder order) or CIFAR-10/100
// in their binary format. Hierarchical datasets (CIFAR-100's coarse labels, or a folder with an
// HGCLIP hierarchy file) are reported per level: the finest level directly, every level above
// both from the finest predictions mapped up and from its own class names' prompts.
#include <filesystem>
#include <string>
#include <vector>

#include "hc/data/class_hierarchy.h"
#include "hc/embed/model_options.h"

namespace hc {

class ConfigSchema;
class RunResult;
struct RunContext;

struct ZeroShotOptions {
  std::string dataset = "folder";       // zeroshot.dataset: folder, cifar10, cifar100
  std::filesystem::path images;         // data.images: folder of class folders
  std::filesystem::path cifar;          // data.cifar: a CIFAR binary file (test_batch.bin, test.bin)
  std::filesystem::path coarse_names;   // data.coarse_names: CIFAR-100 coarse names
  std::filesystem::path hierarchy;      // data.hierarchy: HGCLIP hierarchy file for a folder
  ClassHierarchyOptions hierarchy_options;  // hierarchy.*
  std::filesystem::path prompts;        // prompts.file: CLIP's prompts.md
  std::string prompts_dataset;          // prompts.dataset: its section (default CIFAR10 / CIFAR100)
  std::filesystem::path templates_file; // prompts.templates_file: templates instead of the section's
  std::vector<int> ks{1, 5};            // zeroshot.ks
  int confusions = 10;                  // zeroshot.confusions
  ModelOptions model;                   // model.*
  // synthetic.write_cifar: write a synthetic CIFAR file of zeroshot.dataset's kind here (with its
  // names files beside it), print its path and exit.
  std::filesystem::path write_synthetic;

  void declare(ConfigSchema& schema);
};

void run_zeroshot(const ZeroShotOptions& options, RunContext& context, RunResult& result);

}  // namespace hc
