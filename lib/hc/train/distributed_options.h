#pragma once
// The config keys of data-parallel training, declared once for every training tool. Where a
// process sits in the job is not configured: it comes from the launcher's environment
// (DistributedEnv::from_environment).
#include <string>

namespace hc {

class ConfigSchema;

struct DistributedOptions {
  double bucket_mb = 25.0;    // gradient all-reduce bucket size, MiB
  double timeout_s = 1800.0;  // rendezvous and collective timeout, seconds

  void declare(ConfigSchema& schema, const std::string& section = "distributed");
};

}  // namespace hc
