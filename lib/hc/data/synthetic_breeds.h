#pragma once
// A small synthetic stand-in for a BREEDS subset on ImageNet, for the offline demo and tests
// when ImageNet is absent: four superclasses (shapes: circle, square, triangle, ring) of two
// subclasses each (the shape in two colours, e.g. "red circle"), written in the layouts the
// real data has:
//   dir/subsets.json                      subset "synthetic4" (split none and "_rand")
//   dir/modified/node_names.txt           names of the 12 nodes
//   dir/modified/dataset_class_info.json  the 8 subclasses as "ImageNet" classes 0..7
//   dir/val/<wnid>/<wnid>_<n>.png         per_class images a class
//   dir/val.txt                           the same images as a list file ('<path> <wnid>')
// Each image is the class's shape in its colour, with a jittered size, position and background,
// so the classes differ visibly. The same seed gives the same files.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace hc {

struct SyntheticBreeds {
  std::filesystem::path subsets;  // dir/subsets.json
  std::filesystem::path images;   // dir/val
  std::filesystem::path list;     // dir/val.txt
  std::string subset = "synthetic4";
  std::size_t images_written = 0;
};

SyntheticBreeds write_synthetic_breeds(const std::filesystem::path& dir, std::size_t per_class = 6,
                                       uint64_t seed = 0);

}  // namespace hc
