#include "hc/core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <streambuf>
#include <system_error>
#include <thread>
#include <vector>

#include "hc/core/error.h"

namespace hc {
namespace fs = std::filesystem;

// A write buffer over a file descriptor. The first failed write's errno is kept, and every later
// write fails too, so a stream that went bad stays bad until commit() reports why.
class AtomicFile::Buffer : public std::streambuf {
 public:
  explicit Buffer(int fd) : fd_(fd), buffer_(kSize) { reset(); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }

  std::streamsize xsputn(const char* data, std::streamsize count) override {
    if (count <= 0) return 0;  // an empty tensor's bytes: data may be null
    if (count <= epptr() - pptr()) {
      std::memcpy(pptr(), data, static_cast<std::size_t>(count));
      pbump(static_cast<int>(count));
      return count;
    }
    // A block larger than the room left goes straight to the file, without a copy.
    if (!drain() || !write_all(data, static_cast<std::size_t>(count))) return 0;
    return count;
  }

  int sync() override { return drain() ? 0 : -1; }

 private:
  static constexpr std::size_t kSize = 1 << 16;

  void reset() { setp(buffer_.data(), buffer_.data() + buffer_.size()); }

  bool drain() {
    const bool ok = write_all(pbase(), static_cast<std::size_t>(pptr() - pbase()));
    reset();
    return ok;
  }

  bool write_all(const char* data, std::size_t size) {
    while (error_ == 0 && size > 0) {
      const ssize_t written = ::write(fd_, data, size);
      if (written < 0) {
        if (errno != EINTR) error_ = errno;
        continue;
      }
      data += written;
      size -= static_cast<std::size_t>(written);
    }
    return error_ == 0;
  }

  int fd_;
  std::vector<char> buffer_;
  int error_ = 0;
};

namespace {

std::atomic<unsigned long long> g_temp_counter{0};

fs::path unique_temp_name(const fs::path& target) {
  fs::path temp = target;
  temp += fmt::format(".tmp.{}.{:x}.{}", ::getpid(),
                      std::hash<std::thread::id>{}(std::this_thread::get_id()),
                      g_temp_counter.fetch_add(1));
  return temp;
}

void close_quietly(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

AtomicFile::AtomicFile(fs::path target, bool /*binary*/) : target_(std::move(target)) {
  if (target_.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(target_.parent_path(), ec);
    if (ec) {
      throw runtime_error("cannot create the folder {}: {}", target_.parent_path().string(),
                          ec.message());
    }
  }
  temp_ = unique_temp_name(target_);
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    throw runtime_error("cannot write {}: cannot create {}: {}", target_.string(), temp_.string(),
                        std::generic_category().message(errno));
  }
  buffer_ = std::make_unique<Buffer>(fd_);
  out_ = std::make_unique<std::ostream>(buffer_.get());
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  close_quietly(fd_);
  std::error_code ignored;
  fs::remove(temp_, ignored);
}

void AtomicFile::check_stream() const {
  if (buffer_->error() == 0 && *out_) return;
  const int error = buffer_->error();
  throw runtime_error(
      "cannot write {}: {}", target_.string(),
      error != 0 ? std::generic_category().message(error) : std::string("write error"));
}

void AtomicFile::commit() {
  if (committed_) throw runtime_error("{}: committed twice", target_.string());
  out_->flush();
  check_stream();
  if (::fsync(fd_) != 0) {
    throw runtime_error("cannot write {}: fsync failed: {}", target_.string(),
                        std::generic_category().message(errno));
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    throw runtime_error("cannot write {}: close failed: {}", target_.string(),
                        std::generic_category().message(errno));
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    throw runtime_error("cannot write {}: rename failed: {}", target_.string(),
                        std::generic_category().message(errno));
  }
  committed_ = true;
  sync_path(target_.has_parent_path() ? target_.parent_path() : fs::path("."));
}

void write_file_atomically(const fs::path& path, std::string_view content) {
  AtomicFile file(path, true);
  file.stream().write(content.data(), static_cast<std::streamsize>(content.size()));
  file.commit();
}

void sync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw runtime_error("cannot sync {}: {}", path.string(),
                        std::generic_category().message(errno));
  }
  const bool failed = ::fsync(fd) != 0 && errno != EINVAL;
  const int error = errno;
  ::close(fd);
  if (failed) {
    throw runtime_error("cannot sync {}: {}", path.string(),
                        std::generic_category().message(error));
  }
}

}  // namespace hc
