#include "hc/model/init_model_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "hc/core/config.h"
#include "hc/core/result.h"
#include "hc/core/tool.h"
#include "hc/model/clip_config.h"
#include "hc/model/init_model.h"
#include "hc/tensor/device.h"

namespace hc {

void InitModelCommandOptions::declare(ConfigSchema& schema) {
  schema.add("init.architecture", architecture,
             fmt::format("architecture: {} (each also with -quickgelu)",
                         fmt::join(builtin_clip_config_names(), ", ")))
      .required()
      .flag("--arch");
  schema.add("init.seed", seed, "random seed: the same seed gives the same weights")
      .check_non_negative()
      .flag("--seed");
  schema.add("init.out", out, "folder to create").required().flag("--out");
  schema.add("init.vocab", vocab,
             "tokenizer vocabulary: a folder with vocab.json + merges.txt, or OpenAI's "
             "bpe_simple_vocab_16e6.txt.gz (default: $HC_VOCAB)")
      .relative_to_config()
      .flag("--vocab");
  schema.add("init.dtype", dtype, "stored dtype of the weights: fp32, fp16 or bf16")
      .one_of({"fp32", "fp16", "bf16"})
      .flag("--dtype");
  schema.add("init.replace", replace, "replace the folder if it exists").flag("--force");
}

void run_init_model(const InitModelCommandOptions& options, RunContext& context,
                    RunResult& result) {
  InitModelOptions init;
  init.architecture = options.architecture;
  init.seed = static_cast<uint64_t>(options.seed);
  init.out = options.out;
  init.vocab = options.vocab;
  init.dtype = parse_scalar_type(options.dtype);
  init.replace = options.replace;
  const InitModelResult made = init_model(init);
  spdlog::info("wrote {} ({} parameters, weights sha256 {})", made.dir.string(), made.parameters,
               made.weights_sha256);
  if (context.output.empty()) std::cout << made.dir.string() << std::endl;
  result.set("out", made.dir.string());
  result.set("architecture", made.architecture);
  result.set("seed", options.seed);
  result.set("dtype", options.dtype);
  result.set("parameters", made.parameters);
  result.set("weights_sha256", made.weights_sha256);
  result.set("vocabulary", made.vocabulary.string());
}

}  // namespace hc
