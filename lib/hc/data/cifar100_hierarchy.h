#pragma once
// CIFAR-100's two-level label hierarchy: its 20 coarse classes ("superclasses") over its 100 fine
// classes, five each, with CIFAR's own label names and label indices (both levels in CIFAR's
// index order, which is alphabetical; chains in fine-label order). The coarse <- fine map is part
// of the public dataset description (the table on the CIFAR page), so it is built in: a CIFAR-100
// binary record's fine label indexes level 1 directly and its coarse label level 0. Names are
// kept as CIFAR writes them ("aquarium_fish", "large_man-made_outdoor_things"); HGCLIP's prompt
// code turns '_' into spaces. Torch-free.
#include <filesystem>
#include <string>
#include <vector>

#include "hc/data/class_hierarchy.h"

namespace hc {

// The built-in hierarchy; level names "coarse" and "fine" unless given (two names).
ClassHierarchy cifar100_class_hierarchy(std::vector<std::string> level_names = {});

// The same, checked against the label-name files of a CIFAR-100 download: a folder holding
// coarse_label_names.txt and fine_label_names.txt (the binary version's files, one name per line
// in label order), or that folder's parent (cifar-100-binary/ inside). A name that differs from
// CIFAR's is a usage hc::Error naming the file and line: the built-in map would be wrong for it.
ClassHierarchy read_cifar100_class_hierarchy(const std::filesystem::path& folder,
                                             std::vector<std::string> level_names = {});

}  // namespace hc
