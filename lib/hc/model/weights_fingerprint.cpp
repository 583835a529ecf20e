#include "hc/model/weights_fingerprint.h"

#include <algorithm>

#include "hc/core/error.h"
#include "hc/core/file_fingerprint.h"
#include "hc/core/sha256.h"
#include "hc/io/safetensors.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

void sort_by_name(std::vector<fs::path>& files) {
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
}

}  // namespace

std::vector<fs::path> weights_files(const SafetensorsCheckpoint& checkpoint) {
  std::vector<fs::path> files;
  for (const auto& file : checkpoint.files()) files.push_back(file->path());
  sort_by_name(files);
  return files;
}

std::string weights_sha256(std::vector<fs::path> files) {
  if (files.empty()) throw runtime_error("no weights files to fingerprint");
  if (files.size() == 1) return cached_sha256_file(files.front());
  sort_by_name(files);
  std::string listing;
  for (const fs::path& file : files) {
    listing += cached_sha256_file(file) + "  " + file.filename().string() + "\n";
  }
  return sha256_hex(listing);
}

}  // namespace hc
