#pragma once
// The two parameterised layers the CLIP towers are built from. Parameters are registered under
// Hugging Face's names ("weight", "bias"), so a model's named_parameters() are the tensor names
// of an HF checkpoint.
#include <cstdint>
#include <string>

#include <torch/nn/module.h>

namespace hc {

// y = x W^T + b with W [out, in] (bias optional), as torch.nn.Linear.
class DenseImpl : public torch::nn::Module {
 public:
  DenseImpl(int64_t in_features, int64_t out_features, bool with_bias,
            const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x) const;

  at::Tensor weight;
  at::Tensor bias;  // undefined without bias
};

// LayerNorm over the last dimension, computed in float32 whatever the input dtype and cast
// back (OpenAI's CLIP LayerNorm does the same for fp16): with fp16/bf16 activations the mean
// and variance of small-variance inputs would otherwise lose the digits eps acts on.
class FloatLayerNormImpl : public torch::nn::Module {
 public:
  FloatLayerNormImpl(int64_t width, double eps, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x) const;

  at::Tensor weight;
  at::Tensor bias;

 private:
  int64_t width_;
  double eps_;
};

// Registers a child module `name` of `parent` holding one parameter "weight" of `shape`
// (Hugging Face's embeddings and bias-free projections: "token_embedding.weight", ...) and
// returns that parameter.
at::Tensor register_weight_module(torch::nn::Module& parent, const std::string& name,
                                  at::IntArrayRef shape, const at::TensorOptions& options);

}  // namespace hc
