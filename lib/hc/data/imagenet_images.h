#pragma once
// ImageNet images by class, for evaluations over ImageNet classes (BREEDS). Three layouts, as
// users have the validation set:
//   1. an ImageNet-style folder: <folder>/<wnid>/<image> (torchvision's ImageFolder layout of
//      the validation set, 50 images a class);
//   2. the flat ILSVRC2012 val folder (ILSVRC2012_val_00000001.JPEG, ...) with a ground-truth
//      file (images.ground_truth);
//   3. a list file (images.list) and no folder: its paths are relative to the list's folder.
// Ground-truth and list files are read in either of two forms:
//   - text lines "<path> <label>" (whitespace separated; caffe's val.txt), label a wnid or an
//     ImageNet class index 0..999 in dataset_class_info.json's order (sorted wnids);
//   - CSV with the header "ImageId,PredictionString" (Kaggle's LOC_val_solution.csv): the image
//     is <ImageId>.JPEG, the label the first token of PredictionString.
// The devkit's ILSVRC2012_validation_ground_truth.txt (one devkit id per line, an order that is
// not the class index order) is recognised and refused with a message saying what to use.
//
// Image files are those with the extensions .jpeg, .jpg, .png (any case). Torch-free.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace hc {

class ConfigSchema;
struct ImageNetClasses;

struct ImageNetImagesOptions {
  std::filesystem::path folder;        // layout 1 or 2
  std::filesystem::path ground_truth;  // layout 2
  std::filesystem::path list;          // layout 3
  int per_class = 0;                   // at most this many images a class (first by name); 0 = all

  // Keys <section>.imagenet (--imagenet), .ground_truth (--ground-truth), .list (--list),
  // .per_class (--per-class).
  void declare(ConfigSchema& schema, const std::string& section = "images");
};

struct ClassImages {
  std::string layout;  // "folders", "ground_truth" or "list"
  // wnid -> its images, sorted by path, for every wanted wnid (each has at least one).
  std::map<std::string, std::vector<std::filesystem::path>> images;
  std::size_t other_classes = 0;  // images of classes not wanted (a list naming all 1000)
};

// The images of the wanted wnids (names: readable names, for messages). Errors are hc::Errors
// naming the file or folder and what was expected: no source given; a missing folder; a wanted
// class with no folder or no images (listing the first few such classes); a flat folder without
// a ground-truth file; a malformed line, an unknown wnid or class index, or a listed image that
// does not exist (file:line).
ClassImages find_class_images(const ImageNetImagesOptions& options,
                              const std::vector<std::string>& wnids,
                              const std::vector<std::string>& names,
                              const ImageNetClasses& classes);

// Whether a file name has an image extension (.jpeg, .jpg, .png; any case).
bool is_image_file_name(const std::filesystem::path& path);

}  // namespace hc
