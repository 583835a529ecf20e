#include <utility>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/io/text_file.h"

namespace hc {
namespace fs = std::filesystem;
namespace {

// Ordered, so that shards are opened in the order the index lists them.
using Json = nlohmann::ordered_json;

constexpr const char* kSingleFileName = "model.safetensors";
constexpr const char* kIndexFileName = "model.safetensors.index.json";

bool is_index_file(const fs::path& path) { return path.extension() == ".json"; }

// A single file wins over an index, as in Hugging Face's own loading order.
fs::path checkpoint_in_folder(const fs::path& folder) {
  for (const char* name : {kSingleFileName, kIndexFileName}) {
    if (fs::is_regular_file(folder / name)) return folder / name;
  }
  throw runtime_error("{}: no {} or {} in this folder", folder.string(), kSingleFileName,
                      kIndexFileName);
}

Json read_json_file(const fs::path& path) {
  std::string text = read_text_file(path);
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    throw runtime_error("{}: not valid JSON ({})", path.string(), e.what());
  }
}

// tensor name -> shard file name, in index order.
std::vector<std::pair<std::string, std::string>> read_weight_map(const fs::path& index) {
  Json root = read_json_file(index);
  const std::string name = index.string();
  if (!root.is_object() || !root.contains("weight_map")) {
    throw runtime_error("{}: expected an object with a \"weight_map\"", name);
  }
  const Json& weight_map = root["weight_map"];
  if (!weight_map.is_object()) {
    throw runtime_error("{}: \"weight_map\" must be an object of tensor name -> shard file, not {}",
                        name, weight_map.type_name());
  }
  if (weight_map.empty()) throw runtime_error("{}: \"weight_map\" lists no tensors", name);
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& [tensor, shard] : weight_map.items()) {
    if (!shard.is_string() || shard.get<std::string>().empty()) {
      throw runtime_error("{}: weight_map \"{}\" must name a shard file", name, tensor);
    }
    entries.emplace_back(tensor, shard.get<std::string>());
  }
  return entries;
}

}  // namespace

SafetensorsCheckpoint SafetensorsCheckpoint::open(const fs::path& path) {
  SafetensorsCheckpoint checkpoint;
  checkpoint.origin_ = fs::is_directory(path) ? checkpoint_in_folder(path) : path;
  if (!is_index_file(checkpoint.origin_)) {
    checkpoint.add_file(SafetensorsFile::open(checkpoint.origin_));
    return checkpoint;
  }

  const std::string index_name = checkpoint.origin_.string();
  std::map<std::string, std::size_t> shard_position;  // shard file name -> index in files_
  for (const auto& [tensor, shard] : read_weight_map(checkpoint.origin_)) {
    if (shard_position.count(shard) == 0) {
      // Shards live beside the index, wherever the index itself was opened from.
      fs::path shard_path = checkpoint.origin_.parent_path() / shard;
      if (!fs::is_regular_file(shard_path)) {
        throw runtime_error("{}: shard \"{}\" (for tensor \"{}\") does not exist: looked for {}",
                            index_name, shard, tensor, shard_path.string());
      }
      checkpoint.add_file(SafetensorsFile::open(shard_path));
      shard_position[shard] = checkpoint.files_.size() - 1;
    }
    if (!checkpoint.files_[shard_position[shard]]->contains(tensor)) {
      throw runtime_error("{}: maps tensor \"{}\" to shard \"{}\", which does not contain it",
                          index_name, tensor, shard);
    }
  }
  return checkpoint;
}

void SafetensorsCheckpoint::add_file(std::shared_ptr<SafetensorsFile> file) {
  std::size_t position = files_.size();
  for (const auto& name : file->names()) {
    auto [found, inserted] = owner_.emplace(name, position);
    if (!inserted) {
      throw runtime_error("{}: tensor \"{}\" appears in two shards, {} and {}", description(), name,
                          files_[found->second]->path().filename().string(),
                          file->path().filename().string());
    }
  }
  files_.push_back(std::move(file));
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
  std::vector<std::string> names;
  names.reserve(owner_.size());
  for (const auto& file : files_) {
    for (auto& name : file->names()) names.push_back(std::move(name));
  }
  return names;
}

bool SafetensorsCheckpoint::contains(const std::string& name) const {
  return owner_.count(name) != 0;
}

const TensorView& SafetensorsCheckpoint::get(const std::string& name) const {
  auto found = owner_.find(name);
  if (found == owner_.end()) {
    throw runtime_error("{}: no tensor named \"{}\"", description(), name);
  }
  return files_[found->second]->get(name);
}

void SafetensorsCheckpoint::release(const std::string& name) const {
  auto found = owner_.find(name);
  if (found != owner_.end()) files_[found->second]->release(name);
}

std::string SafetensorsCheckpoint::description() const {
  if (!is_index_file(origin_)) return origin_.string();
  return fmt::format("{} ({} shards)", origin_.string(), files_.size());
}

}  // namespace hc
