#pragma once
// Image classification folders: one sub-folder per class, named by its finest label (HGCLIP's
// Caltech-101, Food-101, Fruits-360, Pets layouts) or by an ImageNet wnid (<wnid>/*.JPEG, as
// BREEDS uses ImageNet), the images directly inside. Class folders are taken in byte order of
// their names (torchvision ImageFolder's order) and the images in each in byte order of their
// file names, so a scan is the same on every machine. Torch-free.
#include <filesystem>
#include <string>
#include <vector>

#include "hc/data/labelled_images.h"

namespace hc {

struct ImageFolderOptions {
  // File name endings taken as images, compared case-insensitively.
  std::vector<std::string> extensions{".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm",
                                      ".tif", ".tiff", ".webp"};
  // Class folders left out by name (e.g. Caltech-101's BACKGROUND_Google); an excluded name
  // that is not there is an error, so a typo does not go unnoticed.
  std::vector<std::string> exclude;
  // When not empty, only these class folders are read (e.g. the wnids of one BREEDS subset out
  // of a full ImageNet folder); one of them missing is an error.
  std::vector<std::string> only;
};

// label_names are the class folder names; labels index them. Errors (usage hc::Error naming the
// folder): the root missing or not a folder, no class folders, a class folder without images
// (an empty class), an excluded or required folder that is not there. Other files (README,
// Thumbs.db) are not images and are left out with one log line counting them.
LabelledImageSet scan_image_folder(const std::filesystem::path& root,
                                   const ImageFolderOptions& options = {});

}  // namespace hc
