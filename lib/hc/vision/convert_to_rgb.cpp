#include "hc/vision/convert_to_rgb.h"

#include "hc/core/error.h"

namespace hc {
namespace {

template <typename Sample, typename ToByte>
void convert_rows(const DecodedPixels& pixels, RgbImage& out, ToByte to_byte) {
  const int channels = pixels.channels;
  const bool grey = channels == 1;
  for (int y = 0; y < pixels.height; ++y) {
    const auto* in = reinterpret_cast<const Sample*>(static_cast<const uint8_t*>(pixels.data) +
                                                     y * pixels.row_bytes);
    uint8_t* rgb = out.row(y);
    for (int x = 0; x < pixels.width; ++x, in += channels, rgb += 3) {
      if (grey) {
        rgb[0] = rgb[1] = rgb[2] = to_byte(in[0]);
      } else {
        rgb[0] = to_byte(in[2]);
        rgb[1] = to_byte(in[1]);
        rgb[2] = to_byte(in[0]);
      }
    }
  }
}

}  // namespace

RgbImage convert_to_rgb(const DecodedPixels& pixels, const std::string& source) {
  const int c = pixels.channels;
  if ((c != 1 && c != 3 && c != 4) || (pixels.bits != 8 && pixels.bits != 16)) {
    throw runtime_error(
        "image {}: unsupported pixel layout ({} channels of {} bits): expected grey, RGB or RGBA "
        "with 8 or 16 bits per sample",
        source, c, pixels.bits);
  }
  RgbImage out(pixels.width, pixels.height);
  if (pixels.bits == 8) {
    convert_rows<uint8_t>(pixels, out, [](uint8_t v) { return v; });
  } else if (c == 1) {
    convert_rows<uint16_t>(pixels, out,
                           [](uint16_t v) { return static_cast<uint8_t>(v > 255 ? 255 : v); });
  } else {
    convert_rows<uint16_t>(pixels, out, [](uint16_t v) { return static_cast<uint8_t>(v >> 8); });
  }
  return out;
}

}  // namespace hc
