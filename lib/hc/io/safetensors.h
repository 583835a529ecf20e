#pragma once
// safetensors files: a memory-mapped reader (no copy of the tensor data), a writer, and
// checkpoints sharded through model.safetensors.index.json. Torch-free on purpose: the torch
// conversion lives in hc/tensor/safetensors_tensor.h.
#include <cstddef>
#include <cstdint>
#include <filesystem>
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
  const std::vector<std::shared_ptr<SafetensorsFile>>& files() const { return files_; }
  std::string description() const;  // for error messages: the file or the index

 private:
  // Takes in one more file; a tensor already held by an earlier one is an error.
  void add_file(std::shared_ptr<SafetensorsFile> file);

  std::filesystem::path origin_;
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, std::size_t> owner_;  // tensor name -> index in files_
};

// Collects tensors (copied in) and writes them as one safetensors file, atomically (temp + rename).
class SafetensorsWriter {
 public:
  void add(const std::string& name, DType dtype, std::vector<int64_t> shape, const void* data,
           std::size_t nbytes);
  void set_metadata(const std::string& key, const std::string& value);
  void write(const std::filesystem::path& path) const;

 private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<std::byte> bytes;
  };
  std::vector<Entry> entries_;  // insertion order is file order
  std::set<std::string> names_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace hc
