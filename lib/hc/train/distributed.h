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
  // torchrun's elastic agent already serves the rendezvous store at MASTER_ADDR:MASTER_PORT
  // (TORCHELASTIC_USE_AGENT_STORE=True, recent torchrun): every rank then joins it as a client,
  // under the prefix of this restart attempt (TORCHELASTIC_RESTART_COUNT), as torch.distributed
  // does. Otherwise rank 0 serves it.
  bool agent_store = false;
  int restart_count = 0;

  static DistributedEnv from_environment();
  bool enabled() const { return world_size > 1; }
};

// The first host of a SLURM host list ("gpu[03-05,09],cpu1" -> "gpu03"), zero padding kept.
// Malformed (empty, unbalanced brackets) -> usage error naming SLURM_JOB_NODELIST.
std::string first_slurm_host(const std::string& nodelist);

// The process group of one data-parallel run. Gloo on CPU tensors; NCCL for CUDA tensors where
// the libtorch build has it (Gloo otherwise). Rank 0 (or torchrun's agent: agent_store) serves
// the rendezvous, a c10d TCPStore on MASTER_ADDR:MASTER_PORT; every rank binds its Gloo
// transport to the local address it uses to reach MASTER_ADDR, or to the interface named by
// GLOO_SOCKET_IFNAME when that is set.
class DataParallel {
 public:
  // bucket_mb: gradients are flattened into buckets of at most this many MiB (a larger tensor
  // gets a bucket of its own), one all-reduce each. timeout_s bounds the rendezvous (all ranks
  // must start within it) and every collective: a rank that died ends the others with a
  // runtime error instead of a hang. world_size 1 returns the no-op group without any network.
  static std::unique_ptr<DataParallel> create(const DistributedEnv& env, c10::Device device,
                                              double bucket_mb = 25.0,
                                              double timeout_s = 1800.0);
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
  // True on every rank when it is true on any (a stop request seen by one rank: all must stop
  // at the same step, or the others wait in the next collective until the timeout).
  bool any_rank(bool value) { return all_reduce_mean(value ? 1.0 : 0.0) > 0.0; }
};

// The entries of an epoch order (or of one global batch) this rank takes: rank r of W takes
// entries r, r+W, r+2W, ... With a global batch of B*W consecutive entries, rank r's batch k is
// entries [k*B, (k+1)*B) of its share, and the union over ranks of one step is exactly the
// one-process batch. Every rank gets the same count: the last order.size() % W entries are
// left out (at most W-1 rows an epoch; a shuffled next epoch covers them), so all ranks run
// the same number of steps with batches of the same size, and the mean of the ranks' mean
// losses is the mean over the global batch, the last partial batch included.
// rank outside [0, W) or W < 1 -> usage error.
std::vector<std::size_t> rank_share(const std::vector<std::size_t>& order, int rank,
                                    int world_size);

}  // namespace hc
