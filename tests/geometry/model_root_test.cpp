// The default root straight from a model: the text tower's embedding of "" ([BOS, EOS]) equals
// the reference model's, and carries the gradient into the text encoder for fine-tuning.
#include "catch_torch.h"

#include "hc/geometry/exterior_angle.h"
#include "hc/geometry/model_root.h"
#include "hc/geometry/precision.h"
#include "hc/geometry/root.h"
#include "hc/io/safetensors.h"
#include "hc/model/clip_bundle.h"
#include "hc/tensor/safetensors_tensor.h"
#include "test_support.h"

TEST_CASE("model root: the empty string through the text tower, differentiable") {
  const auto folder = hc::test::shared_path("fixtures/model/tiny-quickgelu");
  hc::ClipBundle bundle = hc::open_clip_bundle(folder.string(), at::kCPU, at::kFloat);
  // texts.json row 0 is "": the reference's text_embeds[0] is its embedding.
  auto expected_file = hc::SafetensorsFile::open(folder / "expected.safetensors");
  const at::Tensor expected = hc::to_tensor(expected_file->get("text_embeds"), at::kCPU)[0];

  {
    torch::NoGradGuard no_grad;
    const at::Tensor embedding = hc::empty_text_embedding(*bundle.model, bundle.tokenizer);
    CHECK(embedding.sizes() == expected.sizes());
    CHECK(torch::allclose(embedding, expected, 1e-5, 1e-5));
    CHECK_FALSE(embedding.requires_grad());
  }

  const at::Tensor root = hc::empty_text_root(hc::empty_text_embedding(*bundle.model, bundle.tokenizer));
  REQUIRE(root.requires_grad());
  const at::Tensor x = torch::randn({3, root.size(0)});
  const at::Tensor y = torch::randn({3, root.size(0)});
  hc::exterior_angle(hc::normalize_embeddings(x), hc::normalize_embeddings(y), root).sum().backward();
  const at::Tensor grad = bundle.model->text_projection.grad();
  REQUIRE(grad.defined());
  CHECK(grad.abs().sum().item<double>() > 0.0);
  CHECK(torch::isfinite(grad).all().item<bool>());
}
