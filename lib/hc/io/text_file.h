#pragma once
// Text files read whole or line by line, plain or gzip-compressed: the gzip magic bytes decide,
// so `data.csv.gz` and `data.csv` read the same way. Corrupt or truncated gzip data is an
// hc::Error naming the file, never silently short text.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace hc {

// The whole file as bytes (decompressed when it is gzip).
std::string read_text_file(const std::filesystem::path& path);

// Writes content through an AtomicFile, gzip-compressed when the name ends in ".gz".
void write_text_file(const std::filesystem::path& path, std::string_view content);

// gzip in memory. `source` names the data in error messages.
std::string gzip_compress(std::string_view data);
std::string gzip_decompress(std::string_view data, const std::string& source);

// True when the file starts with the gzip magic bytes.
bool is_gzip_file(const std::filesystem::path& path);

// Reads a file one line at a time without holding it all in memory. Lines come without their
// "\n" or "\r\n"; a last line without a newline is still a line.
class LineReader {
 public:
  explicit LineReader(const std::filesystem::path& path);
  ~LineReader();
  LineReader(LineReader&&) noexcept;
  LineReader& operator=(LineReader&&) noexcept;

  // Reads the next line into line; false at the end of the file.
  bool next(std::string& line);
  // 1-based number of the line last returned by next() (0 before the first).
  std::size_t line_number() const { return line_number_; }
  const std::filesystem::path& path() const { return path_; }

  class Source;  // plain or gzip bytes

 private:
  bool fill();

  std::filesystem::path path_;
  std::unique_ptr<Source> source_;
  std::string buffer_;
  std::size_t position_ = 0;
  std::size_t line_number_ = 0;
  bool at_end_ = false;
};

}  // namespace hc
