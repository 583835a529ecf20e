// bench_hash_weights [FILE | SHARED_DIR] [REPEATS]: the cost of fingerprinting model weights.
//   sha256_file:  the SHA-256 of FILE read through the page cache (warm: read once before),
//                 fastest of REPEATS (default 3), with its CPU time and throughput;
//   cached_cold:  cached_sha256_file with an empty fingerprint cache (hash + sidecar write);
//   memoised:     cached_sha256_file again, answered from the sidecar;
//   short_texts:  Sha256 objects over 10,000 caption-sized strings (the embedding cache's keys).
// Without FILE: a ViT-B/32-shaped random checkpoint (hc init-model, seed 0, ~605 MB) is made in
// a scratch folder from SHARED_DIR's (default $HC_SHARED_DIR) tokenizer, backdated so that it
// may be memoised, and removed afterwards. Prints one JSON object.
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/core/file_fingerprint.h"
#include "hc/core/logging.h"
#include "hc/core/machine_info.h"
#include "hc/core/sha256.h"
#include "hc/model/init_model.h"

#include "stopwatch.h"

namespace {
namespace fs = std::filesystem;
using hc::bench::Stopwatch;

// The fastest of `repeats` runs of `action`, wall and CPU seconds.
template <typename Action>
nlohmann::json fastest(int repeats, Action&& action) {
  nlohmann::json best;
  for (int i = 0; i < repeats; ++i) {
    Stopwatch watch;
    action(i);
    nlohmann::json run = watch.json();
    if (i == 0 || run["seconds"] < best["seconds"]) best = run;
  }
  return best;
}

fs::path make_checkpoint(const fs::path& shared, const fs::path& scratch) {
  hc::InitModelOptions init;
  init.architecture = "ViT-B-32";
  init.seed = 0;
  init.out = scratch / "model";
  init.vocab = shared / "data/clip-tokenizer";
  hc::init_model(init);
  const fs::path weights = init.out / "model.safetensors";
  // Files written in the last 2 s are hashed but not memoised.
  fs::last_write_time(weights, fs::last_write_time(weights) - std::chrono::hours(1));
  return weights;
}

nlohmann::json short_texts() {
  std::vector<std::string> texts;
  for (int i = 0; i < 10000; ++i) {
    texts.push_back("a photograph of object number " + std::to_string(i) + " on a wooden table");
  }
  Stopwatch watch;
  std::size_t checksum = 0;
  for (const auto& text : texts) {
    hc::Sha256 hash;
    hash.update(text);
    checksum += hash.digest()[0];
  }
  nlohmann::json figures = watch.json();
  figures["texts"] = texts.size();
  figures["microseconds_per_text"] = figures["seconds"].get<double>() * 1e6 / texts.size();
  figures["checksum"] = checksum;  // keeps the loop from being optimised away
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    hc::init_logging("warn");
    const char* env = std::getenv("HC_SHARED_DIR");
    const fs::path given = argc > 1 ? fs::path(argv[1]) : fs::path(env ? env : "../shared");
    const int repeats = std::max(1, argc > 2 ? std::stoi(argv[2]) : 3);
    const fs::path scratch =
        fs::temp_directory_path() / ("hc-bench-hash-" + std::to_string(::getpid()));
    fs::create_directories(scratch);
    const fs::path file = fs::is_regular_file(given) ? given : make_checkpoint(given, scratch);
    const double megabytes = static_cast<double>(fs::file_size(file)) / 1e6;

    const std::string digest = hc::sha256_file(file);  // warms the page cache
    nlohmann::json plain = fastest(repeats, [&](int) { hc::sha256_file(file); });
    plain["megabytes_per_second"] = megabytes / plain["seconds"].get<double>();
    plain["megabytes_per_cpu_second"] = megabytes / plain["cpu_seconds"].get<double>();
    nlohmann::json cold = fastest(repeats, [&](int run) {
      hc::cached_sha256_file(file, scratch / ("fingerprints-" + std::to_string(run)));
    });
    const fs::path cache = scratch / "fingerprints-0";
    nlohmann::json memoised = fastest(repeats, [&](int) { hc::cached_sha256_file(file, cache); });
    memoised["from_sidecar"] = fs::exists(cache) && !fs::is_empty(cache);

    nlohmann::json result{{"bench", "hash_weights"},
                          {"file", file.string()},
                          {"megabytes", megabytes},
                          {"sha256", digest},
                          {"sha256_file", plain},
                          {"cached_cold", cold},
                          {"memoised", memoised},
                          {"short_texts", short_texts()},
                          {"machine", hc::machine_info()}};
    fs::remove_all(scratch);
    std::cout << result.dump(2) << std::endl;
    return 0;
  } catch (const hc::Error& e) {
    std::cerr << "bench_hash_weights: " << e.what() << std::endl;
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "bench_hash_weights: " << e.what()
              << " (usage: bench_hash_weights [FILE | SHARED_DIR] [REPEATS])" << std::endl;
    return 2;
  }
}
