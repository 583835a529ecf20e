#include "hc/data/labelled_images.h"

#include "hc/core/error.h"
#include "hc/vision/decode_image.h"

namespace hc {

std::vector<int64_t> LabelledImageSet::label_counts() const {
  std::vector<int64_t> counts(label_names.size(), 0);
  for (const LabelledImage& image : images) ++counts.at(static_cast<std::size_t>(image.label));
  return counts;
}

LabelledImageSet LabelledImageSet::subset(const std::vector<std::size_t>& positions) const {
  LabelledImageSet out{source, label_names, {}};
  out.images.reserve(positions.size());
  for (std::size_t position : positions) out.images.push_back(images.at(position));
  return out;
}

LabelledImage image_file(std::filesystem::path path, int64_t label) {
  LabelledImage image;
  image.id = path.string();
  image.path = std::move(path);
  image.label = label;
  return image;
}

LabelledImage image_in_memory(RgbImage pixels, std::string id, int64_t label) {
  LabelledImage image;
  image.pixels = std::make_shared<const RgbImage>(std::move(pixels));
  image.id = std::move(id);
  image.label = label;
  return image;
}

RgbImage load_pixels(const LabelledImage& image) {
  if (image.pixels) return *image.pixels;
  return decode_image(image.path);
}

namespace {

// The finest class a label names: the label itself (or its rename), else the one class whose
// normalised name equals the label's normalised name (so "aquarium fish" finds CIFAR's
// "aquarium_fish" and the reverse). -1 when none; a usage hc::Error when two classes match.
int64_t finest_class_of(const std::string& label, const ClassHierarchy& hierarchy,
                        const std::unordered_map<std::string, std::string>& renames) {
  const int64_t finest = hierarchy.num_levels() - 1;
  const auto& classes = hierarchy.levels()[finest].classes;
  auto renamed = renames.find(label);
  const std::string& name = renamed != renames.end() ? renamed->second : label;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i] == name) return static_cast<int64_t>(i);
  }
  const std::string wanted = normalize_class_name(name);
  int64_t found = -1;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (normalize_class_name(classes[i]) != wanted) continue;
    if (found >= 0) {
      throw usage_error("label '{}' matches two finest classes of {}, '{}' and '{}'", label,
                        hierarchy.source(), classes[found], classes[i]);
    }
    found = static_cast<int64_t>(i);
  }
  return found;
}

}  // namespace

HierarchicalImageSet bind_to_hierarchy(
    LabelledImageSet images, const ClassHierarchy& hierarchy,
    const std::unordered_map<std::string, std::string>& renames) {
  if (images.images.empty()) throw usage_error("{}: no images", images.source);
  std::vector<int64_t> finest_of_label(images.label_names.size(), -1);
  std::vector<bool> used(images.label_names.size(), false);
  for (const LabelledImage& image : images.images) {
    if (image.label < 0 || image.label >= static_cast<int64_t>(used.size())) {
      throw usage_error("{}: image {} has label {}, expected 0..{}", images.source, image.id,
                        image.label, static_cast<int64_t>(used.size()) - 1);
    }
    if (used[image.label]) continue;
    used[image.label] = true;
    const std::string& name = images.label_names[image.label];
    finest_of_label[image.label] = finest_class_of(name, hierarchy, renames);
    if (finest_of_label[image.label] < 0) {
      throw usage_error("{}: label '{}' (image {}) is missing from the finest level '{}' of the "
                        "hierarchy {}",
                        images.source, name, image.id,
                        hierarchy.levels().back().name, hierarchy.source());
    }
  }
  HierarchicalImageSet out;
  out.num_levels = hierarchy.num_levels();
  out.classes.reserve(images.images.size());
  for (const LabelledImage& image : images.images) {
    out.classes.push_back(hierarchy.chain_of(finest_of_label[image.label]));
  }
  out.images = std::move(images);
  return out;
}

}  // namespace hc
