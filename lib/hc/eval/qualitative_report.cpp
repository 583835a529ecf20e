#include "hc/eval/qualitative_report.h"

#include <algorithm>
#include <sstream>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/vision/decode_image.h"

namespace hc {
namespace fs = std::filesystem;
namespace {

constexpr int kThumbnailJpegQuality = 85;

std::string base64(const std::vector<unsigned char>& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const unsigned v = (bytes[i] << 16) | (two ? bytes[i + 1] << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += two ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; background: #fafafa; }
h1 { font-size: 22px; margin-bottom: 4px; }
p.meta { color: #555; margin-top: 0; }
.legend span { padding: 1px 6px; border-radius: 3px; }
section.item { display: flex; gap: 18px; background: #fff; border: 1px solid #ddd;
               border-radius: 6px; padding: 12px; margin: 12px 0; }
section.item img { flex: none; align-self: flex-start; border-radius: 4px; }
section.item h2 { font-size: 15px; margin: 0 0 6px 0; }
section.item h3 { font-size: 13px; margin: 8px 0 2px 0; color: #555; text-transform: uppercase; }
ol { margin: 0; padding-left: 22px; }
li { margin: 2px 0; }
.hit { background: #d7f5d7; }
.score { color: #888; font-size: 12px; margin-left: 6px; }
.columns { display: flex; gap: 24px; flex-wrap: wrap; }
.columns > div { flex: 1 1 320px; }
)";

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string thumbnail_data_uri(const fs::path& image, int max_side) {
  const RgbImage rgb = decode_image(image);  // its errors name the file
  cv::Mat view(rgb.height, rgb.width, CV_8UC3, const_cast<uint8_t*>(rgb.pixels.data()));
  cv::Mat bgr;
  cv::cvtColor(view, bgr, cv::COLOR_RGB2BGR);
  const int side = std::max(rgb.width, rgb.height);
  if (max_side > 0 && side > max_side) {
    const double scale = static_cast<double>(max_side) / side;
    cv::Mat small;
    cv::resize(bgr, small,
               cv::Size(std::max(1, static_cast<int>(rgb.width * scale + 0.5)),
                        std::max(1, static_cast<int>(rgb.height * scale + 0.5))),
               0, 0, cv::INTER_AREA);
    bgr = small;
  }
  std::vector<unsigned char> jpeg;
  if (!cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, kThumbnailJpegQuality})) {
    throw runtime_error("image {}: could not encode its thumbnail", image.string());
  }
  return "data:image/jpeg;base64," + base64(jpeg);
}

std::vector<QualitativeItem> qualitative_items(const HierarCapsSet& set,
                                               const std::vector<std::vector<std::string>>& chains,
                                               const std::vector<std::vector<double>>& scores,
                                               std::size_t max_images) {
  const std::size_t count =
      max_images == 0 ? set.images.size() : std::min(max_images, set.images.size());
  if (chains.size() < count || scores.size() < count) {
    throw runtime_error("qualitative report: {} chains for {} images", chains.size(), count);
  }
  std::vector<QualitativeItem> items(count);
  for (std::size_t i = 0; i < count; ++i) {
    const HierarCapsImage& image = set.images[i];
    QualitativeItem& item = items[i];
    item.coco_id = image.coco_id;
    item.image = image.file;
    item.chain = chains[i];
    item.scores = scores[i];
    for (std::size_t row : image.rows) item.ground_truth.push_back(set.rows[row].captions);
  }
  return items;
}

void write_chains_jsonl(const fs::path& path, const std::vector<QualitativeItem>& items) {
  AtomicFile file(path);
  for (const auto& item : items) {
    nlohmann::ordered_json line{{"coco_id", item.coco_id},
                                {"file", item.image.filename().string()},
                                {"chain", item.chain},
                                {"scores", item.scores},
                                {"ground_truth", item.ground_truth}};
    file.stream() << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  file.commit();
}

void write_chains_html(const fs::path& path, const std::vector<QualitativeItem>& items,
                       const QualitativePageInfo& info) {
  std::vector<std::string> thumbnails(items.size());
  ThreadPool pool(static_cast<std::size_t>(std::max(0, info.threads)));  // 0 = all cores
  pool.parallel_for(items.size(), [&](std::size_t i) {
    thumbnails[i] = thumbnail_data_uri(items[i].image, info.thumbnail_size);
  });

  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<title>" << html_escape(info.title) << "</title>\n<style>" << kStyle
       << "</style>\n</head>\n<body>\n"
       << "<h1>" << html_escape(info.title) << "</h1>\n"
       << "<p class=\"meta\">" << items.size() << " images; model "
       << html_escape(info.model) << "; " << info.candidate_count << " candidate texts from "
       << html_escape(info.candidates) << "; " << info.steps << " radius levels</p>\n"
       << "<p class=\"legend\">Each chain lists the text retrieved at each radius level, from "
          "the root outwards (general to specific), repeats dropped. "
          "<span class=\"hit\">Marked</span> texts belong to the image's own hierarchies.</p>\n";
  for (std::size_t i = 0; i < items.size(); ++i) {
    const QualitativeItem& item = items[i];
    std::unordered_set<std::string> truth;
    for (const auto& chain : item.ground_truth) truth.insert(chain.begin(), chain.end());
    const std::string name = item.image.filename().string();
    html << "<section class=\"item\" id=\"image-" << item.coco_id << "\" data-coco-id=\""
         << item.coco_id << "\">\n"
         << "<img src=\"" << thumbnails[i] << "\" alt=\"" << html_escape(name) << "\">\n"
         << "<div>\n<h2>" << html_escape(name) << " <span class=\"score\">COCO id "
         << item.coco_id << "</span></h2>\n<div class=\"columns\">\n"
         << "<div><h3>Predicted chain</h3>\n<ol class=\"predicted\">\n";
    for (std::size_t p = 0; p < item.chain.size(); ++p) {
      const bool hit = truth.count(item.chain[p]) > 0;
      html << "<li" << (hit ? " class=\"hit\"" : "") << ">" << html_escape(item.chain[p]);
      if (p < item.scores.size()) {
        html << "<span class=\"score\">" << fmt::format("{:.3f}", item.scores[p]) << "</span>";
      }
      html << "</li>\n";
    }
    html << "</ol></div>\n<div><h3>Ground truth</h3>\n";
    for (const auto& chain : item.ground_truth) {
      html << "<ol class=\"truth\">\n";
      for (const auto& text : chain) html << "<li>" << html_escape(text) << "</li>\n";
      html << "</ol>\n";
    }
    html << "</div>\n</div>\n</div>\n</section>\n";
  }
  html << "</body>\n</html>\n";
  write_file_atomically(path, html.str());
}

}  // namespace hc
