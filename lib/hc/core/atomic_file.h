#pragma once
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace hc {

// An output file that appears under its final name only once it is complete: writes go to a
// temporary file beside it, commit() renames it into place, and an uncommitted file (an error
// or an interrupted run) is removed, so no partial output ever looks finished.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target, bool binary = false);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& target() const { return target_; }

  // Flushes, checks for write errors (disk full) and renames into place.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  std::ofstream out_;
  bool committed_ = false;
};

// Writes the whole of content to path through an AtomicFile.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace hc
