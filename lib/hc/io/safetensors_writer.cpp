#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/io/safetensors.h"

namespace hc {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kMetadataKey = "__metadata__";
// Padding the header to a multiple of 8 keeps the data section 8-byte aligned in the file, so a
// mapped reader can view any dtype in place.
constexpr std::size_t kHeaderAlignment = 8;

std::size_t byte_size_of(const std::string& name, DType dtype, const std::vector<int64_t>& shape) {
  std::size_t bytes = dtype_size(dtype);
  for (int64_t dim : shape) {
    if (dim < 0) throw runtime_error("safetensors tensor \"{}\": negative dim {}", name, dim);
    auto d = static_cast<std::size_t>(dim);
    if (d != 0 && bytes > std::numeric_limits<std::size_t>::max() / d) {
      throw runtime_error("safetensors tensor \"{}\": shape is too large", name);
    }
    bytes *= d;
  }
  return bytes;
}

std::string little_endian_u64(std::uint64_t value) {
  std::string bytes(8, '\0');
  for (auto& byte : bytes) {
    byte = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return bytes;
}

}  // namespace

void SafetensorsWriter::add(const std::string& name, DType dtype, std::vector<int64_t> shape,
                            const void* data, std::size_t nbytes) {
  if (name.empty() || name == kMetadataKey) {
    throw runtime_error("safetensors tensor name \"{}\" is reserved or empty", name);
  }
  if (names_.count(name) != 0) throw runtime_error("safetensors tensor \"{}\" added twice", name);
  std::size_t expected = byte_size_of(name, dtype, shape);
  if (nbytes != expected) {
    throw runtime_error("safetensors tensor \"{}\": {} bytes given but shape and dtype {} need {}",
                        name, nbytes, dtype_name(dtype), expected);
  }
  if (data == nullptr && nbytes != 0) {
    throw runtime_error("safetensors tensor \"{}\": no data for {} bytes", name, nbytes);
  }
  Entry entry{name, dtype, std::move(shape), std::vector<std::byte>(nbytes)};
  if (nbytes != 0) std::memcpy(entry.bytes.data(), data, nbytes);
  entries_.push_back(std::move(entry));
  names_.insert(name);
}

void SafetensorsWriter::set_metadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

void SafetensorsWriter::write(const std::filesystem::path& path) const {
  Json header = Json::object();
  if (!metadata_.empty()) header[kMetadataKey] = metadata_;
  std::size_t offset = 0;
  for (const auto& entry : entries_) {
    std::size_t end = offset + entry.bytes.size();
    header[entry.name] = {{"dtype", dtype_name(entry.dtype)},
                          {"shape", entry.shape},
                          {"data_offsets", {offset, end}}};
    offset = end;
  }

  std::string text;
  try {
    text = header.dump();
  } catch (const Json::exception& e) {
    // Names and metadata must be valid UTF-8 to be written as JSON.
    throw runtime_error("cannot write {}: {}", path.string(), e.what());
  }
  text.append((kHeaderAlignment - text.size() % kHeaderAlignment) % kHeaderAlignment, ' ');

  AtomicFile file(path, /*binary=*/true);
  std::ostream& out = file.stream();
  out << little_endian_u64(text.size()) << text;
  for (const auto& entry : entries_) {
    out.write(reinterpret_cast<const char*>(entry.bytes.data()),
              static_cast<std::streamsize>(entry.bytes.size()));
  }
  file.commit();
}

}  // namespace hc
