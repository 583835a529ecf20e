#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/io/safetensors_header.h"

namespace hc {
namespace fs = std::filesystem;
using safetensors_detail::kMaxHeaderBytes;

namespace {

constexpr std::size_t kLengthPrefixBytes = 8;

// Closes the descriptor on every path out; the mapping outlives it.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

std::uint64_t read_little_endian_u64(const std::byte* bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<std::uint8_t>(bytes[i]);
  return value;
}

}  // namespace

int64_t TensorView::numel() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const fs::path& path) {
  // The constructor is private, so make_shared cannot reach it.
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  const std::string name = path.string();

  FileDescriptor descriptor{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (descriptor.fd < 0) throw runtime_error("cannot open {}: {}", name, std::strerror(errno));
  struct stat info {};
  if (::fstat(descriptor.fd, &info) != 0) {
    throw runtime_error("cannot read {}: {}", name, std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) throw runtime_error("{}: not a regular file", name);
  auto size = static_cast<std::size_t>(info.st_size);
  if (size < kLengthPrefixBytes) {
    throw runtime_error("{}: not a safetensors file: {} bytes is shorter than the 8-byte header "
                        "length", name, size);
  }

  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, descriptor.fd, 0);
  if (mapping == MAP_FAILED) throw runtime_error("cannot map {}: {}", name, std::strerror(errno));
  // From here on the destructor unmaps, whatever the header turns out to hold.
  file->mapping_ = mapping;
  file->mapped_size_ = size;
  const auto* bytes = static_cast<const std::byte*>(mapping);

  std::uint64_t header_length = read_little_endian_u64(bytes);
  if (header_length > kMaxHeaderBytes) {
    throw runtime_error("{}: header length {} is over the {} byte limit: not a safetensors file or "
                        "corrupt", name, header_length, kMaxHeaderBytes);
  }
  if (header_length > size - kLengthPrefixBytes) {
    throw runtime_error("{}: truncated: header length {} runs past the end of the file ({} bytes)",
                        name, header_length, size);
  }
  std::string_view header_text(reinterpret_cast<const char*>(bytes + kLengthPrefixBytes),
                               static_cast<std::size_t>(header_length));
  const std::byte* data = bytes + kLengthPrefixBytes + header_length;
  std::size_t data_size = size - kLengthPrefixBytes - static_cast<std::size_t>(header_length);

  auto header = safetensors_detail::parse_header(header_text, data_size, name);
  file->metadata_ = std::move(header.metadata);
  file->tensors_.reserve(header.tensors.size());
  for (auto& entry : header.tensors) {
    file->index_[entry.name] = file->tensors_.size();
    TensorView view;
    view.name = std::move(entry.name);
    view.dtype = entry.dtype;
    view.shape = std::move(entry.shape);
    view.data = data + entry.begin;
    view.nbytes = entry.end - entry.begin;
    file->tensors_.push_back(std::move(view));
  }
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapped_size_);
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> names;
  names.reserve(tensors_.size());
  for (const auto& tensor : tensors_) names.push_back(tensor.name);
  return names;
}

void SafetensorsFile::release(const std::string& name) const {
  const TensorView& view = get(name);
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(view.data);
  // Whole pages only: a page shared with a neighbouring tensor stays.
  const std::uintptr_t first = (begin + page - 1) / page * page;
  const std::uintptr_t last = (begin + view.nbytes) / page * page;
  if (last > first) {
    ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
  }
}

bool SafetensorsFile::contains(const std::string& name) const { return index_.count(name) != 0; }

const TensorView& SafetensorsFile::get(const std::string& name) const {
  auto found = index_.find(name);
  if (found == index_.end()) {
    throw runtime_error("{}: no tensor named \"{}\" ({} tensors in the file)", path_.string(), name,
                        tensors_.size());
  }
  return tensors_[found->second];
}

}  // namespace hc
