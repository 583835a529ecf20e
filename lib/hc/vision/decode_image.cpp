#include "hc/vision/decode_image.h"

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "hc/core/error.h"
#include "hc/vision/convert_to_rgb.h"
#include "hc/vision/jpeg_completeness.h"

namespace hc {
namespace {
namespace fs = std::filesystem;

std::vector<uint8_t> read_image_bytes(const fs::path& path) {
  std::error_code error;
  fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) throw runtime_error("image {}: no such file", path.string());
  if (fs::is_directory(status)) {
    throw runtime_error("image {}: is a folder, expected an image file", path.string());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw runtime_error("image {}: cannot open it: {}", path.string(), std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size <= 0) throw runtime_error("image {}: the file is empty (0 bytes)", path.string());
  std::vector<uint8_t> bytes(static_cast<std::size_t>(size));
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw runtime_error("image {}: cannot read it: {}", path.string(), std::strerror(errno));
  }
  return bytes;
}

bool looks_like_jpeg(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}

cv::Mat decode_with_opencv(const std::vector<uint8_t>& bytes, const fs::path& path) {
  // UNCHANGED keeps alpha, 16-bit samples and grey as they are, for convert_to_rgb to treat
  // as Pillow does; it also never applies EXIF orientation (Pillow's open() does not either).
  const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8U,
                        const_cast<uint8_t*>(bytes.data()));
  try {
    return cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw runtime_error("image {}: cannot decode it: {}", path.string(), e.err);
  }
}

}  // namespace

RgbImage decode_image(const fs::path& path) {
  const std::vector<uint8_t> bytes = read_image_bytes(path);
  if (looks_like_jpeg(bytes) && !jpeg_reaches_end_marker(bytes.data(), bytes.size())) {
    throw runtime_error("image {}: truncated JPEG: the data ends before its end-of-image marker",
                        path.string());
  }
  const cv::Mat decoded = decode_with_opencv(bytes, path);
  if (decoded.empty()) {
    throw runtime_error(
        "image {}: cannot decode it: expected a complete image file (JPEG, PNG, BMP, WebP, TIFF, "
        "...)",
        path.string());
  }
  if (decoded.depth() != CV_8U && decoded.depth() != CV_16U) {
    throw runtime_error("image {}: floating-point or signed samples: expected 8 or 16-bit images",
                        path.string());
  }
  DecodedPixels pixels;
  pixels.width = decoded.cols;
  pixels.height = decoded.rows;
  pixels.channels = decoded.channels();
  pixels.bits = decoded.depth() == CV_16U ? 16 : 8;
  pixels.data = decoded.data;
  pixels.row_bytes = decoded.step[0];
  return convert_to_rgb(pixels, path.string());
}

}  // namespace hc
