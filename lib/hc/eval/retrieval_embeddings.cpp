#include "hc/eval/retrieval_embeddings.h"

#include <algorithm>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"

namespace hc {
namespace fs = std::filesystem;
namespace {

std::string shape_text(const at::Tensor& t) {
  return fmt::format("[{}]", fmt::join(t.sizes(), ", "));
}

at::Tensor read_float(const SafetensorsFile& file, const std::string& name) {
  const TensorView& view = file.get(name);  // names the file and the tensor when absent
  const at::Tensor tensor = to_tensor(view, at::kCPU);
  if (!at::isFloatingType(tensor.scalar_type())) {
    throw runtime_error("{}: tensor '{}' has dtype {}, expected a floating type (F32, F16, BF16, "
                        "F64)", file.path().string(), name, dtype_name(view.dtype));
  }
  return tensor.to(at::kFloat);
}

// Positions in the CSV of set's rows, when some were skipped: kept and skipped rows merged by
// line.
std::vector<int64_t> kept_row_positions(const HierarCapsSet& set) {
  std::vector<int64_t> kept;
  std::size_t skipped = 0;
  int64_t position = 0;
  for (const auto& row : set.rows) {
    while (skipped < set.skipped.size() && set.skipped[skipped].line < row.line) {
      ++skipped;
      ++position;
    }
    kept.push_back(position++);
  }
  return kept;
}

}  // namespace

RetrievalEmbeddings read_retrieval_embeddings(const fs::path& path, const HierarCapsSet& set) {
  const auto file = SafetensorsFile::open(path);
  RetrievalEmbeddings out;
  out.source = path;
  out.text = read_float(*file, "text");
  out.images = read_float(*file, "image");
  if (file->contains("root")) out.root = read_float(*file, "root");

  const auto rows = static_cast<int64_t>(set.rows.size());
  const auto all_rows = static_cast<int64_t>(set.rows.size() + set.skipped.size());
  const auto image_count = static_cast<int64_t>(set.images.size());
  const at::Tensor& text = out.text;
  if (text.dim() != 3 || text.size(1) != 4 || (text.size(0) != rows && text.size(0) != all_rows)) {
    throw runtime_error("{}: tensor 'text' is {}, expected [{}, 4, D] for the {} rows of {}",
                        path.string(), shape_text(text), all_rows, all_rows, set.source.string());
  }
  out.dim = text.size(2);
  if (text.size(0) != rows) {
    out.text = text.index_select(0, at::tensor(kept_row_positions(set), at::kLong));
  }
  if (out.images.dim() != 2 || out.images.size(0) != image_count || out.images.size(1) != out.dim) {
    throw runtime_error("{}: tensor 'image' is {}, expected [{}, {}] for the {} distinct images of "
                        "{} (in order of first appearance){}",
                        path.string(), shape_text(out.images), image_count, out.dim, image_count,
                        set.source.string(),
                        set.skipped.empty() ? "" : ", without those of the skipped rows");
  }
  if (out.root.defined()) {
    if (out.root.dim() == 2 && out.root.size(0) == 1) out.root = out.root.squeeze(0);
    if (out.root.dim() != 1 || out.root.size(0) != out.dim) {
      throw runtime_error("{}: tensor 'root' is {}, expected [{}]", path.string(),
                          shape_text(out.root), out.dim);
    }
  }
  return out;
}

}  // namespace hc
