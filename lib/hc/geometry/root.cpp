#include "hc/geometry/root.h"

#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/geometry/precision.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"

namespace hc {
namespace {

// [D] or [1, D] -> [D]; anything else is an error naming `what`.
at::Tensor as_vector(const at::Tensor& t, const std::string& what) {
  if (t.dim() == 1) return t;
  if (t.dim() == 2 && t.size(0) == 1) return t.squeeze(0);
  throw runtime_error("{}: expected a vector [D] or [1, D], got shape [{}]", what,
                      fmt::join(t.sizes(), ", "));
}

bool is_root_mode_name(const std::string& name) {
  return name == "empty" || name == "origin" || name == "mean" || name == "file";
}

bool is_vector_shape(const std::vector<int64_t>& shape) {
  return shape.size() == 1 || (shape.size() == 2 && shape[0] == 1);
}

}  // namespace

RootMode parse_root_mode(const std::string& name) {
  if (name == "empty") return RootMode::EmptyText;
  if (name == "origin") return RootMode::Origin;
  if (name == "mean") return RootMode::Mean;
  if (name == "file") return RootMode::File;
  throw usage_error("unknown root mode '{}': expected empty, origin, mean or file", name);
}

const char* root_mode_name(RootMode mode) {
  switch (mode) {
    case RootMode::EmptyText:
      return "empty";
    case RootMode::Origin:
      return "origin";
    case RootMode::Mean:
      return "mean";
    case RootMode::File:
      return "file";
  }
  return "?";
}

void RootOptions::declare(ConfigSchema& schema, const std::string& section) {
  auto mode_key = schema.add(section + ".mode", mode,
                             "entailment root: empty (embedding of \"\"), origin, mean (of the "
                             "texts), file, or a .safetensors file (= mode file with that file)");
  mode_key.relative_to_config().check(
      [](const std::string& v) { return is_root_mode_name(v) || detail::path_exists(v); },
      "empty, origin, mean, file or an existing .safetensors file");
  if (section == "root") mode_key.flag("--root");
  schema.add(section + ".file", file, "root file (.safetensors) when mode is file")
      .check([this](const std::filesystem::path& p) { return mode != "file" || !p.empty(); },
             "a .safetensors file when " + section + ".mode is file");
  schema.add(section + ".tensor", tensor,
             "tensor name in the root file; empty = its only 1-D tensor");
}

RootOptions RootOptions::resolved() const {
  RootOptions out = *this;
  if (!is_root_mode_name(mode)) {
    out.file = mode;
    out.mode = "file";
  }
  return out;
}

nlohmann::ordered_json RootOptions::to_json() const {
  const RootOptions root = resolved();
  nlohmann::ordered_json json{{"mode", root.mode}};
  if (root.mode == "file") {
    json["file"] = root.file.string();
    json["tensor"] = root.tensor;
  }
  return json;
}

at::Tensor empty_text_root(const at::Tensor& empty_text_embedding) {
  return normalize_embeddings(as_vector(empty_text_embedding, "empty-string embedding"));
}

at::Tensor origin_root(int64_t dim, const c10::TensorOptions& options) {
  if (dim <= 0) throw runtime_error("origin root: the embedding size must be positive, got {}", dim);
  c10::ScalarType type = options.has_dtype() ? c10::typeMetaToScalarType(options.dtype())
                                             : c10::ScalarType::Float;
  return at::zeros({dim}, options.dtype(geometry_compute_type(type, "origin root")));
}

at::Tensor mean_root(const at::Tensor& embeddings) {
  if (embeddings.dim() != 2 || embeddings.size(0) == 0) {
    throw runtime_error("mean root: expected embeddings [N, D] with N > 0, got shape [{}]",
                        fmt::join(embeddings.sizes(), ", "));
  }
  return normalize_embeddings(normalize_embeddings(embeddings).mean(0));
}

at::Tensor load_root(const std::filesystem::path& file, const std::string& tensor,
                     c10::Device device) {
  auto st = SafetensorsFile::open(file);
  std::string name = tensor;
  if (name.empty()) {
    std::vector<std::string> vectors;
    for (const auto& candidate : st->names()) {
      if (is_vector_shape(st->get(candidate).shape)) vectors.push_back(candidate);
    }
    if (vectors.size() != 1) {
      throw runtime_error(
          "{}: expected exactly one 1-D tensor to use as the root, found {} ({}); name the tensor",
          file.string(), vectors.size(),
          vectors.empty() ? std::string("none") : fmt::format("{}", fmt::join(vectors, ", ")));
    }
    name = vectors.front();
  }
  const TensorView& view = st->get(name);
  std::string what = fmt::format("{}: tensor '{}'", file.string(), name);
  if (view.dtype != DType::F64 && view.dtype != DType::F32 && view.dtype != DType::F16 &&
      view.dtype != DType::BF16) {
    throw runtime_error("{} has dtype {}, expected a floating-point root vector", what,
                        dtype_name(view.dtype));
  }
  at::Tensor loaded = as_vector(to_tensor(view, device), what);
  if (loaded.numel() == 0) throw runtime_error("{} is empty", what);
  return normalize_embeddings(loaded);
}

at::Tensor make_root(const RootOptions& given, const RootSources& sources) {
  const RootOptions options = given.resolved();
  switch (parse_root_mode(options.mode)) {
    case RootMode::EmptyText:
      if (!sources.empty_text_embedding) {
        throw runtime_error("root mode empty needs the model's embedding of the empty string");
      }
      return empty_text_root(sources.empty_text_embedding());
    case RootMode::Origin:
      return origin_root(sources.dim, sources.options);
    case RootMode::Mean:
      if (!sources.embeddings) throw runtime_error("root mode mean needs the embeddings to average");
      return mean_root(sources.embeddings());
    case RootMode::File:
      if (options.file.empty()) throw usage_error("root mode file needs root.file");
      return load_root(options.file, options.tensor, sources.options.device());
  }
  throw runtime_error("unknown root mode");
}

}  // namespace hc
