// bench_preprocess [IMAGE_FOLDER | SHARED_DIR] [THREADS]: CLIP preprocessing throughput over a
// folder of images (default: the 1000 HierarCaps test images under $HC_SHARED_DIR), one thread
// stage by stage, then decode + preprocess on a thread pool. Prints one JSON object.
#include <nlohmann/json.hpp>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "hc/core/error.h"
#include "hc/core/machine_info.h"
#include "hc/core/thread_pool.h"
#include "hc/core/version.h"
#include "hc/vision/decode_image.h"
#include "hc/vision/normalize.h"
#include "hc/vision/preprocess.h"

namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double cpu_seconds(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// Wall time and CPU time together: on a shared machine the wall time of one thread includes
// waiting for a core, while its CPU time is the work itself.
struct Stopwatch {
  explicit Stopwatch(clockid_t cpu_clock) : clock(cpu_clock) {}
  clockid_t clock;
  Clock::time_point wall_start = Clock::now();
  double cpu_start = cpu_seconds(clock);
  double wall() const { return std::chrono::duration<double>(Clock::now() - wall_start).count(); }
  double cpu() const { return cpu_seconds(clock) - cpu_start; }
};

fs::path image_folder(int argc, char** argv) {
  const char* env = std::getenv("HC_SHARED_DIR");
  fs::path given = argc > 1 ? fs::path(argv[1]) : fs::path(env ? env : "../shared");
  fs::path hierarcaps = given / "data" / "hierarcaps" / "test_imgs";
  return fs::is_directory(hierarcaps) ? hierarcaps : given;
}

std::vector<fs::path> images_in(const fs::path& folder) {
  if (!fs::is_directory(folder)) {
    throw hc::usage_error("{}: not a folder: expected a folder of images or the shared data folder",
                          folder.string());
  }
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") images.push_back(entry.path());
  }
  std::sort(images.begin(), images.end());
  if (images.empty()) throw hc::usage_error("{}: no .jpg/.jpeg/.png images", folder.string());
  return images;
}

// Each stage timed over all images on one thread: where the time of one image goes.
nlohmann::json single_thread_stages(const std::vector<fs::path>& paths,
                                    const hc::PreprocessConfig& config) {
  const double n = static_cast<double>(paths.size());
  nlohmann::json result;
  double wall_total = 0, cpu_total = 0;
  auto record = [&](const std::string& stage, const Stopwatch& watch) {
    result[stage + "_ms_per_image"] = 1e3 * watch.wall() / n;
    result[stage + "_cpu_ms_per_image"] = 1e3 * watch.cpu() / n;
    wall_total += watch.wall();
    cpu_total += watch.cpu();
  };

  std::vector<hc::RgbImage> decoded;
  decoded.reserve(paths.size());
  Stopwatch decode(CLOCK_THREAD_CPUTIME_ID);
  for (const auto& path : paths) decoded.push_back(hc::decode_image(path));
  record("decode", decode);

  std::vector<hc::RgbImage> cropped;
  cropped.reserve(paths.size());
  Stopwatch resize(CLOCK_THREAD_CPUTIME_ID);
  for (const auto& image : decoded) cropped.push_back(hc::resize_and_crop(image, config));
  record("resize_crop", resize);

  const hc::PixelNormalizer normalizer(config);
  std::vector<float> out(3 * static_cast<std::size_t>(config.output_height()) *
                         config.output_width());
  Stopwatch normalize(CLOCK_THREAD_CPUTIME_ID);
  for (const auto& image : cropped) normalizer.to_chw(image, out.data());
  record("normalize", normalize);

  result["images_per_s"] = n / wall_total;
  result["images_per_cpu_s"] = n / cpu_total;
  return result;
}

nlohmann::json pooled(const std::vector<fs::path>& paths, const hc::PreprocessConfig& config,
                      std::size_t threads) {
  hc::ThreadPool pool(threads);
  Stopwatch watch(CLOCK_PROCESS_CPUTIME_ID);
  const std::vector<float> batch = hc::preprocess_batch(paths, config, pool);
  return {{"threads", pool.size()},
          {"seconds", watch.wall()},
          {"cpu_seconds", watch.cpu()},
          {"images_per_s", static_cast<double>(paths.size()) / watch.wall()}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<fs::path> paths = images_in(image_folder(argc, argv));
    const std::size_t threads = argc > 2 ? std::stoul(argv[2]) : 0;
    const hc::PreprocessConfig config = hc::PreprocessConfig::clip_default();
    hc::ThreadPool warm(threads);
    hc::preprocess_batch(paths, config, warm);  // page cache and allocator warm-up, untimed

    nlohmann::json result = {
        {"bench", "preprocess"},
        {"config", config.name},
        {"images", paths.size()},
        {"folder", paths.front().parent_path().string()},
        {"output", {{"dtype", "f32"}, {"shape", {3, config.output_height(), config.output_width()}}}},
        {"single_thread", single_thread_stages(paths, config)},
        {"pool", pooled(paths, config, threads)},
        {"machine", hc::machine_info()},
    };
    std::cout << result.dump(2) << std::endl;
    return 0;
  } catch (const hc::Error& e) {
    std::cerr << "bench_preprocess: " << e.what() << std::endl;
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "bench_preprocess: " << e.what()
              << " (usage: bench_preprocess [IMAGE_FOLDER|SHARED_DIR] [THREADS])" << std::endl;
    return 2;
  }
}
