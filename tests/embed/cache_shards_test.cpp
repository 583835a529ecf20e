// The embedding cache's files under stress: cut and damaged tails, several processes writing one
// key at once, compaction racing readers and writers, runs killed mid-write.
#include "cache_test_util.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc/embed/cache_admin.h"
#include "hc/embed/cache_compaction.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using namespace hc::test;

constexpr int64_t kDim = 8;
const std::string kSettings = R"({"kind":"text","test":"shards"})";

std::string append_to(const fs::path& file, const std::string& bytes) {
  std::string all = read_bytes(file) + bytes;
  write_bytes(file, all);
  return all;
}

// Forks a child that runs body and exits 0 (1 if it throws); returns its pid.
template <typename Body>
pid_t fork_child(Body body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int status = 0;
    try {
      body();
    } catch (...) {
      status = 1;
    }
    ::_exit(status);
  }
  REQUIRE(pid > 0);
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("A cut or damaged tail is skipped, never returned", "[embed][cache]") {
  TempDir dir;
  hc::EmbeddingCache writer(dir.path(), "text", kSettings, kDim);
  add_items(writer, 0, 50, kDim, 7);
  writer.close();
  const std::vector<fs::path> shards = hc::list_shard_files(writer.folder());
  REQUIRE(shards.size() == 1);
  const fs::path shard = shards[0];
  const int64_t record = hc::shard_record_bytes(kDim);
  const std::string good = read_bytes(shard);
  REQUIRE(static_cast<int64_t>(good.size()) == hc::kShardHeaderBytes + 50 * record);

  SECTION("half a record") { append_to(shard, good.substr(hc::kShardHeaderBytes, record / 2)); }
  SECTION("a whole record of garbage") { append_to(shard, std::string(record, '\x5a')); }
  SECTION("a whole record of zeros (a power loss on some file systems)") {
    append_to(shard, std::string(record, '\0'));
  }
  SECTION("a record whose checksum does not match") {
    std::string copy = good.substr(hc::kShardHeaderBytes, record);
    copy[hc::kDigestBytes] ^= 0x01;
    append_to(shard, copy);
  }
  hc::EmbeddingCache reader(dir.path(), "text", kSettings, kDim);
  CHECK(found_items(reader, 0, 50, kDim) == 50);
  CHECK(reader.size() == 50);

  // A new writer appends to a shard of its own: the damaged tail is not in its way.
  {
    hc::EmbeddingCache next(dir.path(), "text", kSettings, kDim);
    add_items(next, 50, 60, kDim);
  }
  hc::EmbeddingCache later(dir.path(), "text", kSettings, kDim);
  CHECK(found_items(later, 0, 60, kDim) == 60);
}

TEST_CASE("A shard cut inside its records keeps the whole ones before the cut", "[embed][cache]") {
  TempDir dir;
  fs::path folder;
  {
    hc::EmbeddingCache writer(dir.path(), "text", kSettings, kDim);
    add_items(writer, 0, 20, kDim);
    folder = writer.folder();
  }
  const fs::path shard = hc::list_shard_files(folder).at(0);
  const int64_t record = hc::shard_record_bytes(kDim);
  fs::resize_file(shard, static_cast<uintmax_t>(hc::kShardHeaderBytes + 12 * record + 5));
  hc::EmbeddingCache reader(dir.path(), "text", kSettings, kDim);
  CHECK(found_items(reader, 0, 20, kDim) == 12);

  fs::resize_file(shard, 10);  // not even a header: nothing, and no failure
  hc::EmbeddingCache again(dir.path(), "text", kSettings, kDim);
  CHECK(found_items(again, 0, 20, kDim) == 0);
}

TEST_CASE("Readers see a writer's records as they are appended", "[embed][cache]") {
  TempDir dir;
  hc::EmbeddingCache writer(dir.path(), "text", kSettings, kDim);
  hc::EmbeddingCache reader(dir.path(), "text", kSettings, kDim);
  CHECK(found_items(reader, 0, 30, kDim) == 0);
  add_items(writer, 0, 10, kDim);
  CHECK(found_items(reader, 0, 30, kDim) == 10);
  add_items(writer, 10, 30, kDim);
  CHECK(found_items(reader, 0, 30, kDim) == 30);
  writer.close();  // sealed under its final name: the reader follows it
  CHECK(found_items(reader, 0, 30, kDim) == 30);
  CHECK(hc::shard_file_kind(hc::list_shard_files(writer.folder()).at(0)) ==
        hc::ShardFileKind::Sealed);
}

TEST_CASE("Processes adding to one key at once: readers see the union, never a wrong row",
          "[embed][cache]") {
  TempDir dir;
  const int processes = 4;
  const int64_t per_process = 300;
  const int64_t shared_begin = 10000;  // every process also adds these (same values)
  const int64_t shared_end = 10050;
  int start[2];
  REQUIRE(::pipe(start) == 0);
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    children.push_back(fork_child([&, p] {
      char go;
      ::close(start[1]);
      if (::read(start[0], &go, 1) != 0) throw std::runtime_error("start pipe");
      hc::EmbeddingCache cache(dir.path(), "text", kSettings, kDim);
      add_items(cache, p * per_process, (p + 1) * per_process, kDim, 7);
      add_items(cache, shared_begin, shared_end, kDim, 5);
    }));
  }
  ::close(start[0]);
  ::close(start[1]);  // all start now
  hc::EmbeddingCache reader(dir.path(), "text", kSettings, kDim);
  for (int i = 0; i < 20; ++i) found_items(reader, 0, processes * per_process, kDim);
  for (pid_t child : children) CHECK(wait_exit_code(child) == 0);

  hc::EmbeddingCache after(dir.path(), "text", kSettings, kDim);
  CHECK(found_items(after, 0, processes * per_process, kDim) == processes * per_process);
  CHECK(found_items(after, shared_begin, shared_end, kDim) == shared_end - shared_begin);
  CHECK(hc::list_shard_files(after.folder()).size() == static_cast<std::size_t>(processes));
  CHECK(found_items(reader, 0, processes * per_process, kDim) == processes * per_process);
}

TEST_CASE("Compaction merges shards without losing a record, even under readers",
          "[embed][cache]") {
  TempDir dir;
  for (int w = 0; w < 5; ++w) {
    hc::EmbeddingCache writer(dir.path(), "text", kSettings, kDim);
    add_items(writer, w * 40, (w + 1) * 40, kDim);
    add_items(writer, 500, 510, kDim);  // the same items in every shard
  }
  hc::EmbeddingCache reader(dir.path(), "text", kSettings, kDim);
  CHECK(found_items(reader, 0, 200, kDim) == 200);  // indexed from the five shards

  const hc::CompactionResult result = hc::compact_cache_key(reader.folder());
  CHECK(result.compacted);
  CHECK(result.files_merged == 5);
  CHECK(result.records_read == 5 * 50);
  CHECK(result.records_kept == 210);
  CHECK(result.bytes_after < result.bytes_before);
  CHECK(hc::list_shard_files(reader.folder()).size() == 1);
  // The reader's shards are gone: it looks again and finds the merged one.
  CHECK(found_items(reader, 0, 200, kDim) == 200);
  CHECK(found_items(reader, 500, 510, kDim) == 10);

  // Too few to merge, or one already: nothing done.
  CHECK_FALSE(hc::compact_cache_key(reader.folder()).compacted);

  // A child writes new shards and compacts over and over while the parent reads.
  const pid_t child = fork_child([&] {
    for (int round = 0; round < 25; ++round) {
      {
        hc::EmbeddingCache writer(dir.path(), "text", kSettings, kDim);
        add_items(writer, 1000 + round * 10, 1010 + round * 10, kDim);
      }
      hc::compact_cache_key(reader.folder());
    }
  });
  int reads = 0;
  int status = 0;
  bool done = false;
  while (!done || reads < 3) {
    REQUIRE(found_items(reader, 0, 200, kDim) == 200);
    ++reads;
    if (!done) done = ::waitpid(child, &status, WNOHANG) == child;
  }
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  hc::EmbeddingCache after(dir.path(), "text", kSettings, kDim);
  CHECK(found_items(after, 0, 200, kDim) == 200);
  CHECK(found_items(after, 1000, 1250, kDim) == 250);
}

TEST_CASE("A run killed while writing leaves a live shard that is read and later merged",
          "[embed][cache]") {
  TempDir dir;
  const pid_t child = fork_child([&] {
    auto* cache = new hc::EmbeddingCache(dir.path(), "text", kSettings, kDim);  // never closed
    add_items(*cache, 0, 33, kDim);
    ::raise(SIGKILL);
  });
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));

  hc::EmbeddingCache reader(dir.path(), "text", kSettings, kDim);
  CHECK(found_items(reader, 0, 33, kDim) == 33);
  const auto shards = hc::list_shard_files(reader.folder());
  REQUIRE(shards.size() == 1);
  CHECK(hc::shard_file_kind(shards[0]) == hc::ShardFileKind::Live);
  CHECK_FALSE(hc::shard_writer_alive(shards[0]));

  // Its writer is gone: a compaction may take it (and gives it its final name).
  hc::CompactionOptions options;
  options.min_shards = 1;
  CHECK(hc::compact_cache_key(reader.folder(), options).compacted);
  const auto merged = hc::list_shard_files(reader.folder());
  REQUIRE(merged.size() == 1);
  CHECK(hc::shard_file_kind(merged[0]) == hc::ShardFileKind::Sealed);
  CHECK(found_items(reader, 0, 33, kDim) == 33);

  // A live shard whose writer runs is never merged.
  hc::EmbeddingCache writing(dir.path(), "text", kSettings, kDim);
  add_items(writing, 100, 110, kDim);
  CHECK(hc::mergeable_shards(reader.folder(), 24 * 3600).size() == 1);
}

TEST_CASE("A writer whose shard was removed starts another", "[embed][cache]") {
  TempDir dir;
  hc::EmbeddingCache cache(dir.path(), "text", kSettings, kDim);
  add_items(cache, 0, 10, kDim);
  hc::clear_cache(dir.path());
  CHECK_FALSE(fs::exists(cache.folder()));
  add_items(cache, 10, 20, kDim);
  CHECK(found_items(cache, 0, 20, kDim) == 10);
  CHECK(found_items(cache, 10, 20, kDim) == 10);
  CHECK(cache.added() == 20);
}
