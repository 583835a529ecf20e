#pragma once
// Token ids as Hugging Face's CLIP processor returns them for
// `proc(text=texts, padding=True, truncation=True, max_length=M)`, the call train.py makes:
// [BOS] + ids + [EOS], cut to M ids with EOS kept last, padded to the longest text of the call
// (not to M) with the checkpoint's pad token, attention mask 1 on real tokens.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace hc {

class ClipTokenizer;

struct PaddedTokens {
  at::Tensor input_ids;       // [texts, L] int64 on the CPU, L = the longest text (at most M)
  at::Tensor attention_mask;  // [texts, L] int64
};

// An empty list of texts is an hc::Error; max_length must be at least 2.
PaddedTokens pad_to_longest(const ClipTokenizer& tokenizer, const std::vector<std::string>& texts,
                            int max_length, int32_t pad_id);

// The pad token id of a Hugging Face checkpoint folder: "pad_token" of special_tokens_map.json,
// else of tokenizer_config.json (a string or {"content": ...}), encoded with tokenizer (it must be
// one id); the end-of-text id when neither file names one (OpenAI's CLIP checkpoints pad with
// <|endoftext|>). A file that does not parse, or a pad token of several ids, is an hc::Error
// naming the file.
int32_t checkpoint_pad_id(const std::filesystem::path& checkpoint_dir,
                          const ClipTokenizer& tokenizer);

}  // namespace hc
