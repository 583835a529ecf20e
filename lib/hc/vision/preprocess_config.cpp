#include "hc/vision/preprocess_config.h"

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"

namespace hc {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kConfigFileName = "preprocessor_config.json";

fs::path locate_config_file(const fs::path& path) {
  if (fs::is_directory(path)) {
    fs::path inside = path / kConfigFileName;
    if (!fs::exists(inside)) {
      throw usage_error("{}: folder has no {}: expected a checkpoint folder or a JSON file",
                        path.string(), kConfigFileName);
    }
    return inside;
  }
  if (!fs::exists(path)) throw usage_error("{}: no such preprocessor config file", path.string());
  return path;
}

json parse_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw usage_error("{}: cannot open the preprocessor config", path.string());
  try {
    json document = json::parse(in);
    if (!document.is_object()) throw usage_error("{}: expected a JSON object", path.string());
    return document;
  } catch (const json::parse_error& e) {
    throw usage_error("{}: not valid JSON: {}", path.string(), e.what());
  }
}

// Present and not null: CLIPImageProcessor treats a null value as "use the default".
bool has(const json& document, const char* key) {
  return document.contains(key) && !document.at(key).is_null();
}

void read_bool(const json& document, const char* key, const std::string& where, bool& out) {
  if (!has(document, key)) return;
  if (!document.at(key).is_boolean()) {
    throw usage_error("{}: \"{}\" must be true or false, got {}", where, key,
                      document.at(key).dump());
  }
  out = document.at(key).get<bool>();
}

int positive_int(const json& value, const std::string& where, const std::string& key) {
  if (!value.is_number_integer() || value.get<long long>() <= 0 ||
      value.get<long long>() > 1 << 16) {
    throw usage_error("{}: \"{}\" must be a positive pixel count, got {}", where, key,
                      value.dump());
  }
  return value.get<int>();
}

// HF's get_size_dict: an int, a [height, width] list, or a dict with either "shortest_edge" or
// "height" and "width". Sets height/width, or shortest_edge when allowed and given.
void read_size(const json& value, const std::string& where, const std::string& key,
               bool int_is_shortest_edge, int* shortest_edge, int& height, int& width) {
  auto square = [&](int side) {
    if (int_is_shortest_edge) {
      *shortest_edge = side;
    } else {
      height = width = side;
    }
  };
  if (value.is_number()) {
    square(positive_int(value, where, key));
  } else if (value.is_array() && value.size() == 2) {
    height = positive_int(value[0], where, key + "[0]");
    width = positive_int(value[1], where, key + "[1]");
  } else if (value.is_object() && value.contains("shortest_edge") && shortest_edge &&
             !value.contains("longest_edge")) {
    *shortest_edge = positive_int(value.at("shortest_edge"), where, key + ".shortest_edge");
  } else if (value.is_object() && value.contains("height") && value.contains("width")) {
    height = positive_int(value.at("height"), where, key + ".height");
    width = positive_int(value.at("width"), where, key + ".width");
  } else {
    throw usage_error("{}: unsupported \"{}\" {}: expected an int, {}{{\"height\": H, \"width\": W}}",
                      where, key, value.dump(), shortest_edge ? "{\"shortest_edge\": N} or " : "");
  }
}

void read_resize(const json& document, const std::string& where, PreprocessConfig& config) {
  if (!has(document, "size")) return;
  int shortest = 0, height = 0, width = 0;
  read_size(document.at("size"), where, "size", true, &shortest, height, width);
  if (shortest > 0) {
    config.resize_rule = PreprocessConfig::ResizeRule::ShortestEdge;
    config.shortest_edge = shortest;
  } else {
    config.resize_rule = PreprocessConfig::ResizeRule::Exact;
    config.resize_height = height;
    config.resize_width = width;
  }
}

std::array<float, 3> read_triplet(const json& value, const std::string& where, const char* key) {
  auto number = [&](const json& v) {
    if (!v.is_number()) {
      throw usage_error("{}: \"{}\" must hold numbers, got {}", where, key, value.dump());
    }
    return static_cast<float>(v.get<double>());
  };
  if (value.is_number()) return {number(value), number(value), number(value)};
  if (!value.is_array() || value.size() != 3) {
    throw usage_error("{}: \"{}\" must be a list of 3 numbers (R, G, B), got {}", where, key,
                      value.dump());
  }
  return {number(value[0]), number(value[1]), number(value[2])};
}

void read_normalisation(const json& document, const std::string& where, PreprocessConfig& config) {
  if (has(document, "rescale_factor")) {
    const json& value = document.at("rescale_factor");
    if (!value.is_number() || value.get<double>() <= 0) {
      throw usage_error("{}: \"rescale_factor\" must be a positive number, got {}", where,
                        value.dump());
    }
    config.rescale_factor = value.get<double>();
  }
  if (has(document, "image_mean")) {
    config.image_mean = read_triplet(document.at("image_mean"), where, "image_mean");
  }
  if (has(document, "image_std")) {
    config.image_std = read_triplet(document.at("image_std"), where, "image_std");
    for (float s : config.image_std) {
      if (!(s > 0)) {
        throw usage_error("{}: \"image_std\" must be positive, got {}", where,
                          document.at("image_std").dump());
      }
    }
  }
}

// The shortest decimal that reads back as the same float (0.48145466, not 0.48145467042922974).
json shortest_decimals(const std::array<float, 3>& values) {
  json list = json::array();
  for (float v : values) list.push_back(std::stod(fmt::format("{}", v)));
  return list;
}

}  // namespace

PreprocessConfig PreprocessConfig::clip_default() { return PreprocessConfig{}; }

PreprocessConfig PreprocessConfig::from_json_file(const fs::path& path) {
  const fs::path file = locate_config_file(path);
  const json document = parse_json_file(file);
  const std::string where = file.string();
  PreprocessConfig config = clip_default();
  config.name = where;
  read_bool(document, "do_resize", where, config.do_resize);
  read_bool(document, "do_center_crop", where, config.do_center_crop);
  read_bool(document, "do_rescale", where, config.do_rescale);
  read_bool(document, "do_normalize", where, config.do_normalize);
  read_bool(document, "do_convert_rgb", where, config.do_convert_rgb);
  read_resize(document, where, config);
  if (has(document, "crop_size")) {
    read_size(document.at("crop_size"), where, "crop_size", false, nullptr, config.crop_height,
              config.crop_width);
  }
  if (has(document, "resample")) {
    const json& value = document.at("resample");
    if (!value.is_number_integer()) {
      throw usage_error("{}: \"resample\" must be a Pillow filter code, got {}", where,
                        value.dump());
    }
    config.resample = filter_from_pil_code(value.get<int>(), where);
  }
  read_normalisation(document, where, config);
  return config;
}

PreprocessConfig PreprocessConfig::preset(const std::string& name) {
  if (name == "clip_hf") return clip_default();
  if (name == "hgclip_legacy") {
    // torchvision Resize((224, 224)) on a PIL image: Pillow bilinear, aspect ratio not kept.
    PreprocessConfig config;
    config.name = name;
    config.resize_rule = ResizeRule::Exact;
    config.resample = ResampleFilter::Bilinear;
    config.do_center_crop = false;
    config.image_mean = {0.485f, 0.456f, 0.406f};
    config.image_std = {0.229f, 0.224f, 0.225f};
    return config;
  }
  throw usage_error("unknown preprocessing preset '{}': expected one of clip_hf, hgclip_legacy",
                    name);
}

PreprocessConfig PreprocessConfig::preset(const std::string& name, int image_size) {
  if (image_size <= 0 || image_size > 1 << 16) {
    throw usage_error("preprocessing preset {}: image size {} is not a pixel count", name,
                      image_size);
  }
  PreprocessConfig config = preset(name);
  config.shortest_edge = image_size;
  config.resize_height = config.resize_width = image_size;
  config.crop_height = config.crop_width = image_size;
  return config;
}

std::vector<std::string> PreprocessConfig::preset_names() { return {"clip_hf", "hgclip_legacy"}; }

int PreprocessConfig::output_height() const {
  if (do_center_crop) return crop_height;
  if (do_resize && resize_rule == ResizeRule::Exact) return resize_height;
  return 0;
}

int PreprocessConfig::output_width() const {
  if (do_center_crop) return crop_width;
  if (do_resize && resize_rule == ResizeRule::Exact) return resize_width;
  return 0;
}

std::string PreprocessConfig::to_json() const {
  json size = resize_rule == ResizeRule::ShortestEdge
                  ? json{{"shortest_edge", shortest_edge}}
                  : json{{"height", resize_height}, {"width", resize_width}};
  json document = {
      {"preset_or_file", name},
      {"do_resize", do_resize},
      {"size", size},
      {"resample", static_cast<int>(resample)},
      {"do_center_crop", do_center_crop},
      {"crop_size", {{"height", crop_height}, {"width", crop_width}}},
      {"do_rescale", do_rescale},
      {"rescale_factor", rescale_factor},
      {"do_normalize", do_normalize},
      {"image_mean", shortest_decimals(image_mean)},
      {"image_std", shortest_decimals(image_std)},
      {"do_convert_rgb", do_convert_rgb},
  };
  return document.dump();
}

}  // namespace hc
