#pragma once
#include <cstddef>
#include <cstdint>

namespace hc {

// Whether a JPEG stream (starting with its SOI marker) reaches its EOI marker. libjpeg, and
// hence OpenCV, decodes a truncated JPEG with only a warning and grey fill where data is
// missing; Pillow refuses it ("image file is truncated"). Walking the marker segments (so an
// EXIF thumbnail's own end marker does not count) tells the two apart before decoding.
bool jpeg_reaches_end_marker(const uint8_t* data, std::size_t size);

}  // namespace hc
