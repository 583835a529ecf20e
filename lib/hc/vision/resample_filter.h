#pragma once
#include <string>

namespace hc {

// The interpolation kernels of Pillow's antialiased resampling. The values are Pillow's own
// resample codes, which is what preprocessor_config.json stores under "resample".
enum class ResampleFilter { Bilinear = 2, Bicubic = 3 };

// Half-width of the kernel at scale 1; Pillow widens it by the downscaling factor.
double filter_support(ResampleFilter filter);

// The kernel at offset x, with Pillow's formulas and evaluation order (bicubic: a = -0.5), so
// that the weights and hence the fixed-point coefficients are bit-identical.
double filter_weight(ResampleFilter filter, double x);

const char* filter_name(ResampleFilter filter);  // "bicubic", "bilinear"

// A Pillow resample code (2 or 3); other codes are a usage error naming `where`.
ResampleFilter filter_from_pil_code(int code, const std::string& where);

}  // namespace hc
