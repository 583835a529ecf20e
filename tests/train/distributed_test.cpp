// Two processes with Gloo on 127.0.0.1 train a tiny model on halves of each global batch and end
// with the weights one process reaches on the whole batches. The processes are this test binary
// started again with torchrun's variables, running the hidden worker case below.
#include "catch_torch.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "hc/core/error.h"
#include "hc/train/distributed.h"
#include "test_support.h"

extern char** environ;

namespace fs = std::filesystem;

namespace {

constexpr int kRanks = 2;
constexpr int64_t kRows = 36;        // 4 global batches and a last one of 4 rows an epoch
constexpr int64_t kGlobalBatch = 8;  // one process's batch; each of kRanks takes 8 / kRanks
constexpr int kEpochs = 2;
constexpr double kBucketMb = 256.0 / (1024 * 1024);  // 256 bytes: several buckets per step
constexpr const char* kOutVariable = "HC_TEST_DISTRIBUTED_OUT";
constexpr const char* kWorkerName = "distributed: worker process of the 2-process test";

// A trunk and two heads; head_b sees only some rows, so on some steps one rank has no gradient
// for it while the other has.
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    trunk = register_module("trunk", torch::nn::Linear(6, 16));
    head_a = register_module("head_a", torch::nn::Linear(16, 3));
    head_b = register_module("head_b", torch::nn::Linear(16, 3));
  }
  torch::nn::Linear trunk{nullptr}, head_a{nullptr}, head_b{nullptr};
};
TORCH_MODULE(TinyNet);

struct TinyData {
  at::Tensor x, y, uses_b;
};

TinyData tiny_data() {
  auto generator = at::detail::createCPUGenerator(11);
  TinyData data;
  data.x = torch::randn({kRows, 6}, generator);
  data.y = torch::randn({kRows, 3}, generator);
  data.uses_b = torch::arange(kRows).remainder(5) == 0;
  return data;
}

std::vector<std::size_t> epoch_order(int epoch) {
  std::vector<std::size_t> order(kRows);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(100 + epoch);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

struct TinyRun {
  std::vector<at::Tensor> weights;
  std::vector<double> losses;  // per step, averaged over ranks
  int head_b_from_other_rank = 0;  // steps where only another rank had a head_b gradient
};

// Mean squared error of each row's own head; the mean over this rank's rows.
at::Tensor tiny_loss(TinyNet& net, const TinyData& data, const std::vector<std::size_t>& rows) {
  std::vector<int64_t> index(rows.begin(), rows.end());
  at::Tensor pick = torch::tensor(index, torch::kLong);
  at::Tensor hidden = torch::tanh(net->trunk(data.x.index_select(0, pick)));
  at::Tensor target = data.y.index_select(0, pick);
  at::Tensor to_b = data.uses_b.index_select(0, pick);
  at::Tensor total = torch::zeros({});
  if (to_b.logical_not().any().item<bool>()) {
    at::Tensor out = net->head_a(hidden.index({to_b.logical_not()}));
    total = total + (out - target.index({to_b.logical_not()})).pow(2).sum();
  }
  if (to_b.any().item<bool>()) {
    total = total + (net->head_b(hidden.index({to_b})) - target.index({to_b})).pow(2).sum();
  }
  return total / static_cast<double>(rows.size());
}

TinyRun train_tiny(hc::DataParallel& group) {
  torch::manual_seed(1000 + group.rank());  // different weights on every rank until broadcast
  TinyNet net;
  std::vector<at::Tensor> parameters = net->parameters();
  group.broadcast(parameters);
  torch::optim::AdamW optimizer(parameters, torch::optim::AdamWOptions(1e-2).weight_decay(0.1));
  TinyData data = tiny_data();
  const auto per_rank = static_cast<std::size_t>(kGlobalBatch / group.world_size());
  at::Tensor head_b_weight = net->head_b->weight;

  TinyRun run;
  for (int epoch = 0; epoch < kEpochs; ++epoch) {
    std::vector<std::size_t> share = hc::rank_share(epoch_order(epoch), group.rank(),
                                                    group.world_size());
    for (std::size_t start = 0; start < share.size(); start += per_rank) {
      std::vector<std::size_t> rows(share.begin() + start,
                                    share.begin() + std::min(share.size(), start + per_rank));
      for (at::Tensor& parameter : parameters) parameter.mutable_grad() = at::Tensor();
      at::Tensor loss = tiny_loss(net, data, rows);
      loss.backward();
      bool had_head_b = head_b_weight.grad().defined();
      group.average_gradients(parameters);
      if (!had_head_b && head_b_weight.grad().defined()) ++run.head_b_from_other_rank;
      optimizer.step();
      run.losses.push_back(group.all_reduce_mean(loss.item<double>()));
    }
  }
  for (const at::Tensor& parameter : parameters) run.weights.push_back(parameter.detach().clone());
  return run;
}

int free_local_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// This binary again, running only the worker case, with torchrun's variables for `rank`.
pid_t start_worker(int rank, int port, const fs::path& out,
                   const std::vector<std::string>& extra) {
  std::vector<std::string> own = {
      "RANK=" + std::to_string(rank), "WORLD_SIZE=" + std::to_string(kRanks),
      "LOCAL_RANK=" + std::to_string(rank), "MASTER_ADDR=127.0.0.1",
      "MASTER_PORT=" + std::to_string(port), std::string(kOutVariable) + "=" + out.string(),
      "OMP_NUM_THREADS=1"};
  own.insert(own.end(), extra.begin(), extra.end());
  std::vector<std::string> variables = own;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string line(*entry);
    std::string name = line.substr(0, line.find('=') + 1);
    bool replaced = std::any_of(own.begin(), own.end(),
                                [&](const std::string& mine) { return mine.rfind(name, 0) == 0; });
    if (!replaced) variables.push_back(line);
  }
  std::vector<char*> envp;
  for (std::string& variable : variables) envp.push_back(variable.data());
  envp.push_back(nullptr);

  std::string self = fs::read_symlink("/proc/self/exe").string();
  std::string name = kWorkerName;
  std::string log = (out / ("rank" + std::to_string(rank) + ".log")).string();
  char* argv[] = {self.data(), name.data(), nullptr};
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  int status = ::posix_spawn(&pid, self.c_str(), &actions, nullptr, argv, envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  REQUIRE(status == 0);
  return pid;
}

// Waits for every worker; the first failure (or the deadline) kills the others, so a worker
// that dies cannot leave its peer waiting on the test. Returns the exit codes (-1: killed).
std::vector<int> wait_workers(std::vector<pid_t> pids, std::chrono::seconds limit) {
  std::vector<int> codes(pids.size(), -1);
  auto deadline = std::chrono::steady_clock::now() + limit;
  std::size_t running = pids.size();
  bool failed = false;
  while (running > 0) {
    for (std::size_t i = 0; i < pids.size(); ++i) {
      int status = 0;
      if (pids[i] <= 0 || ::waitpid(pids[i], &status, WNOHANG) != pids[i]) continue;
      codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      failed |= codes[i] != 0;
      pids[i] = 0;
      --running;
    }
    if (running > 0 && (failed || std::chrono::steady_clock::now() > deadline)) {
      for (pid_t& pid : pids) {
        if (pid <= 0) continue;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        pid = 0;
        --running;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return codes;
}

double max_difference(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].sizes() == b[i].sizes());
    worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
  }
  return worst;
}

}  // namespace

TEST_CASE(kWorkerName, "[.][distributed-worker]") {
  const char* out = std::getenv(kOutVariable);
  REQUIRE(out != nullptr);
  torch::set_num_threads(1);
  hc::DistributedEnv where = hc::DistributedEnv::from_environment();
  REQUIRE(where.world_size == kRanks);
  auto group = hc::DataParallel::create(where, torch::kCPU, kBucketMb, 120.0);
  REQUIRE(group->rank() == where.rank);

  // A gradient only rank 1 has arrives everywhere as its mean with rank 0's zeros; one no rank
  // has stays undefined.
  at::Tensor only_rank1 = torch::zeros({3}).requires_grad_();
  at::Tensor nowhere = torch::zeros({2}).requires_grad_();
  if (group->rank() == 1) only_rank1.mutable_grad() = torch::full({3}, 4.0);
  group->average_gradients({only_rank1, nowhere});
  REQUIRE(only_rank1.grad().defined());
  CHECK(torch::equal(only_rank1.grad(), torch::full({3}, 4.0 / kRanks)));
  CHECK_FALSE(nowhere.grad().defined());
  CHECK(group->all_reduce_mean(group->rank()) == Approx((kRanks - 1) / 2.0));
  CHECK(group->any_rank(group->rank() == 1));
  CHECK_FALSE(group->any_rank(false));
  group->barrier();

  TinyRun run = train_tiny(*group);
  // Every rank holds rank 0's weights: broadcasting them changes nothing.
  std::vector<at::Tensor> copies;
  for (const at::Tensor& weight : run.weights) copies.push_back(weight.clone());
  group->broadcast(copies);
  CHECK(max_difference(copies, run.weights) == 0.0);
  double from_other = group->all_reduce_mean(run.head_b_from_other_rank) * kRanks;

  if (group->is_main()) {
    torch::save(run.weights, (fs::path(out) / "weights.pt").string());
    torch::save(torch::tensor(run.losses, torch::kDouble), (fs::path(out) / "losses.pt").string());
    torch::save(torch::tensor({from_other}, torch::kDouble),
                (fs::path(out) / "from_other.pt").string());
  }
  group->barrier();
}

namespace {

// Starts the workers with torchrun's variables (and `extra`), waits for them, checks that
// only rank 0 wrote, and compares its weights and losses with one process on the same batches.
void check_two_processes_match_one(int port, const std::vector<std::string>& extra) {
  hc::test::TempDir dir;
  std::vector<pid_t> workers;
  for (int rank = 0; rank < kRanks; ++rank) {
    workers.push_back(start_worker(rank, port, dir.path(), extra));
  }
  std::vector<int> codes = wait_workers(workers, std::chrono::seconds(300));
  for (int rank = 0; rank < kRanks; ++rank) {
    INFO("rank " << rank << " log:\n"
                 << hc::test::read_bytes(dir / ("rank" + std::to_string(rank) + ".log")));
    REQUIRE(codes[static_cast<std::size_t>(rank)] == 0);
  }
  // Only rank 0 wrote (besides the logs the test gave each worker).
  std::set<std::string> written;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    if (entry.path().extension() != ".log") written.insert(entry.path().filename().string());
  }
  CHECK(written == std::set<std::string>{"from_other.pt", "losses.pt", "weights.pt"});
  std::vector<at::Tensor> weights;
  at::Tensor losses, from_other;
  torch::load(weights, (dir / "weights.pt").string());
  torch::load(losses, (dir / "losses.pt").string());
  torch::load(from_other, (dir / "from_other.pt").string());
  // The data must exercise a gradient that only one rank had.
  CHECK(from_other.item<double>() > 0);

  auto single = hc::DataParallel::create(hc::DistributedEnv{}, torch::kCPU);
  TinyRun reference = train_tiny(*single);
  double difference = max_difference(weights, reference.weights);
  INFO("max |2 processes - 1 process| = " << difference);
  CHECK(difference <= 1e-6);
  at::Tensor reference_losses = torch::tensor(reference.losses, torch::kDouble);
  REQUIRE(losses.sizes() == reference_losses.sizes());
  // The logged losses are float32 means taken in another order: equal to a few ulps.
  double loss_scale = reference_losses.abs().max().item<double>();
  CHECK((losses - reference_losses).abs().max().item<double>() <= 1e-6 * loss_scale);
  // The training moved the weights well beyond the tolerance (the comparison can fail).
  torch::manual_seed(1000);
  TinyNet initial;
  CHECK(max_difference(initial->parameters(), reference.weights) > 1e-2);
}

}  // namespace

TEST_CASE("data parallel: 2 Gloo processes reach the weights of 1 process on the same batches",
          "[train][distributed]") {
  // Rank 0 serves the store, as under SLURM or older torchrun.
  check_two_processes_match_one(free_local_port(), {});
}

TEST_CASE("data parallel: the workers join a store torchrun's agent already serves",
          "[train][distributed]") {
  c10d::TCPStoreOptions options;
  options.port = 0;
  options.isServer = true;
  options.waitWorkers = false;
  options.timeout = std::chrono::seconds(30);
  c10d::TCPStore agent("127.0.0.1", options);
  // A previous attempt's keys must not confuse this one: the workers use their attempt's prefix.
  agent.set("/worker/attempt_0/0", std::vector<uint8_t>{1, 2, 3});
  check_two_processes_match_one(agent.getPort(),
                                {"TORCHELASTIC_USE_AGENT_STORE=True",
                                 "TORCHELASTIC_RESTART_COUNT=1"});
}

TEST_CASE("data parallel: a rank whose store never comes up fails within the timeout",
          "[train][distributed]") {
  hc::DistributedEnv where;
  where.rank = 1;
  where.world_size = 2;
  where.master_port = free_local_port();  // nobody serves it
  try {
    hc::DataParallel::create(where, torch::kCPU, 25.0, 1.0);
    FAIL("joined a job without a rank 0");
  } catch (const hc::Error& error) {
    CHECK(error.kind() == hc::Error::Kind::Runtime);
    CHECK_THAT(error.what(), Catch::Contains("MASTER_PORT=" + std::to_string(where.master_port)));
    CHECK_THAT(error.what(), Catch::Contains("rank 1 of 2"));
  }
}
