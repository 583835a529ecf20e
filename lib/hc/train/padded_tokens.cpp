#include "hc/train/padded_tokens.h"

#include <algorithm>
#include <optional>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/io/text_file.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {
namespace {

// The pad token a tokenizer file names, if any.
std::optional<std::string> pad_token_in(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return std::nullopt;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(read_text_file(file));
  } catch (const nlohmann::json::exception& e) {
    throw runtime_error("{}: not valid JSON ({})", file.string(), e.what());
  }
  if (!json.is_object() || !json.contains("pad_token") || json["pad_token"].is_null()) {
    return std::nullopt;
  }
  const nlohmann::json& pad = json["pad_token"];
  if (pad.is_string()) return pad.get<std::string>();
  if (pad.is_object() && pad.contains("content") && pad["content"].is_string()) {
    return pad["content"].get<std::string>();
  }
  throw runtime_error("{}: pad_token must be a string or an object with \"content\"",
                      file.string());
}

}  // namespace

PaddedTokens pad_to_longest(const ClipTokenizer& tokenizer, const std::vector<std::string>& texts,
                            int max_length, int32_t pad_id) {
  if (texts.empty()) throw runtime_error("pad_to_longest: no texts");
  if (max_length < 2) {
    throw usage_error("max_length {}: expected at least 2 (start and end tokens)", max_length);
  }
  const TokenBatch batch = tokenizer.batch(texts, max_length, /*truncate=*/true, pad_id);
  const int64_t longest = *std::max_element(batch.lengths.begin(), batch.lengths.end());
  auto as_tensor = [&](const std::vector<int64_t>& values) {
    return at::tensor(values, at::kLong).view({batch.rows, batch.length}).narrow(1, 0, longest)
        .contiguous();
  };
  return {as_tensor(batch.ids), as_tensor(batch.attention_mask)};
}

int32_t checkpoint_pad_id(const std::filesystem::path& checkpoint_dir,
                          const ClipTokenizer& tokenizer) {
  for (const char* name : {"special_tokens_map.json", "tokenizer_config.json"}) {
    const std::filesystem::path file = checkpoint_dir / name;
    std::optional<std::string> pad = pad_token_in(file);
    if (!pad) continue;
    std::vector<int32_t> ids = tokenizer.encode(*pad);
    if (ids.size() != 1) {
      throw runtime_error("{}: pad_token '{}' is {} tokens, expected one", file.string(), *pad,
                          ids.size());
    }
    return ids.front();
  }
  return tokenizer.eos_id();
}

}  // namespace hc
