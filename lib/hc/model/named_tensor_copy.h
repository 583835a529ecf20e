#pragma once
// Copying a saved set of named tensors onto a model's learnable tensors, all or nothing: the
// small prompt checkpoints of hgclip-train hold exactly the tensors a method trains, so a missing
// name, an unknown one or a shape that differs means the file belongs to another method or
// design, and nothing is copied.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace torch::nn {
class Module;
}

namespace hc {

// Copies values[name] into each target (in place, without recording gradients). Any mismatch is
// one usage hc::Error: "<source>: <what> do not match (N problems): missing x; y is [..], expected
// [..]; unknown z" (the first 8 problems).
void copy_named_tensors(const std::vector<std::pair<std::string, at::Tensor>>& targets,
                        const std::map<std::string, at::Tensor>& values, const std::string& what,
                        const std::string& source);

// A method's learnable tensors: every parameter of `module` outside its frozen submodule named
// `frozen` (e.g. "clip"), under their module names, in registration order.
std::vector<std::pair<std::string, at::Tensor>> parameters_outside(const torch::nn::Module& module,
                                                                   const std::string& frozen);

}  // namespace hc
