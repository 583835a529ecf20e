#pragma once
// HGCLIP's class prototypes (generate_prototypes.py): the mean plain-CLIP image feature of each
// class of every level. Each training image counts for its class at every level; a class with
// no image is handled by EmptyClassRule. The image features are the unprompted tower's projected
// CLS features, not normalised (ClipModelImpl::encode_image(...).image_embeds), of the training
// images under the training transform.
#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

namespace hc {

enum class EmptyClassRule {
  CopyPrevious,  // the official rule: class i takes class i-1's mean (node order, levels
                 // concatenated); an error when class i-1 is empty too or i is 0 (the
                 // official code fails there as well)
  Error,         // any class without an image is an error
};
EmptyClassRule parse_empty_class_rule(const std::string& text);  // "copy_previous" or "error"

// features [M, D]; nodes [M, L] int64: for each image, its class at every level as a node index
// (ClassHierarchy::offset(level) + class index); num_nodes: all classes. Returns [N, D] in the
// features' dtype and device. Errors (usage hc::Error) name the empty class's node index.
at::Tensor class_prototypes(const at::Tensor& features, const at::Tensor& nodes,
                            int64_t num_nodes, EmptyClassRule rule);

}  // namespace hc
