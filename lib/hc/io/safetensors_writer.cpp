#include <cstring>
#include <limits>
#include <ostream>
#include <set>
#include <streambuf>

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

// Passes every write straight on to `target` (no buffer of its own), counting the bytes.
class CountingBuffer : public std::streambuf {
 public:
  explicit CountingBuffer(std::streambuf* target) : target_(target) {}
  std::size_t count() const { return count_; }

 protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    if (traits_type::eq_int_type(target_->sputc(traits_type::to_char_type(ch)),
                                 traits_type::eof())) {
      return traits_type::eof();
    }
    ++count_;
    return ch;
  }

  std::streamsize xsputn(const char* data, std::streamsize size) override {
    const std::streamsize written = target_->sputn(data, size);
    count_ += static_cast<std::size_t>(written);
    return written;
  }

 private:
  std::streambuf* target_;
  std::size_t count_ = 0;
};

std::vector<std::size_t> checked_sizes(const std::vector<TensorSpec>& specs,
                                       const std::string& what) {
  std::set<std::string> names;
  std::vector<std::size_t> sizes;
  for (const TensorSpec& spec : specs) {
    if (spec.name.empty() || spec.name == kMetadataKey) {
      throw runtime_error("{}: safetensors tensor name \"{}\" is reserved or empty", what,
                          spec.name);
    }
    if (!names.insert(spec.name).second) {
      throw runtime_error("{}: safetensors tensor \"{}\" given twice", what, spec.name);
    }
    sizes.push_back(byte_size_of(spec.name, spec.dtype, spec.shape));
  }
  return sizes;
}

std::string header_text(const std::vector<TensorSpec>& specs, const std::vector<std::size_t>& sizes,
                        const std::map<std::string, std::string>& metadata,
                        const std::string& what) {
  Json header = Json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    header[specs[i].name] = {{"dtype", dtype_name(specs[i].dtype)},
                             {"shape", specs[i].shape},
                             {"data_offsets", {offset, offset + sizes[i]}}};
    offset += sizes[i];
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const Json::exception& e) {
    // Names and metadata must be valid UTF-8 to be written as JSON.
    throw runtime_error("cannot write {}: {}", what, e.what());
  }
  text.append((kHeaderAlignment - text.size() % kHeaderAlignment) % kHeaderAlignment, ' ');
  return text;
}

}  // namespace

void write_safetensors(std::ostream& out, const std::vector<TensorSpec>& specs,
                       const std::map<std::string, std::string>& metadata,
                       const TensorBytesWriter& write_bytes, const std::string& what) {
  const std::vector<std::size_t> sizes = checked_sizes(specs, what);
  const std::string header = header_text(specs, sizes, metadata, what);
  out << little_endian_u64(header.size()) << header;
  if (!out) throw runtime_error("cannot write {}: write failed in the header", what);
  CountingBuffer counter(out.rdbuf());
  std::ostream counted(&counter);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const std::size_t before = counter.count();
    write_bytes(i, counted);
    if (!counted) {
      out.setstate(std::ios::badbit);
      throw runtime_error("cannot write {}: write failed in tensor \"{}\"", what, specs[i].name);
    }
    const std::size_t written = counter.count() - before;
    if (written != sizes[i]) {
      throw runtime_error("cannot write {}: tensor \"{}\" gave {} bytes, but shape {} and dtype "
                          "{} need {}",
                          what, specs[i].name, written, Json(specs[i].shape).dump(),
                          dtype_name(specs[i].dtype), sizes[i]);
    }
  }
  out.flush();
  if (!out) throw runtime_error("cannot write {}: write failed", what);
}

void write_safetensors_file(const std::filesystem::path& path, const std::vector<TensorSpec>& specs,
                            const std::map<std::string, std::string>& metadata,
                            const TensorBytesWriter& write_bytes) {
  AtomicFile file(path, /*binary=*/true);
  try {
    write_safetensors(file.stream(), specs, metadata, write_bytes, path.string());
  } catch (const Error&) {
    file.check_stream();  // a failed disk write: report its cause
    throw;
  }
  file.commit();
}

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
  std::vector<std::byte> bytes(nbytes);
  if (nbytes != 0) std::memcpy(bytes.data(), data, nbytes);
  specs_.push_back({name, dtype, std::move(shape)});
  bytes_.push_back(std::move(bytes));
  names_.insert(name);
}

void SafetensorsWriter::set_metadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

void SafetensorsWriter::write(const std::filesystem::path& path) const {
  write_safetensors_file(path, specs_, metadata_, [this](std::size_t index, std::ostream& out) {
    const auto& bytes = bytes_[index];
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  });
}

}  // namespace hc
