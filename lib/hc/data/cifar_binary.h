#pragma once
// CIFAR-10 and CIFAR-100 in their binary distribution format (cifar-10-batches-bin/*.bin,
// cifar-100-binary/{train,test}.bin): fixed-size records of label bytes followed by a 32x32
// RGB image stored as 1024 red, 1024 green, then 1024 blue bytes, rows top to bottom.
//   CIFAR-10:  <label 0..9> <3072 pixel bytes>                       (3073 bytes a record)
//   CIFAR-100: <coarse label 0..19> <fine label 0..99> <3072 bytes>  (3074 bytes a record)
// Class names come with the archives as text files beside the data (batches.meta.txt;
// coarse_label_names.txt, fine_label_names.txt), one name a line. Torch-free.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hc {

enum class CifarKind { Cifar10, Cifar100 };

// "cifar10" / "cifar100"; anything else is a usage hc::Error.
CifarKind parse_cifar_kind(const std::string& name);

struct CifarImages {
  CifarKind kind = CifarKind::Cifar10;
  std::filesystem::path source;
  std::vector<int64_t> fine;    // the label of each record (CIFAR-10's only label)
  std::vector<int64_t> coarse;  // CIFAR-100's coarse label; empty for CIFAR-10
  std::vector<uint8_t> pixels;  // records x 32 x 32 x 3, interleaved RGB (HWC)

  std::size_t size() const { return fine.size(); }
  static constexpr int kSide = 32;
};

// Reads one binary file. A missing or empty file, a size that is not a whole number of records
// (truncated or of the other kind: the message says which sizes fit), or a label out of range
// (record N) is an hc::Error naming the file.
CifarImages read_cifar_binary(const std::filesystem::path& file, CifarKind kind);

// Writes the records as PNG files dir/<index>.png (created; zero-padded names in record order)
// and returns their paths, so they go through the same preprocessing and embedding cache as
// any image file.
std::vector<std::filesystem::path> write_cifar_pngs(const CifarImages& images,
                                                    const std::filesystem::path& dir);

// Writes a CIFAR-format file of `count` synthetic records whose classes differ visibly (each
// class its own colour and a stripe at its own height), labels cycling over the classes; for
// tests and the offline demo. Returns the file.
std::filesystem::path write_synthetic_cifar(const std::filesystem::path& file, CifarKind kind,
                                            std::size_t count);

// A names file: one class name a line (blank lines skipped), '_' read as a space
// (coarse_label_names.txt writes "aquatic_mammals"). A missing file or one without names is an
// hc::Error.
std::vector<std::string> read_class_names(const std::filesystem::path& file);

}  // namespace hc
