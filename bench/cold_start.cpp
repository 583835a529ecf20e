// bench_cold_start [SHARED_DIR] [REPEATS] [stream]: what a pipeline pays to use hc on one input.
//   open:        open_clip_bundle of a ViT-B/32-shaped checkpoint (hc init-model, fp32 on disk),
//                into fp32 and bf16, the weights' hash not memoised (a fresh cache folder) and
//                memoised; targets 1 s and 0.5 s;
//   embed_one:   `hc embed` of one text and of one image as a separate process (process start,
//                model open with the hash memoised, tokenising or decoding, the forward pass,
//                writing the output): wall time, CPU time and peak RSS (as a multiple of the
//                weights file; target 1.3x in fp32);
//   forward_one: the batch-1 forward passes alone in this process, for the latency ratio
//                (target: embed_one within 1.3x of forward_one);
//   stream_one:  what a pipeline pays per input with the model kept open: one `hc embed
//                --stream --no-cache` process, a request line written to its stdin and the
//                answer line read back, 20 texts then 20 images per round,
//                REPEATS rounds, each beside a round of as many batch-1 forward passes
//                in this process (median wall, CPU per request, and their ratio; target 1.3x).
// Each other figure is the fastest of REPEATS (default 3) runs. Prints one JSON object.
// bench_cold_start SHARED_DIR REPEATS stream: only the stream_one part (and its forward passes).
#include <nlohmann/json.hpp>

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <torch/torch.h>

#include "hc/core/error.h"
#include "hc/core/logging.h"
#include "hc/core/machine_info.h"
#include "hc/model/clip_bundle.h"
#include "hc/model/init_model.h"
#include "hc/tensor/blas_kernels.h"
#include "hc/tensor/compute_threads.h"
#include "hc/tensor/device.h"
#include "hc/core/thread_pool.h"
#include "hc/vision/preprocess.h"

#include "stopwatch.h"

extern char** environ;

namespace {
namespace fs = std::filesystem;
using hc::bench::Stopwatch;

template <typename F>
nlohmann::json fastest(int repeats, F run) {
  nlohmann::json best;
  for (int i = 0; i < repeats; ++i) {
    nlohmann::json figures = run();
    if (best.is_null() || figures["seconds"] < best["seconds"]) best = figures;
  }
  return best;
}

nlohmann::json open_model(const fs::path& model, at::ScalarType dtype) {
  Stopwatch watch;
  const hc::ClipBundle bundle = hc::open_clip_bundle(model.string(), at::kCPU, dtype);
  return watch.json();
}

// Runs a command to its end: wall and CPU time. A failure is an error. (Its peak memory comes
// from its own result: a spawned child's ru_maxrss counts this process's memory.)
nlohmann::json run_process(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  Stopwatch watch;
  pid_t child = 0;
  if (::posix_spawn(&child, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    throw hc::runtime_error("cannot start {}", args[0]);
  }
  int status = 0;
  rusage usage{};
  if (::wait4(child, &status, 0, &usage) != child || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    throw hc::runtime_error("{} failed (status {})", args[0], status);
  }
  const double wall = watch.wall();
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  return {{"seconds", wall}, {"cpu_seconds", cpu}};
}

nlohmann::json forward_one(const hc::ClipBundle& bundle, const fs::path& image, int repeats) {
  torch::InferenceMode guard;
  const auto& model = bundle.model;
  const std::vector<int32_t> ids = bundle.tokenizer.encode_with_specials("a goat eating leaves on the island");
  std::vector<int64_t> wide(ids.begin(), ids.end());
  const at::Tensor tokens = at::tensor(wide, at::kLong).unsqueeze(0);
  hc::ThreadPool pool(1);
  const std::vector<float> pixels = hc::preprocess_batch({image}, bundle.preprocess, pool);
  const int64_t size = bundle.preprocess.output_height();
  const at::Tensor input = at::from_blob(const_cast<float*>(pixels.data()), {1, 3, size, size})
                               .to(model->dtype());
  model->encode_text(tokens);  // warm-up: first-call allocations
  model->encode_image(input);
  const nlohmann::json text = fastest(repeats, [&] {
    Stopwatch watch;
    model->encode_text(tokens);
    return watch.json();
  });
  const nlohmann::json picture = fastest(repeats, [&] {
    Stopwatch watch;
    model->encode_image(input);
    return watch.json();
  });
  return {{"text", text}, {"image", picture}};
}

// Median and fastest of samples (seconds).
nlohmann::json spread(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  const double median = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  return {{"median_seconds", median}, {"fastest_seconds", samples.front()}, {"count", n}};
}

double child_cpu_seconds(pid_t child) {
  clockid_t clock = 0;
  timespec now{};
  if (::clock_getcpuclockid(child, &clock) != 0 || ::clock_gettime(clock, &now) != 0) return -1;
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// A running `hc embed --stream`: requests written to its stdin, answers read from its stdout.
class StreamProcess {
 public:
  explicit StreamProcess(const std::vector<std::string>& args) {
    int in[2], out[2];
    if (::pipe(in) != 0 || ::pipe(out) != 0) throw hc::runtime_error("cannot make pipes");
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    for (int fd : {in[0], in[1], out[0], out[1]}) ::posix_spawn_file_actions_addclose(&actions, fd);
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    const int failed = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
    if (failed != 0) throw hc::runtime_error("cannot start {}", args[0]);
  }

  // Writes one request line and waits for its answer line; throws on an error answer.
  std::string ask(const std::string& request) {
    const std::string line = request + "\n";
    if (::write(to_child_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      throw hc::runtime_error("hc embed --stream: cannot write a request");
    }
    std::size_t newline;
    while ((newline = pending_.find('\n')) == std::string::npos) {
      char buffer[1 << 16];
      const ssize_t got = ::read(from_child_, buffer, sizeof buffer);
      if (got <= 0) throw hc::runtime_error("hc embed --stream ended before answering");
      pending_.append(buffer, static_cast<std::size_t>(got));
    }
    std::string answer = pending_.substr(0, newline);
    pending_.erase(0, newline + 1);
    if (answer.find("\"error\"") != std::string::npos) {
      throw hc::runtime_error("hc embed --stream answered {}", answer);
    }
    return answer;
  }

  double cpu_seconds() const { return child_cpu_seconds(pid_); }

  // Closes its stdin (the end of the requests) and waits for a clean exit.
  void finish() {
    ::close(to_child_);
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_ || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw hc::runtime_error("hc embed --stream failed (status {})", status);
    }
    ::close(from_child_);
  }

 private:
  pid_t pid_ = 0;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string pending_;
};

// `count` calls of run(): their wall times, and the CPU seconds per call (`cpu` a clock of the
// process doing the work).
template <typename F, typename Cpu>
nlohmann::json time_calls(int count, F run, Cpu cpu) {
  std::vector<double> walls;
  const double cpu_start = cpu();
  for (int i = 0; i < count; ++i) {
    Stopwatch watch;
    run();
    walls.push_back(watch.wall());
  }
  nlohmann::json figures = spread(walls);
  figures["cpu_seconds_per_call"] = (cpu() - cpu_start) / count;
  return figures;
}

// Per-request latency through `hc embed --stream` beside the batch-1 forward pass, round by
// round (so both see the same load), with their ratio per round and over all rounds.
nlohmann::json stream_one(const fs::path& hc_binary, const fs::path& model,
                          const hc::ClipBundle& bundle, const fs::path& image, int requests,
                          int rounds) {
  torch::InferenceMode guard;
  const std::string text = "a goat eating leaves on the island";
  const std::vector<int32_t> ids = bundle.tokenizer.encode_with_specials(text);
  const at::Tensor tokens = at::tensor(std::vector<int64_t>(ids.begin(), ids.end()), at::kLong)
                                .unsqueeze(0);
  hc::ThreadPool pool(1);
  const std::vector<float> pixels = hc::preprocess_batch({image}, bundle.preprocess, pool);
  const int64_t size = bundle.preprocess.output_height();
  const at::Tensor input = at::from_blob(const_cast<float*>(pixels.data()), {1, 3, size, size});
  const std::string text_request = nlohmann::json{{"text", text}}.dump();
  const std::string image_request = nlohmann::json{{"image", image.string()}}.dump();

  StreamProcess stream({hc_binary.string(), "embed", "--stream", "--model", model.string(),
                        "--no-cache", "--log-level", "warn"});
  stream.ask(text_request);  // warm-up (and the model open): first-call allocations
  stream.ask(image_request);
  bundle.model->encode_text(tokens);
  bundle.model->encode_image(input);
  auto own_cpu = [] { return hc::bench::process_cpu_seconds(); };
  auto child_cpu = [&] { return stream.cpu_seconds(); };
  nlohmann::json per_round = nlohmann::json::array();
  std::vector<double> text_ratios, image_ratios;
  for (int round = 0; round < rounds; ++round) {
    nlohmann::json figures;
    figures["forward_text"] = time_calls(requests, [&] { bundle.model->encode_text(tokens); }, own_cpu);
    figures["stream_text"] = time_calls(requests, [&] { stream.ask(text_request); }, child_cpu);
    figures["forward_image"] = time_calls(requests, [&] { bundle.model->encode_image(input); }, own_cpu);
    figures["stream_image"] = time_calls(requests, [&] { stream.ask(image_request); }, child_cpu);
    for (const char* kind : {"text", "image"}) {
      const double ratio = figures[std::string("stream_") + kind]["median_seconds"].get<double>() /
                           figures[std::string("forward_") + kind]["median_seconds"].get<double>();
      figures[std::string("ratio_") + kind] = ratio;
      (std::string(kind) == "text" ? text_ratios : image_ratios).push_back(ratio);
    }
    per_round.push_back(figures);
  }
  stream.finish();
  auto median = [](std::vector<double> values) {
    return spread(std::move(values))["median_seconds"].get<double>();
  };
  return {{"requests_per_round", requests},
          {"rounds", per_round},
          {"median_ratio_over_forward", {{"text", median(text_ratios)},
                                         {"image", median(image_ratios)},
                                         {"target", 1.3}}}};
}

// The process-per-input figures: open, embed_one, forward_one and their ratios, into result.
void cold_start(nlohmann::json& result, const fs::path& model, const fs::path& scratch,
                const fs::path& hc_binary, const fs::path& image, int repeats) {
  const double weights_mb = result["weights_mb"].get<double>();
  nlohmann::json open;
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const std::string label = hc::scalar_type_label(dtype);
    nlohmann::json fresh = fastest(repeats, [&] {
      // An empty cache folder each time: the hash is computed.
      static int round = 0;
      const fs::path cache = scratch / ("cache-unmemoised-" + std::to_string(round++));
      ::setenv("HC_CACHE_DIR", cache.c_str(), 1);
      return open_model(model, dtype);
    });
    ::setenv("HC_CACHE_DIR", (scratch / "cache").c_str(), 1);
    open_model(model, dtype);  // memoises the hash
    nlohmann::json memoised = fastest(repeats, [&] { return open_model(model, dtype); });
    open[label] = {{"hash_not_memoised", fresh}, {"hash_memoised", memoised}};
  }
  open["target_seconds"] = {{"hash_not_memoised", 1.0}, {"hash_memoised", 0.5}};

  const fs::path text_file = scratch / "one.txt";
  std::ofstream(text_file) << "a goat eating leaves on the island\n";
  const fs::path image_list = scratch / "one-image.txt";
  std::ofstream(image_list) << image.string() << "\n";
  nlohmann::json embed_one;
  for (const std::string dtype : {"fp32", "bf16"}) {
    for (const auto& [kind, flag, input] :
         {std::tuple{"text", "--texts", text_file}, std::tuple{"image", "--images", image_list}}) {
      const fs::path out = scratch / "out.safetensors";
      nlohmann::json figures = fastest(repeats, [&] {
        nlohmann::json run = run_process({hc_binary.string(), "embed", "--model",
                                          model.string(), flag, input.string(), "--no-cache",
                                          "--dtype", dtype, "--log-level", "warn", "-o",
                                          out.string()});
        const nlohmann::json sidecar = nlohmann::json::parse(std::ifstream(scratch / "out.json"));
        run["peak_rss_mib"] = sidecar["peak_rss_mib"];
        run["own_timing"] = sidecar["timing"];
        return run;
      });
      figures["peak_rss_over_weights"] = figures["peak_rss_mib"].get<double>() / weights_mb;
      embed_one[dtype][kind] = figures;
    }
  }

  const hc::ClipBundle bundle = hc::open_clip_bundle(model.string(), at::kCPU, at::kFloat);
  const nlohmann::json forward = forward_one(bundle, image, std::max(repeats, 5));
  result["open"] = open;
  result["embed_one"] = embed_one;
  result["forward_one_fp32"] = forward;
  result["latency_over_forward_fp32"] = {
      {"text", embed_one["fp32"]["text"]["seconds"].get<double>() /
                   forward["text"]["seconds"].get<double>()},
      {"image", embed_one["fp32"]["image"]["seconds"].get<double>() /
                    forward["image"]["seconds"].get<double>()},
      {"target", 1.3}};
  // The part a pipeline can act on: everything beyond opening the model and its forward pass
  // (process start, tokeniser and preprocessing set-up, decoding, writing the output).
  const double open_seconds = open["fp32"]["hash_memoised"]["seconds"].get<double>();
  result["latency_over_open_plus_forward_fp32"] = {
      {"text", embed_one["fp32"]["text"]["seconds"].get<double>() /
                   (open_seconds + forward["text"]["seconds"].get<double>())},
      {"image", embed_one["fp32"]["image"]["seconds"].get<double>() /
                    (open_seconds + forward["image"]["seconds"].get<double>())}};
  result["peak_rss_target_over_weights"] = 1.3;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const char* env = std::getenv("HC_SHARED_DIR");
    const fs::path shared = argc > 1 ? fs::path(argv[1]) : fs::path(env ? env : "../shared");
    const int repeats = std::max(1, argc > 2 ? std::stoi(argv[2]) : 3);
    const bool stream_only = argc > 3 && std::string(argv[3]) == "stream";
    const int stream_requests = 20;
    hc::init_logging("warn");
    hc::use_compute_threads(0);
    const fs::path hc_binary = fs::read_symlink("/proc/self/exe").parent_path() / "hc";
    if (!fs::exists(hc_binary)) throw hc::usage_error("{} not found: build it first", hc_binary.string());

    const fs::path scratch =
        fs::temp_directory_path() / ("hc-bench-cold-start-" + std::to_string(::getpid()));
    fs::create_directories(scratch);
    hc::InitModelOptions init;
    init.architecture = "ViT-B-32";
    init.seed = 0;
    init.out = scratch / "model";
    init.vocab = shared / "data/clip-tokenizer";
    hc::init_model(init);
    const double weights_mb = static_cast<double>(fs::file_size(init.out / "model.safetensors")) / (1 << 20);  // MiB
    // A file written within the last 2 seconds is hashed but not memoised.
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));

    const fs::path image = shared / "data/hierarcaps/test_imgs" /
                           fs::directory_iterator(shared / "data/hierarcaps/test_imgs")->path().filename();
    nlohmann::json result{{"bench", "cold_start"},
                          {"model", "ViT-B-32 (random, seed 0), fp32 on disk"},
                          {"weights_mb", weights_mb}};
    if (!stream_only) cold_start(result, init.out, scratch, hc_binary, image, repeats);
    {
      ::setenv("HC_CACHE_DIR", (scratch / "cache").c_str(), 1);
      const hc::ClipBundle bundle = hc::open_clip_bundle(init.out.string(), at::kCPU, at::kFloat);
      result["stream_one_fp32"] =
          stream_one(hc_binary, init.out, bundle, image, stream_requests, repeats);
    }
    fs::remove_all(scratch);
    result["machine"] = hc::machine_info();
    result["machine"]["blas_kernels"] = hc::blas_kernels();
    std::cout << result.dump(2) << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_cold_start: " << e.what() << std::endl;
    return 1;
  }
}
