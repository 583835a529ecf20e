#pragma once
// Torch's out-of-memory failures (CUDA's "CUDA out of memory", the CPU allocator's "not enough
// memory", std::bad_alloc) turned into one hc::Error that says what to change.
#include <functional>
#include <string>

#include <ATen/core/Tensor.h>

namespace hc {

// Whether a torch error message reports an allocation failure.
bool is_out_of_memory_message(const std::string& message);

// Runs forward(); an out-of-memory failure becomes the runtime hc::Error
// "out of memory embedding batch of <batch> (<details>): lower --batch-size". Other errors pass.
at::Tensor forward_or_explain_memory(const std::function<at::Tensor()>& forward,
                                     const std::string& batch, const std::string& details);

}  // namespace hc
