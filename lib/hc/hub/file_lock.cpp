#include "hc/hub/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "hc/core/error.h"

namespace hc::hub {
namespace fs = std::filesystem;

FileLock::FileLock(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw runtime_error("cannot create the lock file {}: {}", path.string(), std::strerror(errno));
  }
  auto started = std::chrono::steady_clock::now();
  auto last_note = started;
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int error = errno;
      ::close(fd_);
      throw runtime_error("cannot lock {}: {}", path.string(), std::strerror(error));
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_note > std::chrono::seconds(10)) {
      spdlog::info("still waiting for {} (another process is downloading the same file)",
                   path.string());
      last_note = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace hc::hub
