#pragma once
// How the official HierarCaps loader ties rows to image files: the COCO id of a row is the first
// "_<digits>" in its image_url (pandas `str.extract('_(\d+)')`), and the id of an image file is
// the integer after the last "_" of its name without extension (`fn2id`), e.g.
// COCO_val2014_000000000139.jpg -> 139.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hc {

// The first "_" followed by decimal digits in url, as an integer; nullopt when there is none
// (or the digits overflow 64 bits).
std::optional<int64_t> coco_id_from_url(std::string_view url);

// The official fn2id on a file name: the part after the last "_" of the name without its
// extension, when it is all decimal digits; nullopt otherwise (the official code would stop with
// a ValueError on such a file; here it is simply not an image candidate).
std::optional<int64_t> coco_id_from_file_name(const std::string& file_name);

// The image files of a folder by COCO id (not recursive; hidden files and names without an id
// are left out). Several files with one id are all kept, in name order: the official loader
// would keep whichever its directory listing gave last, so using such an id is an error.
struct CocoImageFolder {
  std::filesystem::path folder;
  std::map<int64_t, std::vector<std::filesystem::path>> files;
  std::size_t file_count = 0;  // files with an id
};

// A missing or unreadable folder is an hc::Error naming it.
CocoImageFolder index_coco_images(const std::filesystem::path& folder);

}  // namespace hc
