#pragma once
// The c10d side of DataParallel (hc/train/distributed.h): a TCPStore rendezvous served by rank
// 0 and a Gloo (or NCCL) process group. Internal to the train module.
#include <chrono>
#include <cstddef>
#include <memory>

#include "hc/train/distributed.h"

namespace hc {

// True when this build can run more than one process (libtorch with c10d and the Gloo headers
// found at configure time).
bool process_groups_available();

// Joins the job env describes (blocking until every rank has arrived or timeout has passed).
std::unique_ptr<DataParallel> join_process_group(const DistributedEnv& env, c10::Device device,
                                                 std::size_t bucket_bytes,
                                                 std::chrono::milliseconds timeout);

// The address of this host's interface that routes to host:port (a UDP socket connected there
// sends nothing; the kernel only picks the route). Unresolvable host -> usage error naming
// MASTER_ADDR.
std::string local_address_towards(const std::string& host, int port);

}  // namespace hc
