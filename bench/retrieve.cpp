// bench_retrieve [SHARED_DIR] [ROWS] [THREADS] [REPEATS] [DTYPES]: the speed figures of
// hc-retrieve, in each of DTYPES (default fp32,bf16).
//   metric:        evaluate_hierarchical_retrieval alone on the 1000-row test set (the metrics
//                  fixture's D=64 embeddings, and random D=512 ones), median of 5 runs,
//                  beside its target (D=64 under 0.5 s);
//   whole_run:     hc::run_retrieve, the library call behind hc-retrieve, in hierarchical mode
//                  with a ViT-B/32-shaped random checkpoint (hc init-model, seed 0) over the
//                  first ROWS rows (default 200, the official pipeline's reference figure): loading the data and the model, tokenising,
//                  decoding, embedding texts, images and the root, the metric, the calibration
//                  baselines, cross-modal R@K and the outputs; embedding cache cold;
//   forward_only:  the same model's forward passes alone on inputs prepared beforehand (the
//                  distinct texts and "" in the engine's length buckets, the image batches);
//   cached_run:    run_retrieve again with the cache a whole run filled.
// The whole and forward-only runs alternate REPEATS times (default 1); the fastest of each counts.
// Prints one JSON object: per dtype the times, whole_run / forward_only (targets 1.3 in fp32,
// 1.15 in bf16), CPU time per wall second (on a shared machine wall time includes waiting for
// a core), with 200 rows the speed-up over the official pipeline's time on the reference
// machine (targets 2.5x fp32, 5x bf16); bf16's speed-up over fp32 (target 1.8x) and the
// machine.
#include <nlohmann/json.hpp>

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "hc/core/atomic_file.h"
#include "hc/core/config.h"
#include "hc/core/tool.h"
#include "hc/core/error.h"
#include "hc/core/logging.h"
#include "hc/core/machine_info.h"
#include "hc/core/result.h"
#include "hc/core/thread_pool.h"
#include "hc/data/hierarcaps.h"
#include "hc/embed/length_buckets.h"
#include "hc/embed/text_embedder.h"
#include "hc/eval/hierarchical_retrieval.h"
#include "hc/eval/retrieve_command.h"
#include "hc/tool/compute_context.h"
#include "hc/io/csv.h"
#include "hc/io/safetensors.h"
#include "hc/model/clip_bundle.h"
#include "hc/model/init_model.h"
#include "hc/tensor/blas_kernels.h"
#include "hc/tensor/compute_threads.h"
#include "hc/tensor/device.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/vision/preprocess.h"

#include "stopwatch.h"

namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using hc::bench::Stopwatch;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

constexpr double kOfficial200RowsSeconds = 34.4;

nlohmann::json dtype_targets() { return {{"fp32", 1.3}, {"bf16", 1.15}}; }

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) items.push_back(item);
  return items;
}

nlohmann::json metric_figures(const fs::path& shared) {
  hc::HierarCapsOptions options;
  options.csv = shared / "data/hierarcaps/hierarcaps_test.csv";
  const hc::HierarCapsSet set = hc::load_hierarcaps(options);
  auto file = hc::SafetensorsFile::open(shared / "fixtures/metrics/hierarcaps_test/embeddings.safetensors");
  const at::Tensor text = hc::to_tensor(file->get("text"), at::kCPU);
  const at::Tensor image = hc::to_tensor(file->get("image"), at::kCPU);
  const at::Tensor root = hc::to_tensor(file->get("root"), at::kCPU);
  torch::manual_seed(0);
  const at::Tensor text512 = torch::randn({text.size(0), 4, 512});
  const at::Tensor image512 = torch::randn({image.size(0), 512});
  const at::Tensor root512 = torch::randn({512});

  auto time = [&](const at::Tensor& t, const at::Tensor& v, const at::Tensor& r) {
    hc::evaluate_hierarchical_retrieval(t, v, r, set);  // warm-up
    std::vector<double> runs;
    for (int i = 0; i < 5; ++i) {
      Stopwatch watch;
      hc::evaluate_hierarchical_retrieval(t, v, r, set);
      runs.push_back(watch.wall());
    }
    return median(runs);
  };
  return {{"rows", set.rows.size()},
          {"images", set.images.size()},
          {"steps", 50},
          {"d64_seconds", time(text, image, root)},
          // The claim a unit test used to time: the 1000-row metric well under a second.
          {"d64_target_seconds", 0.5},
          {"d512_seconds", time(text512, image512, root512)}};
}

// The first `rows` rows of the test CSV.
fs::path write_subset(const fs::path& shared, const fs::path& csv, std::size_t rows) {
  hc::CsvReader reader(shared / "data/hierarcaps/hierarcaps_test.csv");
  std::ostringstream text;
  hc::CsvWriter writer(text);
  writer.write_row(reader.header());
  hc::CsvRow row;
  for (std::size_t i = 0; i < rows && reader.next(row); ++i) writer.write_row(row.fields);
  hc::write_file_atomically(csv, text.str());
  return csv;
}

nlohmann::json whole_run(const hc::RetrieveOptions& options, const hc::ComputeOptions& compute,
                         const fs::path& output) {
  const hc::ToolInfo info("hc-retrieve", "bench_retrieve", {});
  const hc::ConfigSchema schema;
  hc::RunContext context{info, hc::resolve_compute(compute), output.string(), schema};
  hc::RunResult result("hc-retrieve", output.string());
  Stopwatch watch;
  hc::run_retrieve(options, context, result);
  result.write();
  nlohmann::json figures = watch.json();
  std::ifstream in(output);
  const nlohmann::json written = nlohmann::json::parse(in);
  figures["timing"] = written["timing"];
  figures["embedding"] = written["embedding"];
  figures["precision"] = written["metrics"]["precision"];
  return figures;
}

// The forward passes the run makes (distinct texts and "", the images), on inputs prepared
// beforehand.
nlohmann::json forward_only(const hc::ClipBundle& bundle, const hc::HierarCapsSet& set,
                            int batch_size) {
  hc::ThreadPool pool;
  std::vector<std::string> texts = set.texts();
  texts.push_back("");
  std::sort(texts.begin(), texts.end());
  texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
  hc::EmbedOptions embed;
  embed.batch_size = batch_size;
  hc::TextEmbedder embedder(bundle.model, bundle.tokenizer, embed, pool);
  const auto tokens = embedder.tokenize(texts);
  std::vector<std::size_t> lengths;
  for (const auto& ids : tokens) lengths.push_back(ids.size());
  std::vector<at::Tensor> token_batches;
  for (const auto& batch : hc::length_buckets(lengths, static_cast<std::size_t>(batch_size))) {
    const auto length = static_cast<int64_t>(lengths[batch.front()]);
    at::Tensor ids = at::zeros({static_cast<int64_t>(batch.size()), length}, at::kLong);
    for (std::size_t r = 0; r < batch.size(); ++r) {
      std::copy(tokens[batch[r]].begin(), tokens[batch[r]].end(),
                ids.data_ptr<int64_t>() + static_cast<int64_t>(r) * length);
    }
    token_batches.push_back(ids);
  }
  std::vector<at::Tensor> pixel_batches;
  const int64_t size = bundle.preprocess.output_height();
  for (std::size_t begin = 0; begin < set.images.size(); begin += batch_size) {
    std::vector<fs::path> paths;
    for (std::size_t i = begin; i < std::min(set.images.size(), begin + batch_size); ++i) {
      paths.push_back(set.images[i].file);
    }
    std::vector<float> pixels = hc::preprocess_batch(paths, bundle.preprocess, pool);
    pixel_batches.push_back(
        at::from_blob(pixels.data(), {static_cast<int64_t>(paths.size()), 3, size, size})
            .to(bundle.model->dtype(), /*non_blocking=*/false, /*copy=*/true));
  }

  torch::NoGradGuard no_grad;
  const auto& model = bundle.model;
  Stopwatch all;
  Stopwatch text_watch;
  for (const auto& ids : token_batches) model->encode_text(ids).text_embeds.to(at::kFloat);
  const double text_seconds = text_watch.wall();
  Stopwatch image_watch;
  for (const auto& pixels : pixel_batches) model->encode_image(pixels).image_embeds.to(at::kFloat);
  nlohmann::json figures = all.json();
  figures["texts_seconds"] = text_seconds;
  figures["images_seconds"] = image_watch.wall();
  figures["distinct_texts"] = texts.size();
  figures["images"] = set.images.size();
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const char* env = std::getenv("HC_SHARED_DIR");
    const fs::path shared = argc > 1 ? fs::path(argv[1]) : fs::path(env ? env : "../shared");
    const std::size_t rows = argc > 2 ? std::stoul(argv[2]) : 200;
    const int threads = argc > 3 ? std::stoi(argv[3]) : 0;
    const int repeats = std::max(1, argc > 4 ? std::stoi(argv[4]) : 1);
    const std::vector<std::string> dtypes = split_list(argc > 5 ? argv[5] : "fp32,bf16");
    hc::init_logging("warn");
    hc::use_compute_threads(threads);

    nlohmann::json result{{"bench", "retrieve"}, {"metric", metric_figures(shared)}};

    const fs::path scratch = fs::temp_directory_path() / ("hc-bench-retrieve-" + std::to_string(::getpid()));
    fs::create_directories(scratch);
    hc::InitModelOptions init;
    init.architecture = "ViT-B-32";
    init.seed = 0;
    init.out = scratch / "model";
    init.vocab = shared / "data/clip-tokenizer";
    hc::init_model(init);

    hc::RetrieveOptions options;
    options.model.path = init.out.string();
    options.data.csv = write_subset(shared, scratch / "rows.csv", rows);
    options.data.images = shared / "data/hierarcaps/test_imgs";
    const hc::HierarCapsSet set = hc::load_hierarcaps(options.data);

    result["model"] = "ViT-B-32 (random, seed 0)";
    result["device"] = "cpu";
    result["batch_size"] = options.model.batch_size;
    result["rows"] = set.rows.size();
    result["load_average_before"] = hc::machine_info()["load_average_1min"];
    for (const std::string dtype : dtypes) {
      hc::ComputeOptions compute;
      compute.threads = threads;
      compute.dtype = dtype;
      const hc::ClipBundle bundle =
          hc::open_clip_bundle(options.model.path, at::kCPU, hc::parse_scalar_type(dtype));
      // Interleaved REPEATS times, the fastest of each kept: other work on a shared machine
      // inflates single runs. Each whole run starts with an empty cache.
      nlohmann::json forward, cold;
      std::vector<double> forward_runs, cold_runs;
      for (int run = 0; run < repeats; ++run) {
        const nlohmann::json f = forward_only(bundle, set, options.model.batch_size);
        options.model.cache_dir = scratch / (dtype + "-cache-" + std::to_string(run));
        const nlohmann::json w = whole_run(options, compute, scratch / "cold" / "result.json");
        forward_runs.push_back(f["seconds"]);
        cold_runs.push_back(w["seconds"]);
        if (run == 0 || f["seconds"] < forward["seconds"]) forward = f;
        if (run == 0 || w["seconds"] < cold["seconds"]) cold = w;
      }
      const nlohmann::json cached =
          whole_run(options, compute, scratch / "cached" / "result.json");
      nlohmann::json figures{{"whole_run", cold}, {"forward_only", forward}, {"cached_run", cached}};
      figures["runs"] = {{"forward_only_s", forward_runs}, {"whole_run_s", cold_runs}};
      figures["ratio"] = cold["seconds"].get<double>() / forward["seconds"].get<double>();
      figures["ratio_cpu"] =
          cold["cpu_seconds"].get<double>() / forward["cpu_seconds"].get<double>();
      figures["cpu_per_wall"] = cold["cpu_seconds"].get<double>() / cold["seconds"].get<double>();
      // The official evaluation pipeline's time for the first 200 rows on the reference machine
      // (its own loop, an HF-equivalent fp32 model; measured once, it cannot run here).
      if (set.rows.size() == 200) {
        figures["official_200_rows_s"] = kOfficial200RowsSeconds;
        figures["speedup_vs_official"] = kOfficial200RowsSeconds / cold["seconds"].get<double>();
        figures["target_speedup_vs_official"] = dtype == "bf16" ? 5.0 : 2.5;
      }
      result[dtype] = figures;
    }
    fs::remove_all(scratch);
    result["target_ratio"] = dtype_targets();
    if (result.contains("fp32") && result.contains("bf16")) {
      result["bf16_speedup_whole_run"] = result["fp32"]["whole_run"]["seconds"].get<double>() /
                                         result["bf16"]["whole_run"]["seconds"].get<double>();
      result["bf16_target_speedup"] = 1.8;
      result["bf16_precision_difference"] =
          std::abs(result["fp32"]["whole_run"]["precision"].get<double>() -
                   result["bf16"]["whole_run"]["precision"].get<double>());
    }
    result["machine"] = hc::machine_info();
    result["machine"]["blas_kernels"] = hc::blas_kernels();
    std::cout << result.dump(2) << std::endl;
    return 0;
  } catch (const hc::Error& e) {
    std::cerr << "bench_retrieve: " << e.what() << std::endl;
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "bench_retrieve: " << e.what()
              << " (usage: bench_retrieve [SHARED_DIR] [ROWS] [THREADS] [REPEATS] [DTYPES])" << std::endl;
    return 2;
  }
}
