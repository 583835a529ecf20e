#include "hc/io/safetensors_header.h"

#include <algorithm>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"

namespace hc::safetensors_detail {
namespace {

// Ordered, so that names() reports tensors in the order the file lists them.
using Json = nlohmann::ordered_json;

constexpr const char* kMetadataKey = "__metadata__";

// nlohmann keeps the last of repeated keys silently; a repeated tensor name is a corrupt header.
Json parse_json_rejecting_duplicate_names(std::string_view text, const std::string& file) {
  std::set<std::string> seen;
  auto check_key = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1 &&
        !seen.insert(parsed.get<std::string>()).second) {
      throw runtime_error("{}: header lists \"{}\" twice", file, parsed.get<std::string>());
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), check_key);
  } catch (const Json::exception& e) {
    throw runtime_error("{}: header is not valid JSON ({})", file, e.what());
  }
}

std::map<std::string, std::string> parse_metadata(const Json& value, const std::string& file) {
  if (!value.is_object()) {
    throw runtime_error("{}: {} must be an object of strings, not {}", file, kMetadataKey,
                        value.type_name());
  }
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      throw runtime_error("{}: {} key \"{}\" must be a string, not {}", file, kMetadataKey, key,
                          item.type_name());
    }
    metadata[key] = item.get<std::string>();
  }
  return metadata;
}

const Json& required_field(const Json& entry, const char* field, const std::string& where) {
  auto found = entry.find(field);
  if (found == entry.end()) throw runtime_error("{}: missing \"{}\"", where, field);
  return *found;
}

// A JSON integer in [0, max]; `what` names the value for the message.
std::uint64_t non_negative_integer(const Json& value, const std::string& what, std::uint64_t max,
                                   const std::string& where) {
  if (value.is_number_unsigned()) {
    auto number = value.get<std::uint64_t>();
    if (number > max) throw runtime_error("{}: {} {} is too large", where, what, number);
    return number;
  }
  if (value.is_number_integer()) {
    throw runtime_error("{}: {} {} is negative", where, what, value.get<std::int64_t>());
  }
  throw runtime_error("{}: {} must be a non-negative integer, not {}", where, what,
                      value.type_name());
}

std::vector<int64_t> parse_shape(const Json& value, const std::string& where) {
  if (!value.is_array()) {
    throw runtime_error("{}: \"shape\" must be an array of integers, not {}", where,
                        value.type_name());
  }
  std::vector<int64_t> shape;
  for (const auto& dim : value) {
    auto max_dim = static_cast<std::uint64_t>(std::numeric_limits<int64_t>::max());
    shape.push_back(static_cast<int64_t>(non_negative_integer(dim, "shape dim", max_dim, where)));
  }
  return shape;
}

// The byte size the shape and dtype call for, or an error when it cannot even be represented.
std::uint64_t expected_bytes(const std::vector<int64_t>& shape, DType dtype,
                             const std::string& where) {
  std::uint64_t bytes = dtype_size(dtype);
  for (int64_t dim : shape) {
    auto d = static_cast<std::uint64_t>(dim);
    if (d != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / d) {
      throw runtime_error("{}: shape is too large for any file", where);
    }
    bytes *= d;
  }
  return bytes;
}

HeaderEntry parse_entry(const std::string& name, const Json& value, std::size_t data_size,
                        const std::string& file) {
  std::string where = fmt::format("{}: tensor \"{}\"", file, name);
  if (!value.is_object()) {
    throw runtime_error("{}: expected an object with dtype, shape and data_offsets, not {}", where,
                        value.type_name());
  }
  HeaderEntry entry;
  entry.name = name;

  const Json& dtype = required_field(value, "dtype", where);
  if (!dtype.is_string()) {
    throw runtime_error("{}: \"dtype\" must be a string, not {}", where, dtype.type_name());
  }
  entry.dtype = parse_dtype(dtype.get<std::string>(), where);
  entry.shape = parse_shape(required_field(value, "shape", where), where);

  const Json& offsets = required_field(value, "data_offsets", where);
  if (!offsets.is_array() || offsets.size() != 2) {
    throw runtime_error("{}: \"data_offsets\" must be an array [begin, end]", where);
  }
  auto max_offset = static_cast<std::uint64_t>(std::numeric_limits<std::size_t>::max());
  auto begin = non_negative_integer(offsets[0], "data offset begin", max_offset, where);
  auto end = non_negative_integer(offsets[1], "data offset end", max_offset, where);
  if (begin > end) {
    throw runtime_error("{}: data_offsets begin {} is past end {}", where, begin, end);
  }
  auto wanted = expected_bytes(entry.shape, entry.dtype, where);
  if (end - begin != wanted) {
    throw runtime_error("{}: data_offsets [{}, {}] hold {} bytes but shape and dtype {} need {}",
                        where, begin, end, end - begin, dtype_name(entry.dtype), wanted);
  }
  if (end > data_size) {
    throw runtime_error("{}: truncated: data_offsets end {} is past the {} bytes of data in the file",
                        where, end, data_size);
  }
  entry.begin = static_cast<std::size_t>(begin);
  entry.end = static_cast<std::size_t>(end);
  return entry;
}

// Empty ranges share no bytes with anything, so only non-empty ones can overlap.
void check_no_overlaps(const std::vector<HeaderEntry>& tensors, const std::string& file) {
  std::vector<const HeaderEntry*> by_offset;
  for (const auto& entry : tensors) {
    if (entry.begin != entry.end) by_offset.push_back(&entry);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const HeaderEntry* a, const HeaderEntry* b) { return a->begin < b->begin; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    const HeaderEntry& previous = *by_offset[i - 1];
    const HeaderEntry& current = *by_offset[i];
    if (current.begin < previous.end) {
      throw runtime_error("{}: tensors \"{}\" [{}, {}] and \"{}\" [{}, {}] overlap", file,
                          previous.name, previous.begin, previous.end, current.name,
                          current.begin, current.end);
    }
  }
}

}  // namespace

Header parse_header(std::string_view json_text, std::size_t data_size, const std::string& file) {
  Json root = parse_json_rejecting_duplicate_names(json_text, file);
  if (!root.is_object()) {
    throw runtime_error("{}: header must be a JSON object, not {}", file, root.type_name());
  }
  Header header;
  for (const auto& [key, value] : root.items()) {
    if (key == kMetadataKey) {
      header.metadata = parse_metadata(value, file);
    } else {
      header.tensors.push_back(parse_entry(key, value, data_size, file));
    }
  }
  check_no_overlaps(header.tensors, file);
  return header;
}

}  // namespace hc::safetensors_detail
