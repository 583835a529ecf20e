#include "hc/eval/hyperlex_embeddings.h"

#include <unordered_map>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/io/text_file.h"
#include "hc/tensor/safetensors_tensor.h"

namespace hc {
namespace {

bool is_float(DType dtype) {
  return dtype == DType::F64 || dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

std::string pick_matrix(const SafetensorsFile& st, const std::string& requested) {
  const std::string file = st.path().string();
  if (!requested.empty()) {
    if (!st.contains(requested)) {
      throw runtime_error("{}: no tensor '{}' (it has {})", file, requested,
                          fmt::join(st.names(), ", "));
    }
    return requested;
  }
  for (const char* name : {"embeddings", "text_embeds"}) {
    if (st.contains(name)) return name;
  }
  std::vector<std::string> matrices;
  for (const auto& name : st.names()) {
    if (st.get(name).shape.size() == 2) matrices.push_back(name);
  }
  if (matrices.size() != 1) {
    throw runtime_error("{}: expected a tensor 'embeddings' or 'text_embeds', or exactly one 2-D "
                        "tensor, found {} ({}); name it with embeddings.tensor",
                        file, matrices.size(),
                        matrices.empty() ? std::string("none") : fmt::format("{}", fmt::join(matrices, ", ")));
  }
  return matrices.front();
}

at::Tensor read_float(const SafetensorsFile& st, const std::string& name) {
  const TensorView& view = st.get(name);
  if (!is_float(view.dtype)) {
    throw runtime_error("{}: tensor '{}' has dtype {}, expected floating point",
                        st.path().string(), name, dtype_name(view.dtype));
  }
  return to_tensor(view, at::kCPU);
}

std::vector<std::string> read_word_list(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) throw runtime_error("{}: no such words file", file.string());
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(read_text_file(file));
  } catch (const nlohmann::json::parse_error& e) {
    throw runtime_error("{}: invalid JSON: {}", file.string(), e.what());
  }
  const nlohmann::json* list = &json;
  if (json.is_object()) {
    if (json.contains("words")) {
      list = &json["words"];
    } else if (json.contains("inputs") && json["inputs"].contains("text_embeds") &&
               json["inputs"]["text_embeds"].contains("texts")) {
      list = &json["inputs"]["text_embeds"]["texts"];
    } else {
      throw runtime_error("{}: expected a JSON array of words, or an object with \"words\" "
                          "(or hc embed's inputs.text_embeds.texts)",
                          file.string());
    }
  }
  if (!list->is_array()) throw runtime_error("{}: the word list is not a JSON array", file.string());
  std::vector<std::string> words;
  words.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    if (!(*list)[i].is_string()) {
      throw runtime_error("{}: word [{}] is not a string", file.string(), i);
    }
    words.push_back((*list)[i].get<std::string>());
  }
  return words;
}

}  // namespace

void WordEmbeddingsOptions::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".file", file,
             "bring your own embeddings: .safetensors with one row per word (instead of a model)")
      .flag("--embeddings");
  schema.add(section + ".words", words,
             "JSON list of the words of the embeddings' rows (or an object with \"words\")")
      .check([this](const std::filesystem::path& p) { return file.empty() || !p.empty(); },
             "a JSON word list when " + section + ".file is set")
      .flag("--words");
  schema.add(section + ".tensor", tensor,
             "tensor of the rows; empty = embeddings, text_embeds or the only 2-D tensor");
  schema.add(section + ".root_tensor", root_tensor,
             "tensor holding the root [D] for root.mode empty");
}

WordEmbeddings load_word_embeddings(const WordEmbeddingsOptions& options) {
  WordEmbeddings loaded;
  loaded.file = options.file;
  loaded.words = read_word_list(options.words);
  auto st = SafetensorsFile::open(options.file);
  loaded.tensor = pick_matrix(*st, options.tensor);
  loaded.embeddings = read_float(*st, loaded.tensor);
  const std::string file = options.file.string();
  if (loaded.embeddings.dim() != 2) {
    throw runtime_error("{}: tensor '{}' has shape [{}], expected [N, D]", file, loaded.tensor,
                        fmt::join(loaded.embeddings.sizes(), ", "));
  }
  if (loaded.embeddings.size(0) != static_cast<int64_t>(loaded.words.size())) {
    throw runtime_error("{}: tensor '{}' has {} rows but {} names {} words", file, loaded.tensor,
                        loaded.embeddings.size(0), options.words.string(), loaded.words.size());
  }
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < loaded.words.size(); ++i) {
    if (!seen.emplace(loaded.words[i], i).second) {
      throw runtime_error("{}: word '{}' appears twice (entries {} and {})",
                          options.words.string(), loaded.words[i], seen[loaded.words[i]], i);
    }
  }
  if (!options.root_tensor.empty() && st->contains(options.root_tensor)) {
    at::Tensor root = read_float(*st, options.root_tensor);
    if (root.dim() == 2 && root.size(0) == 1) root = root.squeeze(0);
    if (root.dim() != 1 || root.size(0) != loaded.embeddings.size(1)) {
      throw runtime_error("{}: root tensor '{}' has shape [{}], expected [{}]", file,
                          options.root_tensor, fmt::join(root.sizes(), ", "),
                          loaded.embeddings.size(1));
    }
    loaded.root = root;
  }
  return loaded;
}

at::Tensor WordEmbeddings::rows(const std::vector<std::string>& wanted) const {
  std::unordered_map<std::string, int64_t> row_of;
  for (std::size_t i = 0; i < words.size(); ++i) row_of.emplace(words[i], static_cast<int64_t>(i));
  std::vector<int64_t> indices;
  std::vector<std::string> missing;
  indices.reserve(wanted.size());
  for (const auto& word : wanted) {
    auto it = row_of.find(word);
    if (it == row_of.end()) {
      missing.push_back(word);
    } else {
      indices.push_back(it->second);
    }
  }
  if (!missing.empty()) {
    const std::size_t shown = std::min<std::size_t>(missing.size(), 5);
    throw runtime_error("{}: {} of the {} words to score have no embedding (first: {})",
                        file.string(), missing.size(), wanted.size(),
                        fmt::join(missing.begin(), missing.begin() + shown, ", "));
  }
  return embeddings.index_select(0, at::tensor(indices, at::kLong));
}

}  // namespace hc
