#include "hc/data/cifar_labelled_images.h"

#include <cstring>

#include "hc/core/error.h"

namespace hc {

LabelledImageSet cifar_labelled_images(const std::filesystem::path& file, CifarKind kind,
                                       std::vector<std::string> label_names) {
  const std::size_t expected = kind == CifarKind::Cifar100 ? 100 : 10;
  if (label_names.size() != expected) {
    throw usage_error("{}: {} class names given for {} CIFAR labels", file.string(),
                      label_names.size(), expected);
  }
  const CifarImages records = read_cifar_binary(file, kind);
  LabelledImageSet set;
  set.source = file.string();
  set.label_names = std::move(label_names);
  set.images.reserve(records.size());
  constexpr int kSide = CifarImages::kSide;
  constexpr std::size_t kBytes = static_cast<std::size_t>(kSide) * kSide * 3;
  for (std::size_t i = 0; i < records.size(); ++i) {
    RgbImage image(kSide, kSide);
    std::memcpy(image.pixels.data(), records.pixels.data() + i * kBytes, kBytes);
    set.images.push_back(image_in_memory(std::move(image), file.string() + "#" + std::to_string(i),
                                         records.fine[i]));
  }
  return set;
}

}  // namespace hc
