#include "hc/train/process_group_parallel.h"

// libtorch's CMake package defines USE_C10D_GLOO (and USE_C10D_NCCL on CUDA builds) for every
// consumer; the headers of Gloo and NCCL themselves may still be missing (Debian: libgloo-dev).
#if defined(USE_C10D_GLOO) && __has_include(<gloo/transport/device.h>)
#define HC_GLOO 1
#endif
#if defined(HC_GLOO) && defined(USE_C10D_NCCL) && __has_include(<nccl.h>)
#define HC_NCCL 1
#endif

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <torch/version.h>

#include "hc/core/error.h"
#include "hc/train/gradient_buckets.h"

#ifdef HC_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef HC_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace hc {

std::string local_address_towards(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  int status = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (status != 0 || found == nullptr) {
    throw usage_error("MASTER_ADDR='{}' does not resolve to an address: {}", host,
                      ::gai_strerror(status));
  }
  std::string address;
  for (addrinfo* entry = found; entry != nullptr && address.empty(); entry = entry->ai_next) {
    int fd = ::socket(entry->ai_family, entry->ai_socktype, entry->ai_protocol);
    if (fd < 0) continue;
    sockaddr_storage local{};
    socklen_t length = sizeof(local);
    if (::connect(fd, entry->ai_addr, entry->ai_addrlen) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
      char text[INET6_ADDRSTRLEN] = {};
      const void* raw = local.ss_family == AF_INET6
                            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr)
                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr);
      if (::inet_ntop(local.ss_family, raw, text, sizeof(text)) != nullptr) address = text;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (address.empty()) {
    throw runtime_error("no local network interface routes to MASTER_ADDR='{}'", host);
  }
  return address;
}

#ifndef HC_GLOO

bool process_groups_available() { return false; }

std::unique_ptr<DataParallel> join_process_group(const DistributedEnv& env, c10::Device,
                                                 std::size_t, std::chrono::milliseconds) {
  throw usage_error(
      "WORLD_SIZE={}: this build of hc has no process groups (libtorch's c10d Gloo headers were "
      "not found at configure time; on Debian install libgloo-dev and re-run cmake)",
      env.world_size);
}

#else

namespace {

// libtorch 2 split the backends (Gloo, NCCL) out of ProcessGroup into Backend.
#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

// Runs one c10d call, turning its failures (a dead peer, a timeout) into one line for the user.
template <typename Call>
auto collective(const DistributedEnv& env, const char* what, Call&& call) {
  try {
    return call();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    std::string message = error.what();
    message = message.substr(0, message.find('\n'));
    throw runtime_error("data-parallel {} failed on rank {} of {} ({}:{}): {}", what, env.rank,
                        env.world_size, env.master_addr, env.master_port, message);
  }
}

c10::intrusive_ptr<c10d::Store> connect_store(const DistributedEnv& env,
                                              std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(env.master_port);
  options.isServer = env.rank == 0 && !env.agent_store;
  options.numWorkers = static_cast<std::size_t>(env.world_size);
  // Every client counts itself in; the server (rank 0) waits until all world_size have.
  options.waitWorkers = true;
  options.timeout = timeout;
  try {
    auto store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
    if (!env.agent_store) return store;
    // The agent's store outlives restarts: each attempt keeps its keys apart.
    return c10::make_intrusive<c10d::PrefixStore>(
        "/worker/attempt_" + std::to_string(env.restart_count), store);
  } catch (const std::exception& error) {
    std::string message = error.what();
    throw runtime_error(
        "rank {} of {}: the rendezvous at MASTER_ADDR={} MASTER_PORT={} failed within {} s ({}); "
        "every rank must start within the timeout (under SLURM, start one task per process with "
        "srun)",
        env.rank, env.world_size, env.master_addr, env.master_port, timeout.count() / 1000,
        message.substr(0, message.find('\n')));
  }
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const DistributedEnv& env) {
  // GLOO_SOCKET_IFNAME is the variable torch.distributed honours for the same choice.
  if (const char* names = std::getenv("GLOO_SOCKET_IFNAME"); names != nullptr && *names) {
    std::string first(names);
    first = first.substr(0, first.find(','));
    return c10d::ProcessGroupGloo::createDeviceForInterface(first);
  }
  return c10d::ProcessGroupGloo::createDeviceForHostname(
      local_address_towards(env.master_addr, env.master_port));
}

c10::intrusive_ptr<Collectives> make_collectives(const DistributedEnv& env, c10::Device device,
                                                 const c10::intrusive_ptr<c10d::Store>& store,
                                                 std::chrono::milliseconds timeout) {
#ifdef HC_NCCL
  if (device.is_cuda()) {
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, options);
  }
#endif
  (void)device;
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(gloo_device(env));
  options->threads = 2;
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, options);
}

class ProcessGroupParallel final : public DataParallel {
 public:
  ProcessGroupParallel(const DistributedEnv& env, c10::Device device, std::size_t bucket_bytes,
                       std::chrono::milliseconds timeout)
      : env_(env), bucket_bytes_(bucket_bytes) {
    store_ = connect_store(env, timeout);
    group_ = collective(env, "process group set-up (every rank must start within the timeout)",
                        [&] { return make_collectives(env, device, store_, timeout); });
    nccl_ = group_->getBackendName() == "nccl";
    // NCCL exchanges device tensors only; Gloo takes host tensors (and CUDA ones, staged).
    scalar_device_ = nccl_ ? device : c10::Device(c10::kCPU);
  }
  ~ProcessGroupParallel() override {
    group_.reset();  // before the store it rendezvoused through
    store_.reset();
  }

  int rank() const override { return env_.rank; }
  int world_size() const override { return env_.world_size; }

  void broadcast(const std::vector<at::Tensor>& tensors) override {
    at::NoGradGuard no_grad;
    exchange(
        tensors, "broadcast",
        [&](std::vector<at::Tensor>& flat) { return group_->broadcast(flat); },
        [](at::Tensor&) {});
  }

  void average_gradients(const std::vector<at::Tensor>& parameters) override {
    std::vector<at::Tensor> grads = agreed_gradients(parameters);
    double ranks = static_cast<double>(env_.world_size);
    exchange(
        grads, "gradient all-reduce",
        [&](std::vector<at::Tensor>& flat) { return group_->allreduce(flat); },
        [&](at::Tensor& flat) { flat.div_(ranks); });
  }

  double all_reduce_mean(double value) override {
    std::vector<at::Tensor> one{at::full({1}, value, at::dtype(at::kDouble).device(scalar_device_))};
    collective(env_, "all-reduce", [&] { return group_->allreduce(one)->wait(); });
    return one[0].item<double>() / env_.world_size;
  }

  void barrier() override {
    collective(env_, "barrier", [&] { return group_->barrier()->wait(); });
  }

 private:
  std::vector<at::Tensor> agreed_gradients(const std::vector<at::Tensor>& parameters);

  // Buckets of `tensors`, each flattened, sent through `start` (all in flight at once, so that
  // flattening the next overlaps the exchange of the previous), then `finish`ed and copied back.
  template <typename Start, typename Finish>
  void exchange(const std::vector<at::Tensor>& tensors, const char* what, Start&& start,
                Finish&& finish) {
    std::vector<std::vector<std::size_t>> buckets = plan_buckets(tensors, bucket_bytes_);
    std::vector<std::vector<at::Tensor>> flats(buckets.size());
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    collective(env_, what, [&] {
      for (std::size_t b = 0; b < buckets.size(); ++b) {
        c10::ScalarType type = tensors[buckets[b].front()].scalar_type();
        flats[b] = {flatten_bucket(tensors, buckets[b], wire_type(type))};
        works.push_back(start(flats[b]));
      }
      for (std::size_t b = 0; b < buckets.size(); ++b) {
        works[b]->wait();
        finish(flats[b][0]);
        unflatten_bucket(flats[b][0], tensors, buckets[b]);
      }
      return 0;
    });
  }

  // Gloo in libtorch 1.x has no bfloat16 reductions: such buckets travel as float32.
  c10::ScalarType wire_type(c10::ScalarType type) const {
    return (!nccl_ && type == at::kBFloat16) ? at::kFloat : type;
  }

  DistributedEnv env_;
  std::size_t bucket_bytes_;
  bool nccl_ = false;
  c10::Device scalar_device_{c10::kCPU};
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<Collectives> group_;
};

// The gradients to average, one per parameter: undefined where no rank has one, zeros where
// this rank has none but another has, so every rank flattens the same buckets.
std::vector<at::Tensor> ProcessGroupParallel::agreed_gradients(
    const std::vector<at::Tensor>& parameters) {
  auto flags = at::zeros({static_cast<int64_t>(parameters.size())},
                         at::dtype(at::kInt).device(scalar_device_));
  std::vector<int> local(parameters.size(), 0);
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const at::Tensor& grad = parameters[i].grad();
    if (grad.defined() && grad.is_sparse()) {
      throw usage_error("data-parallel training: parameter {} has a sparse gradient, which "
                        "bucketed averaging does not take",
                        i);
    }
    local[i] = grad.defined() ? 1 : 0;
  }
  flags.copy_(at::tensor(local, at::kInt));
  std::vector<at::Tensor> one{flags};
  collective(env_, "gradient agreement", [&] { return group_->allreduce(one)->wait(); });
  at::Tensor anywhere = one[0].to(at::kCPU).contiguous();
  const int* counts = anywhere.data_ptr<int>();
  std::vector<at::Tensor> grads(parameters.size());
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    if (counts[i] == 0) continue;
    at::Tensor parameter = parameters[i];
    if (!parameter.grad().defined()) parameter.mutable_grad() = at::zeros_like(parameter);
    grads[i] = parameter.grad();
  }
  return grads;
}

}  // namespace

bool process_groups_available() { return true; }

std::unique_ptr<DataParallel> join_process_group(const DistributedEnv& env, c10::Device device,
                                                 std::size_t bucket_bytes,
                                                 std::chrono::milliseconds timeout) {
  return std::make_unique<ProcessGroupParallel>(env, device, bucket_bytes, timeout);
}

#endif  // HC_GLOO

}  // namespace hc
