#pragma once
// The fingerprint results record and caches key on: a SHA-256 over a checkpoint's weights files.
// Torch-free.
#include <filesystem>
#include <string>
#include <vector>

namespace hc {

class SafetensorsCheckpoint;

// The .safetensors files of a checkpoint (each shard of a sharded one), in file name order.
std::vector<std::filesystem::path> weights_files(const SafetensorsCheckpoint& checkpoint);

// One file: its SHA-256, what `sha256sum FILE` prints (and, for a hub checkpoint, its LFS object
// id). Several (shards): the SHA-256 of the listing `sha256sum` prints for them in file name
// order, one "<hex>  <file name>\n" line each, i.e. `sha256sum SHARDS... | sha256sum`. Each
// file's hash is memoised (cached_sha256_file), so a re-run does not read the weights again.
std::string weights_sha256(std::vector<std::filesystem::path> files);

}  // namespace hc
