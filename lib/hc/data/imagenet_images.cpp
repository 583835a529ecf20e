#include "hc/data/imagenet_images.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/strings.h"
#include "hc/data/breeds_subset.h"
#include "hc/io/text_file.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool is_number(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

// "n01440764 'tench', n01443537 'goldfish', ... (240 in all)"
std::string describe_classes(const std::vector<std::size_t>& which,
                             const std::vector<std::string>& wnids,
                             const std::vector<std::string>& names) {
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < which.size() && i < 4; ++i) {
    shown.push_back(fmt::format("{} '{}'", wnids[which[i]], names[which[i]]));
  }
  return fmt::format("{}{}", fmt::join(shown, ", "),
                     which.size() > shown.size() ? fmt::format(", ... ({} in all)", which.size()) : "");
}

std::vector<fs::path> images_in(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file() && is_image_file_name(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool has_flat_val_images(const fs::path& folder) {
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file() && is_image_file_name(entry.path())) return true;
  }
  return false;
}

ClassImages from_folders(const ImageNetImagesOptions& options, const std::vector<std::string>& wnids,
                         const std::vector<std::string>& names) {
  ClassImages found;
  found.layout = "folders";
  std::vector<std::size_t> missing, empty;
  for (std::size_t i = 0; i < wnids.size(); ++i) {
    const fs::path folder = options.folder / wnids[i];
    if (!fs::is_directory(folder)) {
      missing.push_back(i);
      continue;
    }
    std::vector<fs::path> files = images_in(folder);
    if (files.empty()) empty.push_back(i);
    found.images[wnids[i]] = std::move(files);
  }
  if (!missing.empty() && missing.size() == wnids.size() && has_flat_val_images(options.folder)) {
    throw usage_error(
        "{}: holds images but no class folders: for the flat ILSVRC2012 val folder give its "
        "ground-truth file (--ground-truth val.txt or LOC_val_solution.csv)",
        options.folder.string());
  }
  if (!missing.empty()) {
    throw runtime_error(
        "{}: no folder for {} of the {} classes needed: {}; expected an ImageNet-style "
        "validation folder <wnid>/*.JPEG (or --ground-truth with the flat val folder, or --list)",
        options.folder.string(), missing.size(), wnids.size(), describe_classes(missing, wnids, names));
  }
  if (!empty.empty()) {
    throw runtime_error("{}: no images (.JPEG, .jpg, .png) in the class folder{} {}",
                        options.folder.string(), empty.size() == 1 ? "" : "s",
                        describe_classes(empty, wnids, names));
  }
  return found;
}

// One labelled line of a ground-truth or list file.
struct ListedImage {
  std::string file;
  std::string label;
  std::size_t line = 0;
};

std::vector<ListedImage> read_listed_images(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw runtime_error("{}: no such image list", file.string());
  LineReader reader(file);
  std::string line;
  std::vector<ListedImage> listed;
  bool kaggle = false;
  std::size_t lines = 0, lone_numbers = 0, first_lone_number = 0;
  while (reader.next(line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (++lines == 1 && starts_with(line, "ImageId,PredictionString")) {
      kaggle = true;
      continue;
    }
    std::string first, second, extra;
    if (kaggle) {
      const std::size_t comma = line.find(',');
      if (comma != std::string::npos) {
        std::istringstream prediction(line.substr(comma + 1));
        prediction >> second;
        first = line.substr(0, comma);
        if (!first.empty()) first += ".JPEG";
      }
    } else {
      std::istringstream fields(line);
      fields >> first >> second >> extra;
      if (is_number(first) && second.empty()) {
        if (lone_numbers++ == 0) first_lone_number = reader.line_number();
        continue;
      }
    }
    if (first.empty() || second.empty() || !extra.empty()) {
      throw runtime_error("{}:{}: expected '<image> <wnid or class index>'{}", file.string(),
                          reader.line_number(),
                          kaggle ? " (ImageId,PredictionString with a wnid first)" : "");
    }
    listed.push_back({first, second, reader.line_number()});
  }
  if (lone_numbers > 0 && listed.empty()) {
    throw usage_error(
        "{}: one number per line looks like the devkit's ILSVRC2012_validation_ground_truth.txt, "
        "whose ids are not ImageNet class indices: give caffe's val.txt ('<file> <index>') or "
        "Kaggle's LOC_val_solution.csv instead",
        file.string());
  }
  if (lone_numbers > 0) {
    throw runtime_error("{}:{}: expected '<image> <wnid or class index>'", file.string(),
                        first_lone_number);
  }
  if (listed.empty()) throw runtime_error("{}: lists no images", file.string());
  return listed;
}

std::string wnid_of(const ListedImage& image, const ImageNetClasses& classes, const fs::path& file) {
  if (is_number(image.label)) {
    const std::size_t index = std::stoul(image.label.size() > 9 ? "999999999" : image.label);
    if (index >= classes.wnids.size()) {
      throw runtime_error("{}:{}: class index {} is out of range (0..{})", file.string(), image.line,
                          image.label, classes.wnids.size() - 1);
    }
    return classes.wnids[index];
  }
  if (classes.find(image.label) < 0) {
    throw runtime_error("{}:{}: unknown wnid '{}' (not one of ImageNet's {} classes)", file.string(),
                        image.line, image.label, classes.wnids.size());
  }
  return image.label;
}

ClassImages from_list(const fs::path& list, const fs::path& base, const std::string& layout,
                      const std::vector<std::string>& wnids, const std::vector<std::string>& names,
                      const ImageNetClasses& classes) {
  ClassImages found;
  found.layout = layout;
  const std::set<std::string> wanted(wnids.begin(), wnids.end());
  for (const ListedImage& image : read_listed_images(list)) {
    const std::string wnid = wnid_of(image, classes, list);
    if (!wanted.count(wnid)) {
      ++found.other_classes;
      continue;
    }
    const fs::path path = base / image.file;
    if (!fs::is_regular_file(path)) {
      throw runtime_error("{}:{}: no such image {}", list.string(), image.line, path.string());
    }
    found.images[wnid].push_back(path);
  }
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < wnids.size(); ++i) {
    auto& files = found.images[wnids[i]];
    if (files.empty()) missing.push_back(i);
    std::sort(files.begin(), files.end());
  }
  if (!missing.empty()) {
    throw runtime_error("{}: no images of {} of the {} classes needed: {}", list.string(),
                        missing.size(), wnids.size(), describe_classes(missing, wnids, names));
  }
  return found;
}

}  // namespace

void ImageNetImagesOptions::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".imagenet", folder,
             "ImageNet validation images: a folder of <wnid>/ class folders, or the flat "
             "ILSVRC2012 val folder (with images.ground_truth)")
      .flag("--imagenet");
  schema.add(section + ".ground_truth", ground_truth,
             "labels of a flat val folder: caffe's val.txt ('<file> <index>'), '<file> <wnid>' "
             "lines, or Kaggle's LOC_val_solution.csv")
      .flag("--ground-truth");
  schema.add(section + ".list", list,
             "instead of a folder: a list of '<image> <wnid or index>' lines, paths relative to "
             "the list's folder")
      .flag("--list");
  schema.add(section + ".per_class", per_class,
             "use at most this many images of each class (the first by name; 0 = all)")
      .check_non_negative()
      .flag("--per-class");
}

bool is_image_file_name(const fs::path& path) {
  const std::string extension = lower(path.extension().string());
  return extension == ".jpeg" || extension == ".jpg" || extension == ".png";
}

ClassImages find_class_images(const ImageNetImagesOptions& options,
                              const std::vector<std::string>& wnids,
                              const std::vector<std::string>& names,
                              const ImageNetClasses& classes) {
  ClassImages found;
  if (!options.list.empty()) {
    if (!options.folder.empty() || !options.ground_truth.empty()) {
      throw usage_error("images.list replaces images.imagenet and images.ground_truth: give one "
                        "source of images");
    }
    found = from_list(options.list, options.list.parent_path(), "list", wnids, names, classes);
  } else if (options.folder.empty()) {
    throw usage_error(
        "no ImageNet images: give the validation folder (--imagenet DIR with <wnid>/*.JPEG class "
        "folders, or the flat ILSVRC2012 val folder with --ground-truth) or a list (--list); "
        "ImageNet is not distributed with hc");
  } else if (!fs::is_directory(options.folder)) {
    throw runtime_error("{}: no such ImageNet folder", options.folder.string());
  } else if (!options.ground_truth.empty()) {
    found = from_list(options.ground_truth, options.folder, "ground_truth", wnids, names, classes);
  } else {
    found = from_folders(options, wnids, names);
  }
  if (options.per_class > 0) {
    for (auto& [wnid, files] : found.images) {
      if (files.size() > static_cast<std::size_t>(options.per_class)) files.resize(options.per_class);
    }
  }
  return found;
}

}  // namespace hc
