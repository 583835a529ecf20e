#pragma once
// Where each parameter and buffer of a model comes from in a checkpoint, and the strict,
// per-tensor loading both naming schemes (weights_hf.cpp, weights_openclip.cpp) share.
#include <cstdint>
#include <functional>
#include <string>

#include <torch/nn/module.h>

namespace hc {

class SafetensorsCheckpoint;

struct WeightSource {
  enum class Transform {
    Copy,       // same shape
    Transpose,  // a 2-D tensor stored as [in, out] (OpenCLIP's projections)
    Rows,       // rows part*n..(part+1)*n of a tensor stored with parts*n rows (fused q/k/v)
  };
  std::string key;  // the tensor's name in the checkpoint
  Transform transform = Transform::Copy;
  int64_t part = 0;
  int64_t parts = 1;
};

using WeightSourceFor = std::function<WeightSource(const std::string& parameter_name)>;

// Copies every parameter and buffer of model (BatchNorm running statistics and
// num_batches_tracked included; buffers named "*position_ids" excepted) from its source in
// checkpoint, each converted straight to the tensor's device and dtype. First checks everything:
// each source present, of the shape the tensor needs and of a floating dtype for a floating
// tensor (an integer or bool one for the others), and each checkpoint tensor used by some
// parameter or buffer (tensors named "*position_ids" excepted). Any failure is one hc::Error
// naming the checkpoint and `scheme`, listing the first few missing, unexpected and mismatched
// tensors with counts; nothing is copied then.
void load_weight_plan(torch::nn::Module& model, const SafetensorsCheckpoint& checkpoint,
                      const WeightSourceFor& source_for, const std::string& scheme);

// The source of a parameter named as in Hugging Face checkpoints, for OpenAI/OpenCLIP names.
WeightSource openclip_source(const std::string& hf_name);

}  // namespace hc
