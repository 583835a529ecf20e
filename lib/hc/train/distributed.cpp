#include "hc/train/distributed.h"

#include <ATen/ATen.h>

#include "hc/core/error.h"

namespace hc {
namespace {

// One process: nothing to exchange.
class SingleProcess final : public DataParallel {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  void broadcast(const std::vector<at::Tensor>&) override {}
  void average_gradients(const std::vector<at::Tensor>&) override {}
  double all_reduce_mean(double value) override { return value; }
  void barrier() override {}
};

}  // namespace

DataParallel::~DataParallel() = default;

DistributedEnv DistributedEnv::from_environment() { return DistributedEnv{}; }

std::unique_ptr<DataParallel> DataParallel::create(const DistributedEnv& env, c10::Device,
                                                   double) {
  if (env.enabled()) {
    throw usage_error("data-parallel training over {} processes is not built yet",
                      env.world_size);
  }
  return std::make_unique<SingleProcess>();
}

std::vector<std::size_t> rank_share(const std::vector<std::size_t>& order, int rank,
                                    int world_size) {
  std::vector<std::size_t> share;
  for (std::size_t i = static_cast<std::size_t>(rank); i < order.size();
       i += static_cast<std::size_t>(world_size)) {
    share.push_back(order[i]);
  }
  return share;
}

}  // namespace hc
