#include "hc/vision/resample_filter.h"

#include "hc/core/error.h"

namespace hc {
namespace {

double bilinear(double x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

// Keys' cubic convolution with a = -0.5, written exactly as libImaging/Resample.c evaluates it.
double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

}  // namespace

double filter_support(ResampleFilter filter) {
  return filter == ResampleFilter::Bicubic ? 2.0 : 1.0;
}

double filter_weight(ResampleFilter filter, double x) {
  return filter == ResampleFilter::Bicubic ? bicubic(x) : bilinear(x);
}

const char* filter_name(ResampleFilter filter) {
  return filter == ResampleFilter::Bicubic ? "bicubic" : "bilinear";
}

ResampleFilter filter_from_pil_code(int code, const std::string& where) {
  if (code == static_cast<int>(ResampleFilter::Bilinear)) return ResampleFilter::Bilinear;
  if (code == static_cast<int>(ResampleFilter::Bicubic)) return ResampleFilter::Bicubic;
  throw usage_error("{}: unsupported resample {}: expected 2 (PIL BILINEAR) or 3 (PIL BICUBIC)",
                    where, code);
}

}  // namespace hc
