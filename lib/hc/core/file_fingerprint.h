#pragma once
// SHA-256 of large files (model weights), memoised so that re-runs do not hash gigabytes again.
//
// Each hashed file leaves a small JSON sidecar in <cache>/fingerprints/ (cache: hc_cache_dir(),
// i.e. $HC_CACHE_DIR, else ${XDG_CACHE_HOME:-~/.cache}/hc) keyed by the file's absolute path
// with symlinks resolved (so the snapshots of the Hugging Face cache that share a blob share an
// entry), and valid while the file's size, modification time (ns), inode, device and change time
// are those recorded: a file replaced by another of the same size and mtime (rsync -a renaming
// over it, cp -p copying into it) is hashed again, and so, harmlessly, is one chmod-ed. A file
// modified within the last 2 seconds is hashed but not memoised: a later write within the same
// timestamp tick could otherwise go unnoticed. Deleting the folder is always safe. A cache that
// cannot be written only costs the hashing next time (logged at debug level).
#include <filesystem>
#include <string>

namespace hc {

// The folder of the sidecars: hc_cache_dir() / "fingerprints".
std::filesystem::path fingerprint_cache_dir();

// sha256_file(path) through the sidecar cache in cache_dir (default fingerprint_cache_dir()).
// Throws an hc::Error naming the file when it cannot be read.
std::string cached_sha256_file(const std::filesystem::path& path);
std::string cached_sha256_file(const std::filesystem::path& path,
                               const std::filesystem::path& cache_dir);

}  // namespace hc
