#pragma once
// Bring-your-own embeddings for HyperLex: a .safetensors file with one row per word and a JSON
// file naming the rows, so any embedding model (or a fixture) can be scored without loading a
// CLIP checkpoint.
//   embeddings file: a 2-D tensor [N, D] (embeddings.tensor; default: "embeddings", else
//                    "text_embeds" as `hc embed` writes, else the file's only 2-D tensor) and,
//                    for root mode empty, the root vector [D] (embeddings.root_tensor, "root");
//   words file:      a JSON array of the N words in row order, or an object holding it as
//                    "words" (as ../shared/fixtures/hyperlex/expected.json) or as
//                    inputs.text_embeds.texts (the sidecar `hc embed` writes).
// Rows are matched to words by exact string; words the file does not name are an error listing
// them, extra rows are fine.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace hc {

class ConfigSchema;

struct WordEmbeddingsOptions {
  std::filesystem::path file;         // .safetensors; empty = embed with a model instead
  std::filesystem::path words;        // JSON word list
  std::string tensor;                 // empty = embeddings / text_embeds / the only 2-D tensor
  std::string root_tensor = "root";   // the root for root mode empty

  // Keys <section>.file, <section>.words, <section>.tensor, <section>.root_tensor.
  void declare(ConfigSchema& schema, const std::string& section = "embeddings");
};

struct WordEmbeddings {
  std::filesystem::path file;
  std::string tensor;              // the tensor the rows came from
  std::vector<std::string> words;  // row order
  at::Tensor embeddings;           // [N, D] as stored (CPU)
  std::optional<at::Tensor> root;  // [D] when the file has root_tensor

  // The rows of `wanted`, in its order: [wanted.size(), D]. Missing words are an hc::Error
  // naming how many and the first few.
  at::Tensor rows(const std::vector<std::string>& wanted) const;
};

// Reads both files. Errors (missing file or tensor, a words file that is not a list of strings,
// duplicate words, a row count that differs from the word count, a root of the wrong size)
// are hc::Errors naming the file.
WordEmbeddings load_word_embeddings(const WordEmbeddingsOptions& options);

}  // namespace hc
