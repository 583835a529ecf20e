#pragma once
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "hc/vision/resample_filter.h"

namespace hc {

// How images become model input: the fields of Hugging Face's CLIPImageProcessor
// (preprocessor_config.json), selected by a named preset or read from a checkpoint's file.
struct PreprocessConfig {
  // How `do_resize` sizes the image: the short side to `shortest_edge` keeping the aspect ratio
  // ({"shortest_edge": N} or the old plain int), or both sides to the given size, squashing
  // ({"height": H, "width": W}).
  enum class ResizeRule { ShortestEdge, Exact };

  std::string name = "clip_hf";  // the preset or file it came from, for messages and metadata
  bool do_resize = true;
  ResizeRule resize_rule = ResizeRule::ShortestEdge;
  int shortest_edge = 224;
  int resize_height = 224;  // ResizeRule::Exact only
  int resize_width = 224;
  ResampleFilter resample = ResampleFilter::Bicubic;
  bool do_center_crop = true;
  int crop_height = 224;
  int crop_width = 224;
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::array<float, 3> image_mean{0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> image_std{0.26862954f, 0.26130258f, 0.27577711f};
  // Accepted for compatibility; images always become 3-channel RGB, which the towers need.
  bool do_convert_rgb = true;

  // openai/clip-vit-*: shortest edge 224, Pillow bicubic, centre crop 224, CLIP mean/std.
  static PreprocessConfig clip_default();
  // A preprocessor_config.json, or a folder holding one (a checkpoint folder). Missing keys keep
  // the CLIP defaults, as CLIPImageProcessor's constructor does; unknown keys are ignored.
  // Throws hc::Error naming the file and key on a malformed file or value.
  static PreprocessConfig from_json_file(const std::filesystem::path& path);
  // A named preset: "clip_hf" (= clip_default()) or "hgclip_legacy" (HGCLIP's official code:
  // torchvision Resize((224, 224)), i.e. a squash with Pillow bilinear, ToTensor, ImageNet
  // mean/std; ToTensor's float32 v / 255 equals HF's float32(float64(v) / 255) for every v).
  static PreprocessConfig preset(const std::string& name);
  static std::vector<std::string> preset_names();
  // A preset for a model of another input size (the tiny test models, 336-pixel ViTs): the
  // squash size, or the shortest edge and centre crop, set to image_size.
  static PreprocessConfig preset(const std::string& name, int image_size);

  // The size of every preprocessed image, or 0 when it depends on the input image (neither a
  // crop nor a squash fixes it).
  int output_height() const;
  int output_width() const;
  bool has_fixed_output_size() const { return output_height() > 0; }

  // The config as preprocessor_config.json keys (dict forms), for metadata and --dump-config.
  std::string to_json() const;
};

}  // namespace hc
