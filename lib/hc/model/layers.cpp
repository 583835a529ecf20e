#include "hc/model/layers.h"

namespace hc {

DenseImpl::DenseImpl(int64_t in_features, int64_t out_features, bool with_bias,
                     const at::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({out_features, in_features}, options));
  if (with_bias) bias = register_parameter("bias", torch::empty({out_features}, options));
}

at::Tensor DenseImpl::forward(const at::Tensor& x) const {
  return torch::nn::functional::linear(x, weight, bias);
}

FloatLayerNormImpl::FloatLayerNormImpl(int64_t width, double eps,
                                       const at::TensorOptions& options)
    : width_(width), eps_(eps) {
  weight = register_parameter("weight", torch::empty({width}, options));
  bias = register_parameter("bias", torch::empty({width}, options));
}

at::Tensor FloatLayerNormImpl::forward(const at::Tensor& x) const {
  // .to() returns the tensor itself when it is float32 already: no copies in fp32.
  at::Tensor y = at::layer_norm(x.to(at::kFloat), {width_}, weight.to(at::kFloat),
                                bias.to(at::kFloat), eps_);
  return y.to(x.scalar_type());
}

at::Tensor register_weight_module(torch::nn::Module& parent, const std::string& name,
                                  at::IntArrayRef shape, const at::TensorOptions& options) {
  auto holder = parent.register_module(name, std::make_shared<torch::nn::Module>());
  return holder->register_parameter("weight", torch::empty(shape, options));
}

}  // namespace hc
