// copy_named_tensors: a saved set of prompt tensors goes onto a model whole or not at all.
#include "catch_torch.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "hc/core/error.h"
#include "hc/model/named_tensor_copy.h"

namespace {

using Catch::Matchers::Contains;
using Targets = std::vector<std::pair<std::string, at::Tensor>>;

std::string usage_error_of(const Targets& targets, const std::map<std::string, at::Tensor>& values) {
  try {
    hc::copy_named_tensors(targets, values, "prompt parameters", "run/prompts.safetensors");
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Usage);
    return e.what();
  }
  FAIL("no error");
  return "";
}

}  // namespace

TEST_CASE("copy_named_tensors copies every tensor in place, keeping autograd leaves", "[model]") {
  at::Tensor ctx = torch::zeros({2, 3}, torch::requires_grad());
  at::Tensor vpt = torch::zeros({4}, torch::requires_grad());
  const Targets targets{{"prompt_learner.ctx", ctx}, {"image_encoder.VPT", vpt}};
  const at::Tensor ctx_value = torch::arange(6, torch::kFloat64).view({2, 3});
  hc::copy_named_tensors(targets, {{"prompt_learner.ctx", ctx_value}, {"image_encoder.VPT", torch::ones({4})}},
                         "prompt parameters", "f");
  CHECK(torch::equal(ctx, ctx_value.to(torch::kFloat32)));  // converted to the target's dtype
  CHECK(torch::equal(vpt, torch::ones({4})));
  CHECK(ctx.requires_grad());
  CHECK(ctx.is_leaf());
}

TEST_CASE("copy_named_tensors: missing, unknown or misshapen tensors copy nothing", "[model]") {
  at::Tensor ctx = torch::zeros({2, 3});
  at::Tensor vpt = torch::zeros({4});
  const Targets targets{{"prompt_learner.ctx", ctx}, {"image_encoder.VPT", vpt}};
  const std::string message = usage_error_of(
      targets, {{"prompt_learner.ctx", torch::ones({3, 2})}, {"meta_net.linear1.weight", torch::ones({1})}});
  CHECK_THAT(message, Contains("run/prompts.safetensors: prompt parameters do not match (3 problems)"));
  CHECK_THAT(message, Contains("prompt_learner.ctx is [3, 2], expected [2, 3]"));
  CHECK_THAT(message, Contains("missing image_encoder.VPT"));
  CHECK_THAT(message, Contains("unknown meta_net.linear1.weight"));
  CHECK(torch::equal(ctx, torch::zeros({2, 3})));  // all or nothing
  CHECK(torch::equal(vpt, torch::zeros({4})));
}
