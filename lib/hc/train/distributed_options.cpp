#include "hc/train/distributed_options.h"

#include "hc/core/config.h"

namespace hc {

void DistributedOptions::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".bucket_mb", bucket_mb,
             "data-parallel runs: gradients are averaged in buckets of at most this many MiB, "
             "one all-reduce each")
      .check_positive();
  schema.add(section + ".timeout_s", timeout_s,
             "data-parallel runs: seconds every rank may take to join, and any collective to "
             "finish, before the run fails")
      .check_positive();
}

}  // namespace hc
