#pragma once
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace hc {

// An output file that appears under its final name only once it is complete and on disk: writes
// go to a temporary file beside it, commit() flushes it, fsyncs it, renames it into place and
// fsyncs the folder (so after a crash the name holds either the old file or the whole new one),
// and an uncommitted file (an error or an interrupted run) is removed, so no partial output ever
// looks finished.
//
// The temporary name is "<target>.tmp.<pid>.<thread>.<n>" with n from a process-wide counter, and
// it is created exclusively: threads and processes writing the same target or siblings never
// share a temporary file; the last commit wins whole.
class AtomicFile {
 public:
  // `binary` is kept for callers that state it: POSIX files have no text mode.
  explicit AtomicFile(std::filesystem::path target, bool binary = false);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Buffered; large writes go straight to the file without a copy. A failed write (disk full,
  // file size limit) sets the stream's badbit and is reported by commit() with the cause.
  std::ostream& stream() { return *out_; }
  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& target() const { return target_; }

  // Throws the hc::Error commit() would give for a write that failed so far (naming the target
  // and the cause, e.g. "No space left on device"); does nothing while writes succeed. Lets a
  // long writer stop at the first failure with its cause.
  void check_stream() const;

  // Flushes, checks for write errors, fsyncs, renames into place and fsyncs the folder. Throws
  // hc::Error naming the target and the cause; the temporary file is then removed.
  void commit();

 private:
  class Buffer;
  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
  std::unique_ptr<Buffer> buffer_;
  std::unique_ptr<std::ostream> out_;
  bool committed_ = false;
};

// Writes the whole of content to path through an AtomicFile.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

// fsync of a file or folder by path (folders: so that renames and new entries in them persist).
// Throws hc::Error naming the path; file systems that cannot sync folders (EINVAL) are accepted.
void sync_path(const std::filesystem::path& path);

}  // namespace hc
