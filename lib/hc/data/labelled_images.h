#pragma once
// The labelled-image source every classification dataset becomes: a list of images, each an
// image file or pixels already in memory (a CIFAR binary record), with a label that indexes the
// set's own label names. Readers of any format (image folders, ImageNet-style wnid folders,
// CIFAR binaries, list files) produce a LabelledImageSet; the hierarchy binding
// (bind_to_hierarchy) and the batch loader (hc/dataset/image_batches.h) take nothing else.
// Torch-free.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "hc/data/class_hierarchy.h"
#include "hc/vision/rgb_image.h"

namespace hc {

struct LabelledImage {
  std::filesystem::path path;              // decoded on demand when pixels is empty
  std::shared_ptr<const RgbImage> pixels;  // in-memory images (e.g. CIFAR records)
  std::string id;                          // stable name in messages and digests ("file#row")
  int64_t label = -1;                      // index into LabelledImageSet::label_names
};

struct LabelledImageSet {
  std::string source;                    // the folder or file it came from, for messages
  std::vector<std::string> label_names;  // label index -> the name the source gives it
  std::vector<LabelledImage> images;

  std::size_t size() const { return images.size(); }
  // Images per label, in label order.
  std::vector<int64_t> label_counts() const;
  // The images at the given positions (same label names), in that order.
  LabelledImageSet subset(const std::vector<std::size_t>& positions) const;
};

// A file image: its id is the path.
LabelledImage image_file(std::filesystem::path path, int64_t label);
// An in-memory image.
LabelledImage image_in_memory(RgbImage pixels, std::string id, int64_t label);

// The image's pixels: the in-memory ones, or the file decoded (hc::Error naming it).
RgbImage load_pixels(const LabelledImage& image);

// A set whose every image carries its class at each level of a hierarchy.
struct HierarchicalImageSet {
  LabelledImageSet images;
  // [image][level]: class index within the level, most general first.
  std::vector<std::vector<int64_t>> classes;
  int64_t num_levels = 0;
};

// Binds each label name to a finest class of the hierarchy: the class of that name (after
// renames, e.g. a BREEDS wnid -> class name), else the one class whose HGCLIP normalisation
// (normalize_class_name) equals the label's ("aquarium fish" and "aquarium_fish" match; two
// classes matching one label is an error). A label that matches no finest class is a usage hc::Error naming
// the label, an image that carries it, and the hierarchy's source ("label missing from the
// hierarchy"); so is a set without images.
HierarchicalImageSet bind_to_hierarchy(
    LabelledImageSet images, const ClassHierarchy& hierarchy,
    const std::unordered_map<std::string, std::string>& renames = {});

}  // namespace hc
