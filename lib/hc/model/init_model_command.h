#pragma once
// hc init-model: a randomly initialised CLIP checkpoint (hc/model/init_model.h). Prints the
// folder, or with --output records it (architecture, parameters, weights SHA-256) in the result.
#include <cstdint>
#include <string>

namespace hc {

class ConfigSchema;
class RunResult;
struct RunContext;

struct InitModelCommandOptions {
  std::string architecture;   // init.architecture (--arch)
  int64_t seed = 0;           // init.seed (--seed)
  std::string out;            // init.out (--out): the folder to create
  std::string vocab;          // init.vocab (--vocab); empty = $HC_VOCAB
  std::string dtype = "fp32"; // init.dtype (--dtype): stored dtype of the weights
  bool replace = false;       // init.replace (--force)

  void declare(ConfigSchema& schema);
};

void run_init_model(const InitModelCommandOptions& options, RunContext& context,
                    RunResult& result);

}  // namespace hc
