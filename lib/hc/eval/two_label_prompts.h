#pragma once
// The single-prompt baseline of the paper's Table 7 (supp. 0.C.7): instead of scoring label
// pairs with the geometry, both labels go into one prompt with two fields ("a picture of a {1},
// a type of {0}") and the pair whose prompt is most similar to the image is the prediction.
//
// Field {0} (or the first "{}") takes the general label x, field {1} (the second "{}") the
// specific label y: "a {} of type {}" reads "a dog of type poodle" for (dog, poodle). Every
// ordered pair of distinct labels is a candidate (L (L - 1) prompts), as in the paper: the
// prompt, not a distance to the root, carries the order.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace hc {

// A usage hc::Error unless tmpl fills exactly two fields; where names it in errors.
void check_two_label_template(const std::string& tmpl, const std::string& where);

// The prompts of every ordered pair (x, y), x != y, in pair_position order.
std::vector<std::string> two_label_prompts(const std::string& tmpl,
                                           const std::vector<std::string>& labels);

// Position of the pair (x, y), x != y, among the L (L - 1) ordered pairs (row-major, the
// diagonal left out).
int64_t ordered_pair_position(int64_t x, int64_t y, int64_t labels);

// For each image, how many prompts are strictly more similar to it than its ground-truth
// prompt: images [N, D], prompts [P, D] (unit rows, any device), truth [N] positions. Batched
// over images; [N] int64 on the CPU.
at::Tensor prompts_above_truth(const at::Tensor& images, const at::Tensor& prompts,
                               const at::Tensor& truth, int64_t batch_elements = int64_t{1} << 22);

}  // namespace hc
