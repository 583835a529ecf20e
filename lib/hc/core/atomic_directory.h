#pragma once
// A folder that appears under its final name only once every file in it is complete and on disk
// (checkpoints, model folders): the AtomicFile idea for a set of files.
#include <filesystem>

namespace hc {

// Files are written into a temporary sibling folder, path(); commit() fsyncs every file and
// folder in it, renames it to the target in one step and fsyncs the parent. Until then nothing
// exists under the target name; a destroyed, uncommitted object removes its temporary folder.
//
// The temporary folder is named ".<name>.tmp.<host>.<pid>.<n>": hidden, never the target's
// name, so no reader takes a half-written folder for a finished one. Folders left behind by a
// killed run are never read; the next AtomicDirectory for the same target removes those whose
// process (on this host) no longer exists, and leaves the others alone (a live writer's).
//
// Replacing an existing target (IfExists::Replace) swaps the two folders in one rename
// (renameat2 RENAME_EXCHANGE) and then deletes the old one, so the target always holds the old or
// the new folder. Where the file system cannot swap, the old folder is first moved aside to
// ".<name>.old.<host>.<pid>.<n>" and put back if the new one cannot be moved in.
class AtomicDirectory {
 public:
  enum class IfExists { Refuse, Replace };

  // Creates the temporary folder (and the target's parent). With IfExists::Refuse an existing
  // target is a usage hc::Error, checked here and again, atomically, at commit().
  explicit AtomicDirectory(std::filesystem::path target, IfExists if_exists = IfExists::Refuse);
  ~AtomicDirectory();
  AtomicDirectory(const AtomicDirectory&) = delete;
  AtomicDirectory& operator=(const AtomicDirectory&) = delete;

  // Where to write the folder's files (AtomicFile or plain writes; commit() syncs them all).
  const std::filesystem::path& path() const { return temp_; }
  const std::filesystem::path& target() const { return target_; }

  void commit();

 private:
  void place_new();
  void replace_existing();

  std::filesystem::path target_;
  std::filesystem::path temp_;
  IfExists if_exists_;
  bool committed_ = false;
};

}  // namespace hc
