// Where a process sits in a data-parallel job, read from torchrun's or SLURM's variables; how an
// epoch splits over ranks; and the one-process group, whose calls change nothing.
#include "catch_torch.h"

#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/train/distributed.h"
#include "hc/train/distributed_options.h"
#include "scoped_env.h"

namespace {

const char* const kLaunchVariables[] = {
    "RANK",         "WORLD_SIZE",    "LOCAL_RANK",         "MASTER_ADDR", "MASTER_PORT",
    "SLURM_PROCID", "SLURM_NTASKS",  "SLURM_LOCALID",      "SLURM_JOB_NODELIST",
    "TORCHELASTIC_USE_AGENT_STORE", "TORCHELASTIC_RESTART_COUNT"};

// A ScopedEnv with every launch variable unset, whatever the test runner was started with.
void clear_launch(hc::test::ScopedEnv& env) {
  for (const char* name : kLaunchVariables) env.unset(name);
}

// The message of the usage error from_environment throws (fails the test if none).
std::string usage_message() {
  try {
    hc::DistributedEnv::from_environment();
  } catch (const hc::Error& error) {
    CHECK(error.kind() == hc::Error::Kind::Usage);
    return error.what();
  }
  FAIL("from_environment accepted the variables");
  return {};
}

}  // namespace

TEST_CASE("distributed env: one process when no launcher is set", "[train][distributed]") {
  hc::test::ScopedEnv env;
  clear_launch(env);
  auto where = hc::DistributedEnv::from_environment();
  CHECK(where.rank == 0);
  CHECK(where.world_size == 1);
  CHECK_FALSE(where.enabled());
  // An salloc shell sets SLURM_NTASKS but starts no tasks: still one process.
  env.set("SLURM_NTASKS", "4");
  CHECK(hc::DistributedEnv::from_environment().world_size == 1);
}

TEST_CASE("distributed env: torchrun's variables", "[train][distributed]") {
  hc::test::ScopedEnv env;
  clear_launch(env);
  env.set("RANK", "5").set("WORLD_SIZE", "8").set("LOCAL_RANK", "1");
  env.set("MASTER_ADDR", "node7.cluster").set("MASTER_PORT", "23456");
  // SLURM's variables describe the allocation when torchrun runs inside one: torchrun wins.
  env.set("SLURM_PROCID", "0").set("SLURM_NTASKS", "2").set("SLURM_JOB_NODELIST", "other1");
  auto where = hc::DistributedEnv::from_environment();
  CHECK(where.rank == 5);
  CHECK(where.world_size == 8);
  CHECK(where.local_rank == 1);
  CHECK(where.master_addr == "node7.cluster");
  CHECK(where.master_port == 23456);
  CHECK(where.enabled());
  CHECK_FALSE(where.agent_store);

  // Recent torchrun serves the store itself and restarts workers under a new attempt number.
  env.set("TORCHELASTIC_USE_AGENT_STORE", "True").set("TORCHELASTIC_RESTART_COUNT", "2");
  where = hc::DistributedEnv::from_environment();
  CHECK(where.agent_store);
  CHECK(where.restart_count == 2);
  env.set("TORCHELASTIC_USE_AGENT_STORE", "False");
  CHECK_FALSE(hc::DistributedEnv::from_environment().agent_store);
}

TEST_CASE("distributed env: SLURM's variables, rank 0's host from the node list",
          "[train][distributed]") {
  hc::test::ScopedEnv env;
  clear_launch(env);
  env.set("SLURM_PROCID", "3").set("SLURM_NTASKS", "8").set("SLURM_LOCALID", "3");
  env.set("SLURM_JOB_NODELIST", "gpu[07-08,11],cpu1");
  auto where = hc::DistributedEnv::from_environment();
  CHECK(where.rank == 3);
  CHECK(where.world_size == 8);
  CHECK(where.local_rank == 3);
  CHECK(where.master_addr == "gpu07");
  CHECK(where.master_port == 29500);

  env.set("MASTER_ADDR", "10.1.2.3").set("MASTER_PORT", "31000");
  where = hc::DistributedEnv::from_environment();
  CHECK(where.master_addr == "10.1.2.3");
  CHECK(where.master_port == 31000);
}

TEST_CASE("distributed env: first host of SLURM host lists", "[train][distributed]") {
  CHECK(hc::first_slurm_host("node1") == "node1");
  CHECK(hc::first_slurm_host("node1,node2") == "node1");
  CHECK(hc::first_slurm_host("gpu[003-010]") == "gpu003");
  CHECK(hc::first_slurm_host("gpu[9,3-4]") == "gpu9");
  CHECK(hc::first_slurm_host("rack[2-3]-n[01-04],login") == "rack2-n01");
  CHECK(hc::first_slurm_host("a-b.c") == "a-b.c");
  for (const char* bad : {"", "gpu[01-02", "gpu]", "[]", ",node1"}) {
    INFO(bad);
    CHECK_THROWS_WITH(hc::first_slurm_host(bad), Catch::Contains("SLURM_JOB_NODELIST"));
  }
}

TEST_CASE("distributed env: bad values are usage errors naming the variable",
          "[train][distributed]") {
  hc::test::ScopedEnv env;
  clear_launch(env);
  struct Case {
    std::vector<std::pair<const char*, const char*>> set;
    const char* named;
  };
  const std::vector<Case> cases = {
      {{{"RANK", "0"}, {"WORLD_SIZE", "two"}}, "WORLD_SIZE"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "0"}}, "WORLD_SIZE"},
      {{{"RANK", "2"}, {"WORLD_SIZE", "2"}}, "RANK"},
      {{{"RANK", "-1"}, {"WORLD_SIZE", "2"}}, "RANK"},
      {{{"RANK", "1 "}, {"WORLD_SIZE", "2"}}, "RANK"},
      {{{"RANK", "1"}}, "WORLD_SIZE"},
      {{{"WORLD_SIZE", "2"}}, "RANK"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "x"}}, "LOCAL_RANK"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}, "MASTER_PORT"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", ""}}, "MASTER_ADDR"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"TORCHELASTIC_RESTART_COUNT", "-2"}},
       "TORCHELASTIC_RESTART_COUNT"},
      {{{"SLURM_PROCID", "4"}, {"SLURM_NTASKS", "4"}, {"SLURM_JOB_NODELIST", "n1"}},
       "SLURM_PROCID"},
      {{{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}}, "SLURM_JOB_NODELIST"},
      {{{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_JOB_NODELIST", "n[1-"}},
       "SLURM_JOB_NODELIST"},
  };
  for (const Case& bad : cases) {
    hc::test::ScopedEnv scoped;
    std::string shown;
    for (const auto& [name, value] : bad.set) {
      scoped.set(name, value);
      shown += std::string(name) + "='" + value + "' ";
    }
    INFO(shown);
    CHECK_THAT(usage_message(), Catch::Contains(bad.named));
  }
}

TEST_CASE("rank share: strided, equal counts, the union of a step is the one-process batch",
          "[train][distributed]") {
  std::vector<std::size_t> order(23);
  std::iota(order.begin(), order.end(), 100);
  CHECK(hc::rank_share(order, 0, 1) == order);

  const int ranks = 3;
  const std::size_t per_rank = 2;  // a global batch of 6
  std::vector<std::vector<std::size_t>> shares;
  for (int r = 0; r < ranks; ++r) shares.push_back(hc::rank_share(order, r, ranks));
  for (const auto& share : shares) CHECK(share.size() == 23 / ranks);  // the last 2 left out
  CHECK(shares[1][0] == 101);
  CHECK(shares[1][1] == 104);
  for (std::size_t step = 0; step * per_rank < shares[0].size(); ++step) {
    std::set<std::size_t> global(order.begin() + step * per_rank * ranks,
                                 order.begin() + std::min<std::size_t>((step + 1) * per_rank * ranks,
                                                                       21));
    std::set<std::size_t> united;
    for (const auto& share : shares) {
      for (std::size_t i = step * per_rank; i < std::min(share.size(), (step + 1) * per_rank); ++i) {
        united.insert(share[i]);
      }
    }
    CHECK(united == global);
  }
  CHECK_THROWS_AS(hc::rank_share(order, 3, 3), hc::Error);
  CHECK_THROWS_AS(hc::rank_share(order, 0, 0), hc::Error);
}

TEST_CASE("data parallel: one process is a no-op group", "[train][distributed]") {
  auto group = hc::DataParallel::create(hc::DistributedEnv{}, torch::kCPU);
  CHECK(group->rank() == 0);
  CHECK(group->world_size() == 1);
  CHECK(group->is_main());

  at::Tensor weight = torch::randn({3, 2}).requires_grad_();
  at::Tensor unused = torch::randn({4}).requires_grad_();
  (weight * 3).sum().backward();
  at::Tensor before = weight.detach().clone();
  at::Tensor grad_before = weight.grad().clone();
  group->broadcast({weight, unused});
  group->average_gradients({weight, unused});
  group->barrier();
  CHECK(torch::equal(weight.detach(), before));
  CHECK(torch::equal(weight.grad(), grad_before));
  CHECK_FALSE(unused.grad().defined());
  CHECK(group->all_reduce_mean(2.5) == 2.5);
  CHECK(group->any_rank(true));
  CHECK_FALSE(group->any_rank(false));

  CHECK_THROWS_AS(hc::DataParallel::create(hc::DistributedEnv{}, torch::kCPU, 0.0), hc::Error);
  CHECK_THROWS_AS(hc::DataParallel::create(hc::DistributedEnv{}, torch::kCPU, 25.0, -1.0),
                  hc::Error);
  hc::DistributedEnv outside;
  outside.rank = 2;
  outside.world_size = 2;
  CHECK_THROWS_AS(hc::DataParallel::create(outside, torch::kCPU), hc::Error);
}

TEST_CASE("distributed options: bucket size and timeout keys, positive only",
          "[train][distributed]") {
  hc::DistributedOptions options;
  hc::ConfigSchema schema;
  options.declare(schema);
  schema.load_text("distributed:\n  bucket_mb: 4.5\n  timeout_s: 60\n", "test.yaml");
  schema.validate();
  CHECK(options.bucket_mb == 4.5);
  CHECK(options.timeout_s == 60.0);

  hc::DistributedOptions bad;
  hc::ConfigSchema bad_schema;
  bad.declare(bad_schema);
  bad_schema.apply_override("distributed.bucket_mb=0");
  CHECK_THROWS_WITH(bad_schema.validate(), Catch::Contains("distributed.bucket_mb"));
}
