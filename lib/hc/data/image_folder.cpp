#include "hc/data/image_folder.h"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "hc/core/error.h"

namespace hc {

namespace {
namespace fs = std::filesystem;

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

bool is_image(const fs::path& file, const std::vector<std::string>& extensions) {
  const std::string name = lower(file.filename().string());
  return std::any_of(extensions.begin(), extensions.end(), [&](const std::string& ext) {
    const std::string suffix = lower(ext);
    return name.size() > suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  });
}

std::vector<std::string> class_folders(const fs::path& root, const ImageFolderOptions& options,
                                       std::size_t& stray_files) {
  std::set<std::string> found;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory()) {
      found.insert(entry.path().filename().string());
    } else {
      ++stray_files;
    }
  }
  for (const std::string& name : options.exclude) {
    if (!found.erase(name)) {
      throw usage_error("{}: excluded class folder '{}' is not there", root.string(), name);
    }
  }
  if (!options.only.empty()) {
    for (const std::string& name : options.only) {
      if (!found.count(name)) {
        throw usage_error("{}: class folder '{}' is missing", root.string(), name);
      }
    }
    found = std::set<std::string>(options.only.begin(), options.only.end());
  }
  if (found.empty()) {
    throw usage_error("{}: no class folders (expected one folder of images per class)",
                      root.string());
  }
  return {found.begin(), found.end()};  // std::set keeps byte order
}

}  // namespace

LabelledImageSet scan_image_folder(const fs::path& root, const ImageFolderOptions& options) {
  if (!fs::is_directory(root)) {
    throw usage_error("{}: no such image folder", root.string());
  }
  std::size_t skipped = 0;
  LabelledImageSet set;
  set.source = root.string();
  set.label_names = class_folders(root, options, skipped);
  for (std::size_t label = 0; label < set.label_names.size(); ++label) {
    const fs::path folder = root / set.label_names[label];
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder)) {
      if (entry.is_regular_file() && is_image(entry.path(), options.extensions)) {
        files.push_back(entry.path());
      } else {
        ++skipped;
      }
    }
    if (files.empty()) {
      throw usage_error("{}: class folder has no images (an empty class)", folder.string());
    }
    std::sort(files.begin(), files.end());
    for (fs::path& file : files) {
      set.images.push_back(image_file(std::move(file), static_cast<int64_t>(label)));
    }
  }
  if (skipped > 0) {
    spdlog::info("{}: {} entries that are neither class folders nor images were left out",
                 root.string(), skipped);
  }
  return set;
}

}  // namespace hc
