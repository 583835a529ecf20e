#pragma once
// Reading fixtures/hgclip (see its README): the JSON description, the reference tensors, and the
// hierarchy, options and model it describes, all from the fixture's own files.

#include "catch_torch.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/data/class_hierarchy.h"
#include "hc/hgclip/hgclip_model.h"
#include "hc/hgclip/hgclip_options.h"
#include "test_support.h"

namespace hc::test {

struct HgclipFixture {
  std::filesystem::path dir;
  nlohmann::ordered_json json;
  std::map<std::string, torch::Tensor> tensors;  // expected.safetensors, on the CPU

  const torch::Tensor& tensor(const std::string& name) const;
  std::filesystem::path model_dir() const { return dir / "model"; }
  // hierarchy.levels + ancestors_of_deepest_class (chains in finest-class order).
  ClassHierarchy hierarchy() const;
  // The official switches with the fixture's sizes (config.args, design_details, gnn).
  HgclipOptions options() const;
  // param.<name> for every name of learnable_parameters.
  std::map<std::string, torch::Tensor> parameters() const;
  // Per level (hierarchy order): labels.<level name>.
  std::vector<torch::Tensor> labels() const;
};

// Loads fixtures/<relative> (default the public hgclip set).
HgclipFixture load_hgclip_fixture(const std::string& relative = "fixtures/hgclip");

// A model built as the fixture's reference (official switches unless changed in options), on
// device in float32, with the fixture's learnable parameter values.
HgclipModel fixture_model(const HgclipFixture& fixture, const HgclipOptions& options,
                          const torch::Device& device);

// Elementwise |got - want| <= atol + rtol |want|, in float64.
struct Closeness {
  double max_abs_diff = 0.0;
  double share_outside = 0.0;  // share of elements outside atol + rtol |want|
  bool all_within = true;
};
Closeness closeness(const torch::Tensor& got, const torch::Tensor& want, double atol, double rtol);

}  // namespace hc::test
