#include "catch_torch.h"

#include <algorithm>
#include <numeric>

#include "hc/core/error.h"
#include "hc/train/data_order.h"
#include "hc/train/optimizer_options.h"

TEST_CASE("epoch_order: a seeded permutation per epoch", "[train][order]") {
  const auto a = hc::epoch_order(100, 5, 0);
  std::vector<std::size_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::size_t> identity(100);
  std::iota(identity.begin(), identity.end(), std::size_t{0});
  CHECK(sorted == identity);
  CHECK(a != identity);
  CHECK(hc::epoch_order(100, 5, 0) == a);
  CHECK(hc::epoch_order(100, 5, 1) != a);
  CHECK(hc::epoch_order(100, 6, 0) != a);
  CHECK(hc::epoch_order(100, 5, 0, false) == identity);
  CHECK(hc::epoch_order(0, 5, 0).empty());
}

TEST_CASE("seeded_split: disjoint, complete, seeded", "[train][order]") {
  const auto split = hc::seeded_split(50, 7, 1);
  CHECK(split.held_out.size() == 7);
  CHECK(split.rest.size() == 43);
  std::vector<std::size_t> all = split.held_out;
  all.insert(all.end(), split.rest.begin(), split.rest.end());
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  CHECK(all.back() == 49);
  CHECK(hc::seeded_split(50, 7, 1).held_out == split.held_out);
  CHECK(hc::seeded_split(50, 7, 2).held_out != split.held_out);
  CHECK_THROWS_AS(hc::seeded_split(5, 6, 1), hc::Error);
}

TEST_CASE("make_optimizer: parameter groups by name", "[train][optimizer]") {
  hc::NamedParameters parameters;
  parameters.insert("text_model.embeddings.weight", torch::zeros({3}).requires_grad_());
  parameters.insert("text_model.layer.weight", torch::zeros({3}).requires_grad_());
  parameters.insert("root", torch::zeros({3}).requires_grad_());
  hc::OptimizerOptions options(1e-4);
  options.groups.push_back({"^root$", 1e-2, std::nullopt});
  options.groups.push_back({"embeddings", std::nullopt, 0.0});
  auto optimizer = hc::make_optimizer(options, parameters);
  const auto& groups = optimizer->param_groups();
  REQUIRE(groups.size() == 3);
  CHECK(groups[0].params().size() == 1);  // the default group: text_model.layer.weight
  CHECK(groups[0].options().get_lr() == 1e-4);
  CHECK(groups[1].options().get_lr() == 1e-2);
  CHECK(groups[2].options().get_lr() == 1e-4);
  CHECK(static_cast<const torch::optim::AdamWOptions&>(groups[2].options()).weight_decay() == 0);
  CHECK(static_cast<const torch::optim::AdamWOptions&>(groups[0].options()).weight_decay() == 0.01);

  hc::OptimizerOptions unmatched;
  unmatched.groups.push_back({"vision", std::nullopt, std::nullopt});
  CHECK_THROWS_WITH(hc::make_optimizer(unmatched, parameters), Catch::Contains("matches none"));
  hc::OptimizerOptions bad;
  bad.groups.push_back({"(", std::nullopt, std::nullopt});
  CHECK_THROWS_AS(hc::make_optimizer(bad, parameters), hc::Error);
  hc::OptimizerOptions sgd(0.1);
  sgd.type = "sgd";
  CHECK(dynamic_cast<torch::optim::SGD*>(hc::make_optimizer(sgd, parameters).get()) != nullptr);
}
