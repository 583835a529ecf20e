#pragma once
// Data-parallel training over processes (torchrun or SLURM): where this process sits in the job,
// and the few collective operations a training loop needs. With world_size 1 every call is a
// cheap no-op, so a loop is written once for one process and for many. It knows nothing of the
// model or the loss: it works on lists of tensors.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace hc {

// From the environment: torchrun's RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT, or
// SLURM's SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID (MASTER_ADDR then defaults to the first
// host of SLURM_JOB_NODELIST). Neither set: one process. A bad value is a usage error naming the
// variable.
struct DistributedEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;

  static DistributedEnv from_environment();
  bool enabled() const { return world_size > 1; }
};

// The process group of one data-parallel run. Gloo on CPU tensors; NCCL for CUDA tensors where
// the libtorch build has it.
class DataParallel {
 public:
  // bucket_mb: gradients are flattened into buckets of about this size, one all-reduce each.
  static std::unique_ptr<DataParallel> create(const DistributedEnv& env, c10::Device device,
                                              double bucket_mb = 25.0);
  virtual ~DataParallel();

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  bool is_main() const { return rank() == 0; }

  // Rank 0's values copied into every rank's tensors, in place (weights at the start of a run).
  virtual void broadcast(const std::vector<at::Tensor>& tensors) = 0;
  // Every parameter's .grad() replaced by its mean over ranks. A gradient undefined on this rank
  // counts as zeros (another rank may have one), so all ranks run the same collectives.
  virtual void average_gradients(const std::vector<at::Tensor>& parameters) = 0;
  // The mean of a scalar over ranks (losses for the log).
  virtual double all_reduce_mean(double value) = 0;
  virtual void barrier() = 0;
};

// The positions of a global batch this rank takes: with W ranks and a global batch of B*W
// consecutive entries of the epoch order, rank r takes entries r, r+W, r+2W, ... of each global
// batch, so the union over ranks of one step is exactly the one-process batch.
std::vector<std::size_t> rank_share(const std::vector<std::size_t>& order, int rank,
                                    int world_size);

}  // namespace hc
