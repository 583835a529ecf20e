#pragma once
#include <filesystem>
#include <string>

namespace hc::test {

// A file or folder under the shared data (../shared by default, fixed at configure time). Fails
// the test with the place it looked when the shared data is missing: parity tests never skip.
std::filesystem::path shared_path(const std::string& relative);

// A fresh, empty folder for one test's files, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes bytes to a file (creating folders), for building malformed inputs.
void write_bytes(const std::filesystem::path& path, const std::string& bytes);
std::string read_bytes(const std::filesystem::path& path);

// Writes a binary PPM (P6) image: width * height RGB triples, rows top to bottom. A lossless
// format every image decoder reads, for generated image sets.
void write_ppm(const std::filesystem::path& path, int width, int height,
               const std::string& rgb);

// Runs a shell command line, capturing its stdout and stderr (merged unless split) and status.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::string& command_line);

// A path single-quoted for a shell command line.
std::string quoted(const std::filesystem::path& path);

// The path of a built binary (build/bin/NAME).
std::string binary(const std::string& name);

}  // namespace hc::test
