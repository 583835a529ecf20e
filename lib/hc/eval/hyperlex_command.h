#pragma once
// hc-eval-hyperlex: graded lexical entailment with the Radial Embedding geometry (METHOD.md
// section 4). Every distinct word is embedded once inside the prompt (or the template
// ensemble), the root is taken in the configured mode, each pair (WORD1, WORD2) is scored
// -Xi(e(WORD2), e(WORD1)), and Spearman's rho against the gold ratings is reported over all
// pairs, the nouns and the verbs, with the mean score per relation type and the baselines.
#include <string>
#include <vector>

#include "hc/data/hyperlex.h"
#include "hc/embed/model_options.h"
#include "hc/eval/hyperlex_embeddings.h"
#include "hc/geometry/root.h"
#include "hc/text/prompt_templates.h"

#include "hc/embed/model_options.h"

namespace hc {

class ConfigSchema;
class RunResult;
struct RunContext;

// Words are short and many: larger text batches than the default.
inline ModelOptions words_model() {
  ModelOptions options;
  options.batch_size = 256;
  return options;
}

struct HyperLexCommandOptions {
  HyperLexOptions data;                 // hyperlex.*
  PromptOptions prompt;                 // prompt.*
  RootOptions root;                     // root.*
  ModelOptions model = words_model();  // model.*
  WordEmbeddingsOptions embeddings;     // embeddings.* (instead of model.path)
  std::vector<std::string> baselines{"cosine", "genericness"};  // hyperlex.baselines
  bool write_scores = false;            // hyperlex.write_scores: per-pair scores.jsonl artefact

  void declare(ConfigSchema& schema);
};

// Loads the data (first, so a bad file fails before a model loads), embeds or reads the
// embeddings and scores, filling result (the tool layer writes it). Exactly one of model.path
// and embeddings.file must be set (else a usage hc::Error).
void run_hyperlex(const HyperLexCommandOptions& options, RunContext& context, RunResult& result);

}  // namespace hc
