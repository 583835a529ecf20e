#pragma once
// The entailment root r of Radial Embeddings, in the modes the paper trains and ablates:
//   empty  - the text embedding of "" (tokenised [BOS, EOS]), normalised: the default. The
//            caller computes it with its model (so during fine-tuning the gradient reaches the
//            text encoder through it) and hands it in;
//   origin - the zero vector;
//   mean   - the normalised mean of a set of normalised embeddings (e.g. all training texts);
//   file   - a vector saved in a .safetensors file (e.g. the original model's empty-string
//            embedding, kept fixed), normalised.
// Roots come back as a 1-D tensor [D] in float32 (float64 for float64 inputs).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>
#include <c10/core/Device.h>
#include <c10/core/TensorOptions.h>

namespace hc {

class ConfigSchema;

enum class RootMode { EmptyText, Origin, Mean, File };

// "empty", "origin", "mean", "file"; anything else is a usage hc::Error listing them.
RootMode parse_root_mode(const std::string& name);
const char* root_mode_name(RootMode mode);

// One root section in every tool that uses a root: root.mode, root.file, root.tensor, and the
// flag --root MODE|FILE (a .safetensors file as the mode means mode file with that file).
struct RootOptions {
  std::string mode = "empty";
  std::filesystem::path file;  // mode file: the .safetensors file
  std::string tensor;          // mode file: the tensor's name; empty = the file's only 1-D tensor

  // Keys <section>.mode, <section>.file, <section>.tensor; --root only for the section "root".
  void declare(ConfigSchema& schema, const std::string& section = "root");

  // mode is a mode name again: a file given as the mode becomes mode file with that file.
  RootOptions resolved() const;
  // What results record: {mode, file, tensor} (file and tensor only in mode file).
  nlohmann::ordered_json to_json() const;
};

// The empty string's embedding ([D] or [1, D]), normalised; differentiable.
at::Tensor empty_text_root(const at::Tensor& empty_text_embedding);
// Zeros [dim] on options' device, in the compute type of its dtype (float32 when unset).
at::Tensor origin_root(int64_t dim, const c10::TensorOptions& options = {});
// embeddings [N, D]: each row normalised, averaged, and the mean normalised; differentiable.
at::Tensor mean_root(const at::Tensor& embeddings);
// A vector from a .safetensors file: the tensor called `tensor`, or, when tensor is empty, the
// file's only 1-D tensor. Shapes [D] and [1, D] are accepted; the vector is normalised (a zero
// vector stays the origin). Errors (no such file, no or several candidates, wrong shape or
// dtype) are hc::Errors naming the file and the tensor.
at::Tensor load_root(const std::filesystem::path& file, const std::string& tensor = "",
                     c10::Device device = c10::Device(c10::kCPU));

// What make_root may need; each callable is called only by the mode that uses it.
struct RootSources {
  std::function<at::Tensor()> empty_text_embedding;  // mode empty: the model's embedding of ""
  std::function<at::Tensor()> embeddings;            // mode mean: [N, D]
  int64_t dim = 0;                                   // mode origin: the embedding size
  c10::TensorOptions options;                        // origin: device and dtype; file: device
};

// The root of options.mode. A mode whose source is missing is an hc::Error naming the mode.
at::Tensor make_root(const RootOptions& options, const RootSources& sources);

}  // namespace hc
