#pragma once
// A CIFAR binary file (hc/data/cifar_binary.h) as a LabelledImageSet: every record an in-memory
// 32x32 image with id "<file>#<record>" and its fine label (CIFAR-100's fine label, CIFAR-10's
// only one) as the label index into label_names, so a set bound to the built-in CIFAR-100
// hierarchy (hc/data/cifar100_hierarchy.h, fine classes in CIFAR's index order) gets each
// record's class at both levels. Torch-free.
#include <filesystem>
#include <string>
#include <vector>

#include "hc/data/cifar_binary.h"
#include "hc/data/labelled_images.h"

namespace hc {

// label_names: one per CIFAR label index (100 for CIFAR-100, 10 for CIFAR-10); a different count
// is a usage hc::Error naming the file.
LabelledImageSet cifar_labelled_images(const std::filesystem::path& file, CifarKind kind,
                                       std::vector<std::string> label_names);

}  // namespace hc
