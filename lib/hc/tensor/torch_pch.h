// Precompiled header for the torch-dependent sources (see lib/CMakeLists.txt).
#pragma once
#include <torch/torch.h>
