#include "hc/data/hierarcaps_images.h"

#include <algorithm>
#include <charconv>
#include <system_error>

#include "hc/core/error.h"

namespace hc {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<int64_t> parse_digits(std::string_view digits) {
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), is_digit)) return std::nullopt;
  int64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<int64_t> coco_id_from_url(std::string_view url) {
  for (std::size_t i = 0; i + 1 < url.size(); ++i) {
    if (url[i] != '_' || !is_digit(url[i + 1])) continue;
    std::size_t end = i + 1;
    while (end < url.size() && is_digit(url[end])) ++end;
    return parse_digits(url.substr(i + 1, end - i - 1));
  }
  return std::nullopt;
}

std::optional<int64_t> coco_id_from_file_name(const std::string& file_name) {
  // os.path.splitext: the extension starts at the last dot that is not a leading dot.
  std::string_view name = file_name;
  std::size_t dot = name.rfind('.');
  std::size_t first_non_dot = name.find_first_not_of('.');
  if (dot != std::string_view::npos && first_non_dot != std::string_view::npos &&
      dot > first_non_dot) {
    name = name.substr(0, dot);
  }
  std::size_t underscore = name.rfind('_');
  std::string_view tail = underscore == std::string_view::npos ? name : name.substr(underscore + 1);
  return parse_digits(tail);
}

CocoImageFolder index_coco_images(const std::filesystem::path& folder) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    throw runtime_error("image folder {} does not exist or is not a folder", folder.string());
  }
  CocoImageFolder index;
  index.folder = folder;
  fs::directory_iterator it(folder, error);
  if (error) throw runtime_error("cannot list image folder {}: {}", folder.string(), error.message());
  for (; it != fs::directory_iterator(); it.increment(error)) {
    if (error) throw runtime_error("cannot list image folder {}: {}", folder.string(), error.message());
    std::string name = it->path().filename().string();
    if (name.empty() || name.front() == '.') continue;  // glob('*') skips hidden files
    if (!it->is_regular_file(error)) continue;          // folders, broken links
    std::optional<int64_t> id = coco_id_from_file_name(name);
    if (!id) continue;
    index.files[*id].push_back(it->path());
    ++index.file_count;
  }
  for (auto& [id, paths] : index.files) std::sort(paths.begin(), paths.end());
  return index;
}

}  // namespace hc
