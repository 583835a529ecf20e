#include "hc/train/distributed.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "hc/core/error.h"
#include "hc/train/process_group_parallel.h"

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

std::unique_ptr<DataParallel> DataParallel::create(const DistributedEnv& env, c10::Device device,
                                                   double bucket_mb, double timeout_s) {
  if (!(bucket_mb > 0.0) || !std::isfinite(bucket_mb)) {
    throw usage_error("data-parallel bucket size {} MiB: expected a positive size", bucket_mb);
  }
  if (!(timeout_s > 0.0) || !std::isfinite(timeout_s)) {
    throw usage_error("data-parallel timeout {} s: expected a positive number of seconds",
                      timeout_s);
  }
  if (env.world_size < 1 || env.rank < 0 || env.rank >= env.world_size) {
    throw usage_error("data-parallel rank {} of {}: expected a rank in [0, world size)", env.rank,
                      env.world_size);
  }
  if (!env.enabled()) return std::make_unique<SingleProcess>();
  auto bucket_bytes = static_cast<std::size_t>(bucket_mb * 1024.0 * 1024.0);
  auto timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000.0));
  return join_process_group(env, device, std::max<std::size_t>(bucket_bytes, 1), timeout);
}

std::vector<std::size_t> rank_share(const std::vector<std::size_t>& order, int rank,
                                    int world_size) {
  if (world_size < 1 || rank < 0 || rank >= world_size) {
    throw usage_error("rank_share: rank {} of {}: expected a rank in [0, world size)", rank,
                      world_size);
  }
  auto ranks = static_cast<std::size_t>(world_size);
  std::size_t usable = order.size() - order.size() % ranks;
  std::vector<std::size_t> share;
  share.reserve(usable / ranks);
  for (std::size_t i = static_cast<std::size_t>(rank); i < usable; i += ranks) {
    share.push_back(order[i]);
  }
  return share;
}

}  // namespace hc
