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

std::string range_text(const HeaderEntry& entry) {
  return fmt::format("\"{}\" [{}, {}]", entry.name, entry.begin, entry.end);
}

// The format requires the tensors, taken in offset order, to tile the data section: each begins
// where the previous one ends, the first at 0, the last at the end. Anything else means a
// corrupt header or a header length off by some bytes, which would otherwise load every tensor
// shifted without a word. Empty tensors may sit at any boundary, including both ends.
void check_exact_coverage(const std::vector<HeaderEntry>& tensors, std::size_t data_size,
                          const std::string& file) {
  std::vector<const HeaderEntry*> by_offset;
  for (const auto& entry : tensors) by_offset.push_back(&entry);
  std::stable_sort(by_offset.begin(), by_offset.end(),
                   [](const HeaderEntry* a, const HeaderEntry* b) {
                     return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
                   });
  std::size_t covered = 0;            // bytes [0, covered) belong to tensors seen so far
  const HeaderEntry* last = nullptr;  // the tensor that ends at `covered`
  for (const HeaderEntry* current : by_offset) {
    if (current->begin > covered) {
      throw runtime_error("{}: data bytes [{}, {}) belong to no tensor: a hole {}", file, covered,
                          current->begin,
                          last ? "between " + range_text(*last) + " and " + range_text(*current)
                               : "before " + range_text(*current));
    }
    if (current->begin < covered) {
      if (current->begin != current->end) {
        throw runtime_error("{}: tensors {} and {} overlap", file, range_text(*last),
                            range_text(*current));
      }
      throw runtime_error("{}: empty tensor {} lies inside {}", file, range_text(*current),
                          range_text(*last));
    }
    if (current->end > covered || last == nullptr) last = current;
    covered = current->end;
  }
  if (covered != data_size) {
    throw runtime_error("{}: data bytes [{}, {}) after {} belong to no tensor: {} trailing "
                        "byte(s), from a wrong header length or bytes appended to the file",
                        file, covered, data_size,
                        last ? "the last tensor " + range_text(*last) : "an empty header",
                        data_size - covered);
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
  check_exact_coverage(header.tensors, data_size, file);
  return header;
}

}  // namespace hc::safetensors_detail
