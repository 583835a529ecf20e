#include "hc/embed/out_of_memory.h"

#include <new>

#include <c10/util/Exception.h>

#include "hc/core/error.h"

namespace hc {

bool is_out_of_memory_message(const std::string& message) {
  return message.find("out of memory") != std::string::npos ||
         message.find("not enough memory") != std::string::npos;
}

at::Tensor forward_or_explain_memory(const std::function<at::Tensor()>& forward,
                                     const std::string& batch, const std::string& details) {
  auto explain = [&] {
    return runtime_error("out of memory embedding batch of {} ({}): lower --batch-size", batch,
                         details);
  };
  try {
    return forward();
  } catch (const std::bad_alloc&) {
    throw explain();
  } catch (const c10::Error& e) {
    // c10::OutOfMemoryError (libtorch 2.x) and CUDAOutOfMemoryError (1.x) are c10::Errors too.
    if (is_out_of_memory_message(e.what())) throw explain();
    throw;
  }
}

}  // namespace hc
