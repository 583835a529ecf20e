#pragma once
// safetensors files: a memory-mapped reader (no copy of the tensor data), a writer, and
// checkpoints sharded through model.safetensors.index.json. Torch-free on purpose: the torch
// conversion lives in hc/tensor/safetensors_tensor.h.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace hc {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

std::size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // "F32", ...
// Parses a safetensors dtype name; throws hc::Error naming `where` for unknown names.
DType parse_dtype(const std::string& name, const std::string& where);

// One tensor inside a mapped file: a view, valid while the file object lives. `data` need not be
// aligned for the dtype (other writers do not pad the header to 8 bytes): memcpy, don't cast.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // empty for a 0-dim tensor
  const std::byte* data = nullptr;
  std::size_t nbytes = 0;

  int64_t numel() const;
};

// A single .safetensors file, memory-mapped read-only. Opening validates the whole header
// (length, JSON, dtypes, shapes against byte sizes, offsets in range, the tensors covering the
// data section exactly: no hole, no overlap, no trailing byte) and throws
// hc::Error with the file name and the fault on any problem.
class SafetensorsFile {
 public:
  static std::shared_ptr<SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::vector<std::string> names() const;  // in header order
  bool contains(const std::string& name) const;
  // Throws hc::Error naming the file and the tensor when absent.
  const TensorView& get(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Drops the pages that hold only tensor `name` from this process's memory: a loader calls it
  // once the tensor is copied out, so loading a model does not keep the whole file resident
  // beside the model. Reading the tensor again stays valid (the pages are mapped back from the
  // file). Never fails: without kernel support the pages just stay.
  void release(const std::string& name) const;

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  void* mapping_ = nullptr;
  std::size_t mapped_size_ = 0;
  std::vector<TensorView> tensors_;                // header order
  std::map<std::string, std::size_t> index_;       // name -> position in tensors_
  std::map<std::string, std::string> metadata_;
};

// The tensors of a checkpoint: one file, or the shards listed in model.safetensors.index.json
// ({"weight_map": {name: shard file}}). Each shard is mapped once.
class SafetensorsCheckpoint {
 public:
  // path: a .safetensors file, an *.index.json file, or a folder holding model.safetensors or
  // model.safetensors.index.json.
  static SafetensorsCheckpoint open(const std::filesystem::path& path);

  std::vector<std::string> names() const;  // shard by shard, each in header order
  bool contains(const std::string& name) const;
  // Throws hc::Error naming the checkpoint and the tensor when absent.
  const TensorView& get(const std::string& name) const;
  // SafetensorsFile::release for the shard that holds `name`.
  void release(const std::string& name) const;
  const std::vector<std::shared_ptr<SafetensorsFile>>& files() const { return files_; }
  std::string description() const;  // for error messages: the file or the index

 private:
  // Takes in one more file; a tensor already held by an earlier one is an error.
  void add_file(std::shared_ptr<SafetensorsFile> file);

  std::filesystem::path origin_;
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, std::size_t> owner_;  // tensor name -> index in files_
};

// The name, dtype and shape of one tensor of a file to write.
struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // empty for a 0-dim tensor
};

// Writes the bytes of tensor `index` (of the specs given) to `out`, in as many pieces as it likes;
// exactly the tensor's byte size (numel x dtype size, little-endian, row-major) must arrive.
using TensorBytesWriter = std::function<void(std::size_t index, std::ostream& out)>;

// Streams a safetensors file to `out` without holding its tensors: the header (built from specs
// and metadata, padded to 8 bytes) first, then each tensor's bytes, asked of write_bytes one
// tensor at a time in spec order and passed on unbuffered as they come. A bad spec (empty,
// reserved or repeated name, negative dim), a tensor whose byte count differs from its spec, or
// a failed stream is an hc::Error naming `what` (the file) and the tensor.
void write_safetensors(std::ostream& out, const std::vector<TensorSpec>& specs,
                       const std::map<std::string, std::string>& metadata,
                       const TensorBytesWriter& write_bytes, const std::string& what);

// write_safetensors into path through an AtomicFile: the file appears whole or not at all; a
// failed write (disk full, ...) is reported with its cause.
void write_safetensors_file(const std::filesystem::path& path, const std::vector<TensorSpec>& specs,
                            const std::map<std::string, std::string>& metadata,
                            const TensorBytesWriter& write_bytes);

// Collects tensors (copied in) and writes them as one safetensors file, atomically (temp + rename).
// For small outputs; large ones (models) stream through write_safetensors_file instead.
class SafetensorsWriter {
 public:
  void add(const std::string& name, DType dtype, std::vector<int64_t> shape, const void* data,
           std::size_t nbytes);
  void set_metadata(const std::string& key, const std::string& value);
  void write(const std::filesystem::path& path) const;

 private:
  std::vector<TensorSpec> specs_;  // insertion order is file order
  std::vector<std::vector<std::byte>> bytes_;
  std::set<std::string> names_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace hc
