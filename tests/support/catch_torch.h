#pragma once
// Include this first in every test that uses torch. libtorch's headers pull in glog, whose CHECK macro
// silently replaces Catch's when it comes later: failed CHECKs would then abort the binary
// instead of being reported (and passing ones are not counted). So: torch first, drop glog's
// CHECK, then Catch.
#include <torch/torch.h>
#undef CHECK
#include <catch2/catch.hpp>
