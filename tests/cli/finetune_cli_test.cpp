// hc-finetune end to end on the tiny fixture model and generated hierarchies: it learns (the RE
// loss falls and held-out d_corr rises), a run killed by SIGTERM mid-epoch resumes to the same
// weights as one that was never stopped, every shipped ablation config runs, the output is a
// checkpoint the other tools load, and bad inputs are clean errors.
#include "catch_torch.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "../model/model_test_util.h"
#include "generated_hierarchies.h"
#include "local_http_server.h"
#include "hc/data/synthetic_hierarcaps.h"
#include "hc/geometry/root.h"
#include "hc/model/checkpoint.h"
#include "hc/train/step_log.h"
#include "test_paths.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::quoted;
using hc::test::TempDir;
using nlohmann::json;

fs::path tiny_model() { return hc::test::shared_path("fixtures/model/tiny-quickgelu"); }
fs::path config(const std::string& name) {
  return fs::path(HC_TEST_SOURCE_DIR) / "configs" / "finetune" / (name + ".yaml");
}

// hc-finetune on the tiny model with the official config; `args` adds or overrides.
hc::test::CommandResult finetune(const TempDir& dir, const std::string& args, int threads = 2) {
  return hc::test::run_command(
      "env -u HC_VOCAB OMP_WAIT_POLICY=PASSIVE HC_CACHE_DIR=" + quoted(dir / "cache") + " " +
      hc::test::binary("hc-finetune") + " --config " + quoted(config("official")) + " --model " +
      quoted(tiny_model()) + " --threads " + std::to_string(threads) + " " + args);
}

json read_json(const fs::path& path) { return json::parse(hc::test::read_bytes(path)); }

// The tiny fixture stores the position_ids index buffers as older transformers did; they are
// constants (0, 1, ...), not weights, and current transformers no longer saves them.
bool is_index_buffer(const std::string& name) {
  const std::string suffix = "position_ids";
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// An image file for each of the first `rows` rows of write_generated_hierarchies ("<row>.jpg",
// the file name of its image_url), drawn by the synthetic HierarCaps generator.
fs::path write_row_images(const TempDir& dir, std::size_t rows) {
  const hc::SyntheticHierarCaps drawn = hc::write_synthetic_hierarcaps(dir / "drawn", rows, 7);
  const fs::path folder = dir / "row-images";
  fs::create_directories(folder);
  std::size_t row = 0;
  for (const auto& entry : fs::directory_iterator(drawn.images)) {
    if (row == rows) break;
    fs::copy_file(entry.path(), folder / (std::to_string(row++) + ".jpg"),
                  fs::copy_options::overwrite_existing);
  }
  REQUIRE(row == rows);
  return folder;
}

double mean_total(const std::vector<std::pair<int64_t, double>>& series, std::size_t begin,
                  std::size_t end) {
  double sum = 0;
  for (std::size_t i = begin; i < end; ++i) sum += series[i].second;
  return sum / static_cast<double>(end - begin);
}

}  // namespace

TEST_CASE("hc-finetune: learning happens (loss falls, held-out d_corr rises)", "[cli][finetune]") {
  TempDir dir;
  hc::test::write_generated_hierarchies(dir / "train.csv", 240, 1);
  const auto run = finetune(dir, "--data " + quoted(dir / "train.csv") + " --out " +
                                     quoted(dir / "model") + " --lr 1e-3 --set loss.lambda_p=1"
                                     " --set validation.rows=40 --epochs 2 -o " +
                                     quoted(dir / "run" / "result.json"));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const json result = read_json(dir / "run" / "result.json");
  const json& metrics = result["metrics"];
  CHECK(metrics["train_rows"] == 200);
  CHECK(metrics["heldout_rows"] == 40);
  CHECK(metrics["steps"] == 2 * 25);
  const double before = metrics["validation_before"]["heldout_d_corr"].get<double>();
  const double after = metrics["validation_after"]["heldout_d_corr"].get<double>();
  CAPTURE(before, after);
  CHECK(after > before + 0.1);

  const auto totals = hc::StepLog::read(dir / "run" / "loss.jsonl", 1000).series("total");
  REQUIRE(totals.size() == 50);
  const double first = mean_total(totals, 0, 10), last = mean_total(totals, 40, 50);
  CAPTURE(first, last);
  CHECK(last < first - 0.05 * std::abs(first));
  CHECK(fs::exists(dir / "run" / "loss.svg"));
}

TEST_CASE("hc-finetune: the output checkpoint loads, vision tower unchanged", "[cli][finetune]") {
  TempDir dir;
  hc::test::write_generated_hierarchies(dir / "train.csv", 24, 2);
  const auto run = finetune(dir, "--data " + quoted(dir / "train.csv") + " --out " +
                                     quoted(dir / "model") + " --lr 1e-3 --max-steps 2 -o " +
                                     quoted(dir / "run" / "result.json"));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  for (const char* file : {"config.json", "model.safetensors", "vocab.json", "merges.txt",
                           "tokenizer_config.json", "special_tokens_map.json",
                           "preprocessor_config.json"}) {
    CHECK(fs::exists(dir / "model" / file));
  }
  CHECK(hc::test::read_bytes(dir / "model" / "special_tokens_map.json") ==
        hc::test::read_bytes(tiny_model() / "special_tokens_map.json"));
  const auto before = hc::test::read_tensors(tiny_model() / "model.safetensors");
  const auto after = hc::test::read_tensors(dir / "model" / "model.safetensors");
  std::size_t changed_text = 0;
  for (const auto& [name, tensor] : before) {
    CAPTURE(name);
    if (is_index_buffer(name)) continue;
    REQUIRE(after.count(name) == 1);
    const bool same = torch::equal(after.at(name).to(tensor.scalar_type()), tensor);
    if (name.rfind("text_model.", 0) == 0 || name == "text_projection.weight") {
      changed_text += same ? 0 : 1;
    } else {
      CHECK(same);
    }
  }
  CHECK(changed_text > 0);
  // Other tools read it as they read any checkpoint.
  const auto embed = hc::test::run_command(
      "env HC_CACHE_DIR=" + quoted(dir / "cache") + " " + hc::test::binary("hc") +
      " embed --threads 2 --model " + quoted(dir / "model") + " --texts " +
      quoted(dir / "train.csv") + ":positive -o " + quoted(dir / "embeddings.safetensors"));
  INFO(embed.err);
  CHECK(embed.exit_code == 0);
  CHECK(fs::exists(dir / "embeddings.safetensors"));
}

TEST_CASE("hc-finetune: killed by SIGTERM mid-epoch, --resume ends at the same weights",
          "[cli][finetune]") {
  // The RE loss, and the CLIP objective, whose per-epoch caption draws must resume too.
  const std::string objective = GENERATE(std::string("re"), std::string("clip"));
  CAPTURE(objective);
  TempDir dir;
  hc::test::write_generated_hierarchies(dir / "train.csv", 120, 3);
  std::string common = "--data " + quoted(dir / "train.csv") +
                       " --lr 1e-3 --set train.batch_size=4 --epochs 2"
                       " --set train.checkpoint_every=3 ";
  if (objective == "clip") {
    common += "--config " + quoted(config("clip-objective")) + " --images " +
              quoted(write_row_images(dir, 120)) + " ";
  }
  const auto straight = finetune(dir, common + "--out " + quoted(dir / "straight") + " -o " +
                                          quoted(dir / "straight-run" / "result.json"));
  INFO(straight.err);
  REQUIRE(straight.exit_code == 0);

  // The same run in the background, sent SIGTERM once its first checkpoint exists.
  const fs::path checkpoint = dir / "stopped-run" / "checkpoint";
  const std::string stopped_args = common + "--out " + quoted(dir / "resumed") + " -o " +
                                   quoted(dir / "stopped-run" / "result.json");
  const std::string script =
      "env -u HC_VOCAB OMP_WAIT_POLICY=PASSIVE HC_CACHE_DIR=" + quoted(dir / "cache") + " " +
      hc::test::binary("hc-finetune") + " --config " + quoted(config("official")) +
      " --model " + quoted(tiny_model()) + " --threads 2 " + stopped_args + " 2>" +
      quoted(dir / "stopped.log") + " &\npid=$!\nwhile [ ! -e " +
      quoted(checkpoint / "training_state.json") +
      " ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done\nkill -TERM $pid\nwait $pid\necho $?\n";
  hc::test::write_bytes(dir / "stop.sh", script);
  const auto stopped = hc::test::run_command("sh " + quoted(dir / "stop.sh"));
  INFO(hc::test::read_bytes(dir / "stopped.log"));
  REQUIRE(stopped.out.find("143") != std::string::npos);
  CHECK_THAT(hc::test::read_bytes(dir / "stopped.log"), Contains("--resume"));
  CHECK_FALSE(fs::exists(dir / "resumed"));

  const auto resumed = finetune(dir, stopped_args + " --resume " + quoted(checkpoint));
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  const json result = read_json(dir / "stopped-run" / "result.json");
  const int64_t from = result["metrics"]["resumed_from"].get<int64_t>();
  CHECK(from > 0);
  CHECK(from < result["metrics"]["steps"].get<int64_t>());
  const auto want = hc::test::read_tensors(dir / "straight" / "model.safetensors");
  const auto got = hc::test::read_tensors(dir / "resumed" / "model.safetensors");
  REQUIRE(want.size() == got.size());
  for (const auto& [name, tensor] : want) {
    CAPTURE(name);
    CHECK(torch::equal(got.at(name), tensor));
  }
  // The resumed log holds every step exactly once, as the uninterrupted one.
  const auto a = hc::StepLog::read(dir / "straight-run" / "loss.jsonl", 1 << 30).series("total");
  const auto b = hc::StepLog::read(dir / "stopped-run" / "loss.jsonl", 1 << 30).series("total");
  CHECK(a == b);
  if (objective == "clip") {
    CHECK(hc::StepLog::read(dir / "stopped-run" / "loss.jsonl", 1 << 30).series("clip").size() ==
          a.size());
  }
}

TEST_CASE("hc-finetune: the CLIP objective trains on the rows' images; missing ones are errors",
          "[cli][finetune][clip_objective]") {
  TempDir dir;
  hc::test::write_generated_hierarchies(dir / "train.csv", 12, 6);
  const fs::path images = write_row_images(dir, 12);
  const std::string args = "--config " + quoted(config("clip-objective")) + " --data " +
                           quoted(dir / "train.csv") + " --max-steps 3 --set train.batch_size=4";
  const auto run = finetune(dir, args + " --images " + quoted(images) + " --out " +
                                     quoted(dir / "m") + " -o " + quoted(dir / "run" / "r.json"));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const hc::StepLog log = hc::StepLog::read(dir / "run" / "loss.jsonl", 1 << 30);
  CHECK(log.series("clip").size() == 3);
  CHECK(log.series("pullback").size() == 3);
  CHECK(log.series("entailment").empty());
  // The images went through the embedding cache (keyed by the input model, as hc-retrieve's).
  CHECK(fs::exists(dir / "cache"));

  fs::remove(images / "5.jpg");
  const auto missing = finetune(dir, args + " --images " + quoted(images) + " --out " +
                                         quoted(dir / "m2") + " -o " + quoted(dir / "r2.json"));
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains("row id 5") && Contains((images / "5.jpg").string()));

  const auto no_images = finetune(dir, args + " --out " + quoted(dir / "m3") + " -o " +
                                           quoted(dir / "r3.json"));
  CHECK(no_images.exit_code == 2);
  CHECK_THAT(no_images.err, Contains("data.images"));
}

TEST_CASE("hc-finetune: 2 Gloo processes reach the weights of 1 process on the same global batch",
          "[cli][finetune][distributed]") {
  TempDir dir;
  // 48 rows in steps of 8: no short last step. No hard mining: its argmax over a rank's share
  // is not the argmax over the global batch (docs/hc-finetune.md). SGD, whose step is linear in
  // the gradient: Adam's first steps are lr * g / (|g| + eps), which turns the rounding of a
  // near-zero gradient entry (summed in another order over 2 ranks) into a step of up to lr.
  hc::test::write_generated_hierarchies(dir / "train.csv", 48, 5);
  const std::string common = "--data " + quoted(dir / "train.csv") +
                             " --set optimizer.type=sgd --lr 0.01 --set loss.lambda_m=0"
                             " --set loss.lambda_p=1 ";
  // One thread in every process, so that only the split over ranks changes the order of sums.
  const auto single = finetune(dir, common + "--set train.batch_size=8 --out " +
                                        quoted(dir / "single") + " -o " +
                                        quoted(dir / "single-run" / "result.json"), 1);
  INFO(single.err);
  REQUIRE(single.exit_code == 0);

  // torchrun's variables, one process per rank, each with half of every step's 8 rows.
  const int port = hc::test::unused_local_port();
  std::string script;
  for (int rank = 0; rank < 2; ++rank) {
    script += "env -u HC_VOCAB -u SLURM_NTASKS -u SLURM_PROCID OMP_WAIT_POLICY=PASSIVE "
              "HC_CACHE_DIR=" + quoted(dir / "cache") + " WORLD_SIZE=2 RANK=" +
              std::to_string(rank) + " LOCAL_RANK=" + std::to_string(rank) +
              " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " " +
              hc::test::binary("hc-finetune") + " --config " + quoted(config("official")) +
              " --model " + quoted(tiny_model()) + " --threads 1 " + common +
              "--set train.batch_size=4 --out " + quoted(dir / "parallel") + " -o " +
              quoted(dir / "parallel-run" / "result.json") + " >/dev/null 2>" +
              quoted(dir / ("rank" + std::to_string(rank) + ".log")) + " &\npid" +
              std::to_string(rank) + "=$!\n";
  }
  script += "wait $pid0; a=$?\nwait $pid1; b=$?\necho \"$a $b\"\n";
  hc::test::write_bytes(dir / "parallel.sh", script);
  const auto parallel = hc::test::run_command("sh " + quoted(dir / "parallel.sh"));
  INFO(hc::test::read_bytes(dir / "rank0.log"));
  INFO(hc::test::read_bytes(dir / "rank1.log"));
  REQUIRE(parallel.out.find("0 0") != std::string::npos);

  const json one = read_json(dir / "single-run" / "result.json");
  const json two = read_json(dir / "parallel-run" / "result.json");
  CHECK(two["metrics"]["steps"] == one["metrics"]["steps"]);
  CHECK(one["metrics"]["steps"].get<int64_t>() == 6);
  const auto want = hc::test::read_tensors(dir / "single" / "model.safetensors");
  const auto got = hc::test::read_tensors(dir / "parallel" / "model.safetensors");
  REQUIRE(want.size() == got.size());
  bool moved = false;
  const auto before = hc::test::read_tensors(tiny_model() / "model.safetensors");
  for (const auto& [name, tensor] : want) {
    CAPTURE(name);
    CHECK((got.at(name).to(torch::kDouble) - tensor.to(torch::kDouble)).abs().max().item<double>() <= 1e-6);
    if (before.count(name) && !torch::equal(before.at(name).to(tensor.scalar_type()), tensor)) moved = true;
    // What the official code does not train stays bit-identical on every rank's path too.
    if (name.rfind("text_model.", 0) != 0 && name != "text_projection.weight") {
      CHECK(torch::equal(got.at(name), before.at(name).to(got.at(name).scalar_type())));
    }
  }
  CHECK(moved);  // training changed the weights, so agreeing is not trivially true
  // Only rank 0 writes: one step log with each step once, the losses averaged over the ranks
  // (float32 sums in another order: a total near 0 is a difference of terms near 1).
  const auto a = hc::StepLog::read(dir / "single-run" / "loss.jsonl", 1 << 30).series("total");
  const auto b = hc::StepLog::read(dir / "parallel-run" / "loss.jsonl", 1 << 30).series("total");
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(b[i].second == Approx(a[i].second).epsilon(1e-5).margin(1e-5));
}

TEST_CASE("hc-finetune: every shipped ablation config runs on a tiny model", "[cli][finetune]") {
  TempDir dir;
  hc::test::write_generated_hierarchies(dir / "train.csv", 16, 4);
  for (const auto& entry : fs::directory_iterator(config("official").parent_path())) {
    const std::string name = entry.path().stem().string();
    if (name == "official" || name == "demo") continue;
    CAPTURE(name);
    // The CLIP objective needs the rows' images.
    const std::string images =
        name == "clip-objective" ? " --images " + quoted(write_row_images(dir, 16)) : "";
    const auto run = finetune(dir, "--config " + quoted(entry.path()) + " --data " +
                                       quoted(dir / "train.csv") + " --max-steps 2 --set "
                                       "validation.rows=4 --out " + quoted(dir / name) + " -o " +
                                       quoted(dir / (name + "-run") / "result.json") + images);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    const json result = read_json(dir / (name + "-run") / "result.json");
    CHECK(result["metrics"]["steps"] == 2);
    CHECK(result["metrics"]["validation_after"]["heldout_d_corr"].is_number());
    const auto checkpoint = hc::load_clip_checkpoint(dir / name, torch::kCPU, torch::kFloat);
    const bool fixed_root = name.rfind("root-", 0) == 0;
    CHECK(checkpoint.extra_tensors.count("root") == (fixed_root ? 1u : 0u));
    if (name == "root-only") {
      // hc-retrieve's root.file reads the learned root; the encoder did not move.
      const auto root = hc::load_root(dir / name / hc::kExtraTensorsFile, "root");
      CHECK(root.size(0) == checkpoint.model->config().projection_dim);
      CHECK(result["metrics"]["trained_tensors"] == 1);
      const auto before = hc::test::read_tensors(tiny_model() / "model.safetensors");
      const auto after = hc::test::read_tensors(dir / name / "model.safetensors");
      for (const auto& [tensor_name, tensor] : before) {
        CAPTURE(tensor_name);
        if (is_index_buffer(tensor_name)) continue;
        REQUIRE(after.count(tensor_name) == 1);
        CHECK(torch::equal(after.at(tensor_name).to(tensor.scalar_type()), tensor));
      }
    }
  }
}

TEST_CASE("hc-finetune: bad data and outputs are clean errors", "[cli][finetune]") {
  TempDir dir;
  hc::test::write_bytes(dir / "bad.csv", "positive,negative\n\"a => b => c => d\",\"e => f\"\n");
  const auto bad = finetune(dir, "--data " + quoted(dir / "bad.csv") + " --out " +
                                     quoted(dir / "m") + " -o " + quoted(dir / "r.json"));
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Contains("row 1") && Contains("negative"));

  hc::test::write_generated_hierarchies(dir / "train.csv", 8, 5);
  fs::create_directories(dir / "exists");
  const auto exists = finetune(dir, "--data " + quoted(dir / "train.csv") + " --out " +
                                        quoted(dir / "exists") + " -o " + quoted(dir / "r.json"));
  CHECK(exists.exit_code == 2);
  CHECK_THAT(exists.err, Contains("--force"));
  const auto fp16 = finetune(dir, "--data " + quoted(dir / "train.csv") + " --dtype bf16 --out " +
                                      quoted(dir / "m2") + " -o " + quoted(dir / "r.json"));
  CHECK(fp16.exit_code == 2);
  CHECK_THAT(fp16.err, Contains("float32"));
}
