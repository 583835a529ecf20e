#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "test_paths.h"

namespace hc::test {
namespace fs = std::filesystem;

fs::path shared_path(const std::string& relative) {
  const char* from_env = std::getenv("HC_SHARED_DIR");
  fs::path root = from_env && *from_env ? fs::path(from_env) : fs::path(HC_TEST_SHARED_DIR);
  fs::path full = root / relative;
  if (!fs::exists(full)) {
    FAIL("shared data missing: looked for " << full.string()
         << " (configure with -DHC_SHARED_DIR=<folder with data/ and fixtures/>)");
  }
  return full;
}

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device seed;
  path_ = fs::temp_directory_path() /
          ("hc-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
           std::to_string(seed() % 100000));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

void write_ppm(const fs::path& path, int width, int height, const std::string& rgb) {
  REQUIRE(rgb.size() == static_cast<std::size_t>(width) * height * 3);
  write_bytes(path, "P6\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n" + rgb);
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

CommandResult run_command(const std::string& command_line) {
  TempDir scratch;
  fs::path out_file = scratch / "stdout";
  fs::path err_file = scratch / "stderr";
  std::string full = command_line + " >" + out_file.string() + " 2>" + err_file.string() +
                     " </dev/null";
  int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_bytes(out_file);
  result.err = read_bytes(err_file);
  return result;
}

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

std::string binary(const std::string& name) { return std::string(HC_TEST_BIN_DIR) + "/" + name; }

}  // namespace hc::test
