#pragma once
#include <filesystem>

namespace hc::hub {

// An exclusive advisory lock on a file (flock), held for the object's lifetime. It is the lock
// Python's filelock takes, so hc and huggingface_hub never download the same blob at once.
// Waits while another process holds it, logging now and then which lock it waits for.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace hc::hub
