// bench_embedding_cache [ITEMS] [DIM] [WRITERS]: the on-disk embedding cache without a model.
// WRITERS processes' worth of shards (written one after another) receive ITEMS records in
// batches of 64, as the engine hands them over; then a fresh cache looks them all up (listing,
// verifying and indexing every shard, then reading each row back), a second lookup reads only
// what is new (nothing), and a compaction merges the shards. Prints one JSON object; the
// scratch folder is in $TMPDIR.
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "hc/core/error.h"
#include "hc/core/machine_info.h"
#include "hc/embed/cache_compaction.h"
#include "hc/embed/embedding_cache.h"
#include "stopwatch.h"

namespace {
namespace fs = std::filesystem;

constexpr int64_t kBatch = 64;
const std::string kSettings = R"({"bench":"embedding_cache"})";

std::vector<hc::ItemDigest> digests(int64_t begin, int64_t end) {
  std::vector<hc::ItemDigest> out;
  for (int64_t i = begin; i < end; ++i) out.push_back(hc::text_digest(std::to_string(i)));
  return out;
}

struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("hc-bench-cache-" + std::to_string(::getpid()));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const int64_t items = argc > 1 ? std::atoll(argv[1]) : 100000;
    const int64_t dim = argc > 2 ? std::atoll(argv[2]) : 512;
    const int64_t writers = argc > 3 ? std::atoll(argv[3]) : 8;
    if (items < writers || dim < 1 || writers < 1) {
      throw hc::usage_error("usage: bench_embedding_cache [ITEMS >= WRITERS] [DIM] [WRITERS]");
    }
    Scratch scratch;
    const std::vector<hc::ItemDigest> all = digests(0, items);
    const at::Tensor values = at::randn({items, dim});

    hc::bench::Stopwatch write;
    for (int64_t w = 0; w < writers; ++w) {
      hc::EmbeddingCache cache(scratch.dir, "text", kSettings, dim);
      const int64_t begin = items * w / writers;
      const int64_t end = items * (w + 1) / writers;
      for (int64_t at = begin; at < end; at += kBatch) {
        const int64_t stop = std::min(end, at + kBatch);
        cache.add({all.begin() + at, all.begin() + stop}, values.slice(0, at, stop));
      }
    }
    const nlohmann::json write_time = write.json();

    hc::EmbeddingCache reader(scratch.dir, "text", kSettings, dim);
    hc::bench::Stopwatch cold;
    const std::vector<int64_t> rows = reader.lookup(all);
    const at::Tensor got = reader.rows(rows);
    const nlohmann::json cold_time = cold.json();
    if (!at::equal(got, values)) throw hc::runtime_error("the cache returned other values");

    hc::bench::Stopwatch again;
    reader.lookup({all.front()});
    const nlohmann::json again_time = again.json();

    hc::bench::Stopwatch compact;
    const hc::CompactionResult merged = hc::compact_cache_key(reader.folder());
    const nlohmann::json compact_time = compact.json();

    const nlohmann::json result = {
        {"bench", "embedding_cache"},
        {"items", items},
        {"dim", dim},
        {"writers", writers},
        {"batch", kBatch},
        {"bytes", merged.bytes_before},
        {"write", write_time},
        {"lookup_all_cold", cold_time},
        {"lookup_one_warm", again_time},
        {"compact", compact_time},
        {"compacted_files", merged.files_merged},
        {"machine", hc::machine_info()},
    };
    std::cout << result.dump(2) << std::endl;
    return 0;
  } catch (const hc::Error& e) {
    std::cerr << "bench_embedding_cache: " << e.what() << std::endl;
    return e.exit_code();
  }
}
