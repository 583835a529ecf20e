// hc-retrieve: HierarCaps hierarchical retrieval (official semantics), qualitative chains and
// cross-modal R@K, from a model or given embeddings (the work is hc::run_retrieve).
#include <CLI/CLI.hpp>

#include <iostream>

#include "hc/core/cli.h"
#include "hc/core/config.h"
#include "hc/core/result.h"
#include "hc/eval/retrieve_command.h"
#include "hc/eval/synthetic_hierarcaps.h"

int main(int argc, char** argv) {
  CLI::App app{
      "hc-retrieve: HierarCaps hierarchical retrieval with the official code's semantics "
      "(precision, recall, d_corr, beside calibration baselines and tier-4 cross-modal R@K), "
      "its qualitative chains (--mode qualitative: JSONL + HTML), or cross-modal R@K for any "
      "image-caption CSV (--mode crossmodal). See docs/hc-retrieve.md.\n"
      "Example: hc-retrieve --config configs/eval/hierarcaps.yaml --model "
      "openai/clip-vit-base-patch32\n"
      "         hc-retrieve --embeddings embeds.safetensors --csv hierarcaps_test.csv -o -"};
  hc::CommonOptions common;
  hc::RetrieveOptions options;
  hc::ConfigSchema schema;
  options.declare(schema);
  add_common_options(app, common, hc::CommonOptionSet{true, false, true});
  add_config_option(app, common, "--mode", "mode", "hierarchical, qualitative or crossmodal");
  add_config_option(app, common, "--model", "model.path", "Model folder, weights file or hub id");
  add_config_option(app, common, "--embeddings", "embeddings.file", "Embeddings instead of a model");
  add_config_option(app, common, "--csv", "data.csv", "HierarCaps (or image-caption) CSV");
  add_config_option(app, common, "--images", "data.images", "Image folder");
  add_config_option(app, common, "--candidates", "qualitative.candidates", "Candidate texts CSV");
  add_config_option(app, common, "--steps", "retrieval.steps", "Radius levels");
  add_config_option(app, common, "--root", "retrieval.root", "empty, origin, mean or FILE");
  add_config_option(app, common, "--vocab", "model.vocab", "Tokenizer files");
  add_config_option(app, common, "--device", "compute.device", "cpu, cuda or cuda:N");
  add_config_option(app, common, "--dtype", "compute.dtype", "fp32, fp16 or bf16");
  add_config_option(app, common, "--batch-size", "model.batch_size", "Texts or images per pass");
  app.add_flag_function(
      "--skip-missing",
      [&common](int64_t) {
        common.key_options.push_back({"--skip-missing", "data.skip_missing_images", "true"});
      },
      "Leave out rows whose image is missing (config key data.skip_missing_images)");
  std::string synthetic;
  app.add_option("--write-synthetic", synthetic,
                 "Write a small synthetic HierarCaps sample (images + CSV) into DIR, print the "
                 "CSV's path and exit")
      ->type_name("DIR");
  add_config_help(app, schema);

  app.callback([&] {
    hc::apply_common_options(common);
    if (!synthetic.empty()) {
      std::cout << hc::write_synthetic_hierarcaps(synthetic).csv.string() << std::endl;
      return;
    }
    if (!hc::load_config(common, schema)) return;
    hc::RunResult result("hc-retrieve", common);
    result.set_config(schema);
    hc::run_retrieve(options, result);
    result.write();
  });
  return hc::run_cli(app, argc, argv);
}
