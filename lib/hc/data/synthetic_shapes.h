#pragma once
// A generated hierarchical image set for classification tests and the offline hgclip-train demo:
// coarse classes are shape families (circle, square, triangle), fine classes a shape in a colour
// ("red_circle"), drawn with OpenCV large and near the centre (jittered position and size) on a
// noisy grey background. Written as one folder per fine class (PNG files) and an HGCLIP
// hierarchy file ("red_circle, circle" per line). The same options give the same files.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hc {

struct ShapeSetOptions {
  int images_per_class = 12;
  int size = 64;          // square images of this many pixels
  uint64_t seed = 0;      // same seed, same images
};

// The fine class names, in hierarchy-file order.
std::vector<std::string> shape_classes();

// Writes <root>/<fine class>/<n>.png for every fine class.
void write_shape_images(const std::filesystem::path& root, const ShapeSetOptions& options);

// Writes the hierarchy file: one "fine, coarse" line per fine class.
void write_shape_hierarchy(const std::filesystem::path& file);

}  // namespace hc
