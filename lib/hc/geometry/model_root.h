#pragma once
// The default entailment root straight from a model: its text embedding of the empty string,
// tokenised [BOS, EOS] (no padding), through the text tower and the projection. With grad mode
// on the result carries the gradient into the text encoder, as RE fine-tuning needs (the root
// is recomputed from the current model every step); under torch::NoGradGuard it is plain
// inference. Pass the result to empty_text_root() (root.h) or RootSources::empty_text_embedding.
#include <ATen/core/Tensor.h>

namespace hc {

class ClipModelImpl;
class ClipTokenizer;

// [P] in the model's dtype and on its device, not normalised.
at::Tensor empty_text_embedding(const ClipModelImpl& model, const ClipTokenizer& tokenizer);

}  // namespace hc
