// hc init-model: a randomly initialised CLIP checkpoint with real shapes, in Hugging Face layout
// (the work is hc::init_model).
#include <CLI/CLI.hpp>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "commands.h"
#include "hc/core/atomic_file.h"
#include "hc/core/cli.h"
#include "hc/model/clip_config.h"
#include "hc/model/init_model.h"
#include "hc/tensor/device.h"

namespace hc::commands {
namespace {

struct InitModelCommand {
  CommonOptions common;
  InitModelOptions init;
  std::string out;
  std::string vocab;
};

nlohmann::ordered_json summary(const InitModelResult& result, const InitModelCommand& command) {
  return {{"tool", "hc init-model"},
          {"out", result.dir.string()},
          {"architecture", result.architecture},
          {"seed", command.init.seed},
          {"dtype", command.common.dtype},
          {"parameters", result.parameters},
          {"weights_sha256", result.weights_sha256},
          {"vocabulary", result.vocabulary.string()}};
}

void run(InitModelCommand& command) {
  apply_common_options(command.common);
  set_torch_threads(command.common.threads);
  command.init.out = command.out;
  command.init.vocab = command.vocab;
  command.init.dtype = parse_scalar_type(command.common.dtype);
  const InitModelResult result = init_model(command.init);
  spdlog::info("wrote {} ({} parameters, weights sha256 {})", result.dir.string(),
               result.parameters, result.weights_sha256);
  const std::string& output = command.common.output;
  if (output.empty()) {
    std::cout << result.dir.string() << std::endl;
  } else if (output == "-") {
    std::cout << summary(result, command).dump(2) << std::endl;
  } else {
    write_file_atomically(output, summary(result, command).dump(2) + "\n");
  }
}

}  // namespace

void add_init_model(CLI::App& app) {
  auto command = std::make_shared<InitModelCommand>();
  CLI::App* sub = app.add_subcommand(
      "init-model",
      "Write a randomly initialised CLIP checkpoint with the real shapes of an architecture in "
      "Hugging Face layout (config.json, model.safetensors, tokenizer and preprocessor files), "
      "for tests and benchmarks. The folder appears only once complete. Prints its path (or a "
      "JSON summary with --output).\n"
      "Example: hc init-model --arch ViT-B-32 --seed 0 --out runs/vit-b-32-random "
      "--vocab data/downloads/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz");
  sub->add_option("--arch", command->init.architecture,
                  fmt::format("Architecture: {} (each also with -quickgelu)",
                              fmt::join(builtin_clip_config_names(), ", ")))
      ->required();
  sub->add_option("--seed", command->init.seed, "Random seed")->capture_default_str();
  sub->add_option("--out", command->out, "Folder to create")->required();
  sub->add_option("--vocab", command->vocab,
                  "Tokenizer vocabulary: a folder with vocab.json + merges.txt, or OpenAI's "
                  "bpe_simple_vocab_16e6.txt.gz (default: $HC_VOCAB)");
  sub->add_flag("--force", command->init.replace, "Replace --out if it exists");
  add_common_options(*sub, command->common, false);
  sub->callback([command] { run(*command); });
}

}  // namespace hc::commands
