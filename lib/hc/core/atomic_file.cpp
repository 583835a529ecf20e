#include "hc/core/atomic_file.h"

#include <unistd.h>

#include <system_error>

#include "hc/core/error.h"

namespace hc {
namespace fs = std::filesystem;

AtomicFile::AtomicFile(fs::path target, bool binary) : target_(std::move(target)) {
  if (target_.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(target_.parent_path(), ec);
    if (ec) {
      throw runtime_error("cannot create the folder {}: {}", target_.parent_path().string(),
                          ec.message());
    }
  }
  // The temp name is unique per process, so parallel jobs writing beside each other never clash.
  temp_ = target_;
  temp_ += fmt::format(".tmp.{}", ::getpid());
  auto mode = std::ios::out | std::ios::trunc;
  if (binary) mode |= std::ios::binary;
  out_.open(temp_, mode);
  if (!out_) throw runtime_error("cannot write {}: cannot create {}", target_.string(), temp_.string());
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  out_.close();
  std::error_code ignored;
  fs::remove(temp_, ignored);
}

void AtomicFile::commit() {
  out_.flush();
  bool failed = !out_;
  out_.close();
  if (failed || out_.fail()) {
    throw runtime_error("cannot write {}: write error (disk full?)", target_.string());
  }
  std::error_code ec;
  fs::rename(temp_, target_, ec);
  if (ec) throw runtime_error("cannot write {}: rename failed: {}", target_.string(), ec.message());
  committed_ = true;
}

void write_file_atomically(const fs::path& path, std::string_view content) {
  AtomicFile file(path, true);
  file.stream().write(content.data(), static_cast<std::streamsize>(content.size()));
  file.commit();
}

}  // namespace hc
