#include "hc/data/cifar_binary.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <random>

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/io/text_file.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kPixels = 32 * 32 * 3;

std::size_t label_bytes(CifarKind kind) { return kind == CifarKind::Cifar10 ? 1 : 2; }
std::size_t record_bytes(CifarKind kind) { return label_bytes(kind) + kPixels; }
int64_t fine_classes(CifarKind kind) { return kind == CifarKind::Cifar10 ? 10 : 100; }
const char* kind_name(CifarKind kind) { return kind == CifarKind::Cifar10 ? "CIFAR-10" : "CIFAR-100"; }

std::string read_bytes(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw runtime_error("{}: no such CIFAR file", file.string());
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw runtime_error("{}: cannot read the file", file.string());
  return bytes;
}

void check_label(int64_t label, int64_t classes, std::size_t record, const char* what,
                 const fs::path& file) {
  if (label >= classes) {
    throw runtime_error("{}: record {} has {} label {}, expected 0..{} (a corrupt file, or not "
                        "this CIFAR kind)",
                        file.string(), record, what, label, classes - 1);
  }
}

}  // namespace

CifarKind parse_cifar_kind(const std::string& name) {
  if (name == "cifar10") return CifarKind::Cifar10;
  if (name == "cifar100") return CifarKind::Cifar100;
  throw usage_error("unknown CIFAR kind '{}': expected cifar10 or cifar100", name);
}

CifarImages read_cifar_binary(const fs::path& file, CifarKind kind) {
  const std::string bytes = read_bytes(file);
  const std::size_t record = record_bytes(kind);
  if (bytes.empty()) throw runtime_error("{}: empty CIFAR file", file.string());
  if (bytes.size() % record != 0) {
    throw runtime_error(
        "{}: {} bytes is not a whole number of {} records ({} bytes each){}: truncated or not a "
        "{} binary file",
        file.string(), bytes.size(), kind_name(kind), record,
        bytes.size() % record_bytes(kind == CifarKind::Cifar10 ? CifarKind::Cifar100 : CifarKind::Cifar10) == 0
            ? fmt::format("; it would fit {} records", kind == CifarKind::Cifar10 ? "CIFAR-100" : "CIFAR-10")
            : std::string(),
        kind_name(kind));
  }
  CifarImages images;
  images.kind = kind;
  images.source = file;
  const std::size_t count = bytes.size() / record;
  images.pixels.resize(count * kPixels);
  for (std::size_t r = 0; r < count; ++r) {
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data() + r * record);
    if (kind == CifarKind::Cifar100) {
      check_label(data[0], 20, r, "coarse", file);
      images.coarse.push_back(data[0]);
    }
    const int64_t fine = data[label_bytes(kind) - 1];
    check_label(fine, fine_classes(kind), r, kind == CifarKind::Cifar100 ? "fine" : "class", file);
    images.fine.push_back(fine);
    const uint8_t* planes = data + label_bytes(kind);
    uint8_t* out = images.pixels.data() + r * kPixels;
    for (std::size_t p = 0; p < 1024; ++p) {
      for (std::size_t c = 0; c < 3; ++c) out[p * 3 + c] = planes[c * 1024 + p];
    }
  }
  return images;
}

std::vector<fs::path> write_cifar_pngs(const CifarImages& images, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw runtime_error("{}: cannot create the folder: {}", dir.string(), ec.message());
  std::vector<fs::path> files;
  files.reserve(images.size());
  for (std::size_t r = 0; r < images.size(); ++r) {
    cv::Mat rgb(32, 32, CV_8UC3, const_cast<uint8_t*>(images.pixels.data() + r * kPixels));
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    const fs::path file = dir / fmt::format("{:06d}.png", r);
    if (!cv::imwrite(file.string(), bgr)) throw runtime_error("{}: could not write the image", file.string());
    files.push_back(file);
  }
  return files;
}

fs::path write_synthetic_cifar(const fs::path& file, CifarKind kind, std::size_t count) {
  const int64_t classes = fine_classes(kind);
  std::string bytes;
  bytes.reserve(count * record_bytes(kind));
  for (std::size_t r = 0; r < count; ++r) {
    const int64_t fine = static_cast<int64_t>(r) % classes;
    if (kind == CifarKind::Cifar100) bytes.push_back(static_cast<char>(fine % 20));
    bytes.push_back(static_cast<char>(fine));
    // Colour by class, a bright stripe at a class-dependent row: visibly different classes.
    const uint8_t colour[3] = {static_cast<uint8_t>(37 * fine % 256), static_cast<uint8_t>(91 * fine % 256),
                               static_cast<uint8_t>(53 * fine % 256)};
    const int64_t stripe = fine % 28;
    std::mt19937 texture(static_cast<uint32_t>(r));
    for (int c = 0; c < 3; ++c) {
      for (int y = 0; y < 32; ++y) {
        for (int x = 0; x < 32; ++x) {
          const bool bright = y >= stripe && y < stripe + 4;
          // A little texture that differs between records, so no two images are the same.
          const int noise = static_cast<int>(texture() % 17);
          const int value = (bright ? 255 - colour[c] / 4 : colour[c]) + noise - 8;
          bytes.push_back(static_cast<char>(std::clamp(value, 0, 255)));
        }
      }
    }
  }
  write_file_atomically(file, bytes);
  return file;
}

std::vector<std::string> read_class_names(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw runtime_error("{}: no such class names file", file.string());
  std::vector<std::string> names;
  LineReader reader(file);
  std::string line;
  while (reader.next(line)) {
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    std::string name = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    for (char& c : name) {
      if (c == '_') c = ' ';
    }
    names.push_back(name);
  }
  if (names.empty()) throw runtime_error("{}: no class names", file.string());
  return names;
}

}  // namespace hc
