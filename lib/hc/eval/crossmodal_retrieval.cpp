#include "hc/eval/crossmodal_retrieval.h"

#include <algorithm>
#include <limits>
#include <string_view>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/geometry/precision.h"

namespace hc {
namespace fs = std::filesystem;
namespace {

// Similarities of at most this many floats are held at once (captions are taken in chunks).
constexpr int64_t kScoreChunkFloats = int64_t{1} << 24;

at::Tensor unit_float32(const at::Tensor& t) { return normalize_embeddings(t.to(at::kFloat)); }

std::string recall_name(int k) { return fmt::format("R@{}", k); }

}  // namespace

CrossModalRecall crossmodal_recall(const at::Tensor& captions, const at::Tensor& images,
                                   const std::vector<int64_t>& image_of_caption,
                                   const std::vector<int>& ks) {
  const int64_t n = captions.dim() == 2 ? captions.size(0) : -1;
  if (n <= 0 || images.dim() != 2 || images.size(0) == 0 ||
      images.size(1) != captions.size(1) || static_cast<std::size_t>(n) != image_of_caption.size()) {
    throw runtime_error("cross-modal retrieval: expected captions [N, D], images [M, D] and N "
                        "image indices, got {} captions of shape [{}], images [{}] and {} indices",
                        n, fmt::join(captions.sizes(), ", "), fmt::join(images.sizes(), ", "),
                        image_of_caption.size());
  }
  if (ks.empty() || std::any_of(ks.begin(), ks.end(), [](int k) { return k < 1; })) {
    throw usage_error("cross-modal retrieval: K values must be positive, got [{}]",
                      fmt::join(ks, ", "));
  }
  const int64_t m = images.size(0);
  std::vector<int64_t> caption_count(static_cast<std::size_t>(m), 0);
  for (int64_t image : image_of_caption) {
    if (image < 0 || image >= m) {
      throw runtime_error("cross-modal retrieval: image index {} out of range [0, {})", image, m);
    }
    ++caption_count[image];
  }
  const auto uncaptioned = std::find(caption_count.begin(), caption_count.end(), 0);
  if (uncaptioned != caption_count.end()) {
    throw runtime_error("cross-modal retrieval: image {} has no caption",
                        uncaptioned - caption_count.begin());
  }

  const at::NoGradGuard no_grad;
  const at::Tensor t = unit_float32(captions);
  const at::Tensor v = unit_float32(images.to(t.device()));
  const at::Tensor owner = at::tensor(image_of_caption, at::kLong).to(t.device());

  // Scores always come from the same products (caption chunk x all images), so a caption's own
  // score compares equal to itself in both directions.
  const int64_t chunk = std::max<int64_t>(1, kScoreChunkFloats / m);
  auto scores_of = [&](int64_t begin, int64_t end) {
    return at::matmul(t.slice(0, begin, end), v.t());  // [c, M]
  };

  // text -> image: images scoring above the caption's own image.
  std::vector<at::Tensor> text_ranks, own_scores;
  for (int64_t begin = 0; begin < n; begin += chunk) {
    const int64_t end = std::min(n, begin + chunk);
    const at::Tensor scores = scores_of(begin, end);
    const at::Tensor own = scores.gather(1, owner.slice(0, begin, end).unsqueeze(1));  // [c, 1]
    text_ranks.push_back((scores > own).sum(1));
    own_scores.push_back(own.squeeze(1));
  }
  const at::Tensor text_rank = at::cat(text_ranks).to(at::kCPU);

  // image -> text: captions scoring above the image's best own caption.
  const at::Tensor own = at::cat(own_scores).to(at::kCPU).contiguous();
  std::vector<float> best(static_cast<std::size_t>(m), -std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < n; ++i) {
    float& slot = best[static_cast<std::size_t>(image_of_caption[i])];
    slot = std::max(slot, own.data_ptr<float>()[i]);
  }
  const at::Tensor best_own = at::tensor(best).to(t.device()).unsqueeze(0);  // [1, M]
  at::Tensor image_rank = at::zeros({m}, at::TensorOptions().dtype(at::kLong).device(t.device()));
  for (int64_t begin = 0; begin < n; begin += chunk) {
    image_rank += (scores_of(begin, std::min(n, begin + chunk)) > best_own).sum(0);
  }
  image_rank = image_rank.to(at::kCPU);

  CrossModalRecall recall;
  recall.ks = ks;
  recall.captions = static_cast<std::size_t>(n);
  recall.images = static_cast<std::size_t>(m);
  for (int k : ks) {
    recall.text_to_image.push_back((text_rank < k).sum().item<double>() / static_cast<double>(n));
    recall.image_to_text.push_back((image_rank < k).sum().item<double>() / static_cast<double>(m));
  }
  return recall;
}

nlohmann::ordered_json crossmodal_json(const CrossModalRecall& recall) {
  nlohmann::ordered_json text_to_image, image_to_text;
  for (std::size_t i = 0; i < recall.ks.size(); ++i) {
    text_to_image[recall_name(recall.ks[i])] = recall.text_to_image[i];
    image_to_text[recall_name(recall.ks[i])] = recall.image_to_text[i];
  }
  return {{"captions", recall.captions},
          {"images", recall.images},
          {"text_to_image", text_to_image},
          {"image_to_text", image_to_text}};
}

}  // namespace hc
