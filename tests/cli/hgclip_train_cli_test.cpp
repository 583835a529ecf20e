// hgclip-train end to end on the tiny HGCLIP fixture model and a generated shape/colour set
// (coarse: shape family, fine: shape x colour): HGCLIP learns both levels well above the
// zero-shot start, every implemented method runs a step and trains exactly its own tensors, a
// run stopped by SIGTERM resumes to the same learnable tensors as one that never stopped, and
// bad inputs are clean errors.
#include "catch_torch.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "../model/model_test_util.h"
#include "hc/data/cifar_binary.h"
#include "hc/data/synthetic_shapes.h"
#include "hc/train/step_log.h"
#include "test_paths.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::quoted;
using hc::test::TempDir;
using nlohmann::json;

fs::path tiny_model() { return hc::test::shared_path("fixtures/hgclip/model"); }

// The shape set and its hierarchy under dir; a quarter of each class for validation and test.
void write_shapes(const TempDir& dir, int per_class) {
  hc::ShapeSetOptions options;
  options.images_per_class = per_class;
  hc::write_shape_images(dir / "images", options);
  hc::write_shape_hierarchy(dir / "hierarchy.txt");
}

// Sizes that fit the 3-layer, 16-wide fixture model, and a small graph network.
std::string common_args(const TempDir& dir) {
  return "--model " + quoted(tiny_model()) + " --threads 2 --set hierarchy.file=" +
         quoted(dir / "hierarchy.txt") + " --set data.train=" + quoted(dir / "images") +
         " --set data.val_fraction=0.25 --set data.test_fraction=0.25"
         " --set hgclip.vision_depth=3 --set hgclip.language_depth=3 --set hgclip.prompt_depth=3"
         " --set hgclip.gnn_hidden=32 --set hgclip.gnn_heads=2 --set train.batch_size=8"
         " --set model.batch_size=32 --set train.log_every=1000 ";
}

hc::test::CommandResult hgclip_train(const TempDir& dir, const std::string& args) {
  return hc::test::run_command("env -u HC_VOCAB OMP_WAIT_POLICY=PASSIVE HC_CACHE_DIR=" +
                               quoted(dir / "cache") + " " + hc::test::binary("hgclip-train") +
                               " " + common_args(dir) + args);
}

json read_json(const fs::path& path) { return json::parse(hc::test::read_bytes(path)); }

double top1(const json& result, const std::string& level) {
  return result["test"]["levels"][level]["top1"].get<double>();
}

}  // namespace

TEST_CASE("hgclip-train: HGCLIP learns both levels above the zero-shot start", "[cli][hgclip]") {
  TempDir dir;
  write_shapes(dir, 32);
  const auto zeroshot =
      hgclip_train(dir, "--method zeroshot -o " + quoted(dir / "zs" / "result.json"));
  INFO(zeroshot.err);
  REQUIRE(zeroshot.exit_code == 0);
  const json before = read_json(dir / "zs" / "result.json");
  CHECK(before["test"]["images"] == 9 * 8);  // every test image, no dropped batch

  // A random tiny CLIP gives weak features: AdamW at 3e-3 for 30 epochs (about 10 s).
  const auto trained = hgclip_train(
      dir, "--epochs 30 --set optimizer.type=adamw --lr 3e-3 --out " + quoted(dir / "model") +
               " -o " + quoted(dir / "run" / "result.json"));
  INFO(trained.err);
  REQUIRE(trained.exit_code == 0);
  const json after = read_json(dir / "run" / "result.json");
  CHECK(after["metrics"]["images"]["train"] == 9 * 16);
  CHECK(after["test"]["images"] == 9 * 8);
  // Measured on this machine: coarse 0.33 -> 0.51..0.64, fine 0.15 -> 0.63..0.69 over seeds.
  for (const std::string level : {"coarse", "fine"}) {
    CAPTURE(level, top1(before, level), top1(after, level));
    CHECK(top1(after, level) >= top1(before, level) + 0.15);
  }
  // Validation once per epoch (the plateau schedule's cadence) besides the one before training.
  CHECK(after["validation"].size() == 31);
  CHECK(after["validation"][0]["val"]["levels"]["fine"]["top1"].is_number());
  CHECK(fs::exists(dir / "run" / "loss.svg"));
  // Only what the base CLIP lacks is saved.
  for (const char* file : {"hgclip_prompts.safetensors", "hgclip_prototypes.safetensors",
                           "hgclip.json"}) {
    CHECK(fs::exists(dir / "model" / file));
  }
  CHECK_FALSE(fs::exists(dir / "model" / "model.safetensors"));
  const auto prompts = hc::test::read_tensors(dir / "model" / "hgclip_prompts.safetensors");
  for (const auto& [name, tensor] : prompts) CHECK(name.rfind("clip.", 0) != 0);
  // The prototypes stage is cached: a second run reads it.
  const auto again = hgclip_train(dir, "--max-steps 1 --out " + quoted(dir / "model2") + " -o " +
                                           quoted(dir / "run2" / "result.json"));
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(read_json(dir / "run2" / "result.json")["metrics"]["prototypes"]["from_cache"] == true);
}

TEST_CASE("hgclip-train: every method runs and trains only its own tensors", "[cli][hgclip]") {
  TempDir dir;
  write_shapes(dir, 4);
  struct Expected {
    std::string method;
    bool ctx, vision, text_deep, gnn;
  };
  for (const Expected& e : {Expected{"hgclip", true, true, true, true},
                            Expected{"coop", true, false, false, false},
                            Expected{"kgcoop", true, false, false, false},
                            Expected{"cocoop", true, false, false, false},
                            Expected{"maple", true, false, false, false},
                            Expected{"vpt", false, true, false, false},
                            Expected{"vp", true, true, false, false},
                            Expected{"promptsrc", true, true, true, false}}) {
    CAPTURE(e.method);
    const auto run = hgclip_train(dir, "--method " + e.method + " --max-steps 1 --out " +
                                           quoted(dir / e.method) + " -o " +
                                           quoted(dir / (e.method + "-run") / "result.json"));
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    const json result = read_json(dir / (e.method + "-run") / "result.json");
    CHECK(result["metrics"]["steps"] == 1);
    CHECK(result["test"]["levels"]["coarse"]["top1"].is_number());
    const auto prompts = hc::test::read_tensors(dir / e.method / "hgclip_prompts.safetensors");
    CHECK(result["metrics"]["trained_tensors"] == prompts.size());
    bool ctx = false, vision = false, text_deep = false, gnn = false;
    for (const auto& [name, tensor] : prompts) {
      ctx = ctx || name == "prompt_learner.ctx";
      vision = vision || name.rfind("image_encoder.", 0) == 0;
      text_deep = text_deep || name.rfind("text_encoder.", 0) == 0;
      gnn = gnn || name.rfind("gnn_", 0) == 0;
    }
    CHECK(ctx == e.ctx);
    CHECK(vision == e.vision);
    CHECK(text_deep == e.text_deep);
    CHECK(gnn == e.gnn);
    CHECK(fs::exists(dir / e.method / "hgclip_prototypes.safetensors") == (e.method == "hgclip"));
  }
  const auto zeroshot =
      hgclip_train(dir, "--method zeroshot -o " + quoted(dir / "zs" / "result.json"));
  INFO(zeroshot.err);
  REQUIRE(zeroshot.exit_code == 0);
  const json result = read_json(dir / "zs" / "result.json");
  CHECK(result["val"]["levels"]["fine"]["top1"].is_number());
  CHECK(result["test"]["consistency"]["path"].is_number());
}

namespace {

// A run stopped by SIGTERM at its first checkpoint and resumed ends at the same learnable tensors
// and step log as one that never stopped. method_args: the method and its keys; 36 training
// images make 9 steps an epoch.
void check_stop_and_resume(const std::string& method_args, int checkpoint_every) {
  TempDir dir;
  write_shapes(dir, 8);
  const std::string common = "--epochs 10 --set train.batch_size=4 --set train.checkpoint_every=" +
                             std::to_string(checkpoint_every) +
                             " --set train.plateau_patience=0 " + method_args + " ";
  const auto straight = hgclip_train(dir, common + "--out " + quoted(dir / "straight") + " -o " +
                                              quoted(dir / "straight-run" / "result.json"));
  INFO(straight.err);
  REQUIRE(straight.exit_code == 0);

  const fs::path checkpoint = dir / "stopped-run" / "checkpoint";
  const std::string stopped_args =
      common + "--out " + quoted(dir / "resumed") + " -o " + quoted(dir / "stopped-run" / "result.json");
  const std::string script =
      "env -u HC_VOCAB OMP_WAIT_POLICY=PASSIVE HC_CACHE_DIR=" + quoted(dir / "cache") + " " +
      hc::test::binary("hgclip-train") + " " + common_args(dir) + stopped_args + " 2>" +
      quoted(dir / "stopped.log") + " &\npid=$!\nwhile [ ! -e " +
      quoted(checkpoint / "training_state.json") +
      " ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done\nkill -TERM $pid\nwait $pid\necho $?\n";
  hc::test::write_bytes(dir / "stop.sh", script);
  const auto stopped = hc::test::run_command("sh " + quoted(dir / "stop.sh"));
  INFO(hc::test::read_bytes(dir / "stopped.log"));
  REQUIRE(stopped.out.find("143") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "resumed"));

  const auto resumed = hgclip_train(dir, stopped_args + " --resume " + quoted(checkpoint));
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  const json result = read_json(dir / "stopped-run" / "result.json");
  const int64_t from = result["metrics"]["resumed_from"].get<int64_t>();
  CHECK(from > 0);
  CHECK(from < result["metrics"]["steps"].get<int64_t>());
  const auto want = hc::test::read_tensors(dir / "straight" / "hgclip_prompts.safetensors");
  const auto got = hc::test::read_tensors(dir / "resumed" / "hgclip_prompts.safetensors");
  REQUIRE(want.size() == got.size());
  for (const auto& [name, tensor] : want) {
    CAPTURE(name);
    CHECK(torch::equal(got.at(name), tensor));
  }
  const auto a = hc::StepLog::read(dir / "straight-run" / "loss.jsonl", 1 << 30).series("total");
  const auto b = hc::StepLog::read(dir / "stopped-run" / "loss.jsonl", 1 << 30).series("total");
  CHECK(a == b);
  const auto lr_a = hc::StepLog::read(dir / "straight-run" / "loss.jsonl", 1 << 30).series("lr");
  const auto lr_b = hc::StepLog::read(dir / "stopped-run" / "loss.jsonl", 1 << 30).series("lr");
  CHECK(lr_a == lr_b);
}

}  // namespace

TEST_CASE("hgclip-train: stopped by SIGTERM, --resume ends at the same learnable tensors",
          "[cli][hgclip]") {
  check_stop_and_resume("", 4);
}

// PromptSRC's prompt aggregation sums the prompts of every epoch's end: the checkpoint carries
// the running sum, so the resumed run's final (aggregated) prompts are the straight run's. The
// first checkpoint (step 12) comes after the first epoch's end, so its sum is not zero.
TEST_CASE("hgclip-train: promptsrc resumes to the same aggregated prompts", "[cli][hgclip]") {
  check_stop_and_resume("--method promptsrc --set hgclip.gpa_mean=6 --set hgclip.gpa_std=2", 12);
}

TEST_CASE("hgclip-train: bad methods and mismatched data are usage errors", "[cli][hgclip]") {
  TempDir dir;
  write_shapes(dir, 2);
  const auto unknown = hgclip_train(dir, "--method nosuch -o " + quoted(dir / "r.json"));
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Contains("method 'nosuch'") && Contains("cocoop, maple, promptsrc"));

  // An image folder whose class the hierarchy lacks.
  hc::test::write_bytes(dir / "short.txt", "red_circle, circle\ngreen_circle, circle\n");
  const auto mismatch = hgclip_train(dir, "--set hierarchy.file=" + quoted(dir / "short.txt") +
                                              " --method zeroshot -o " + quoted(dir / "r.json"));
  CHECK(mismatch.exit_code == 2);
  CHECK_THAT(mismatch.err, Contains("short.txt"));

  fs::create_directories(dir / "exists");
  const auto exists = hgclip_train(dir, "--max-steps 1 --out " + quoted(dir / "exists") + " -o " +
                                            quoted(dir / "r.json"));
  CHECK(exists.exit_code == 2);
  CHECK_THAT(exists.err, Contains("--force"));
  const auto bf16 = hgclip_train(dir, "--dtype bf16 --max-steps 1 -o " + quoted(dir / "r.json"));
  CHECK(bf16.exit_code == 2);
  CHECK_THAT(bf16.err, Contains("float32"));
}

TEST_CASE("hgclip-train: every shipped config reads with its keys", "[cli][hgclip]") {
  const fs::path folder = fs::path(HC_TEST_SOURCE_DIR) / "configs" / "hgclip";
  std::size_t configs = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    CAPTURE(entry.path().string());
    const auto dump = hc::test::run_command(hc::test::binary("hgclip-train") + " --config " +
                                            quoted(entry.path()) + " --dump-config");
    INFO(dump.err);
    CHECK(dump.exit_code == 0);
    CHECK_THAT(dump.out, Contains("plateau_on"));
    ++configs;
  }
  CHECK(configs >= 14);  // 12 datasets, official, demo
}

TEST_CASE("hgclip-train: CIFAR-100 binaries with the built-in hierarchy", "[cli][hgclip]") {
  TempDir dir;
  const fs::path train = hc::write_synthetic_cifar(dir / "train.bin", hc::CifarKind::Cifar100, 400);
  const fs::path test = hc::write_synthetic_cifar(dir / "test.bin", hc::CifarKind::Cifar100, 200);
  const auto run = hc::test::run_command(
      "env -u HC_VOCAB OMP_WAIT_POLICY=PASSIVE HC_CACHE_DIR=" + quoted(dir / "cache") + " " +
      hc::test::binary("hgclip-train") + " --model " + quoted(tiny_model()) +
      " --threads 2 --set hierarchy.format=cifar100 --set data.format=cifar100 --set data.train=" +
      quoted(train) + " --set data.test=" + quoted(test) +
      " --set data.val_fraction=0.25 --set hgclip.vision_depth=3 --set hgclip.language_depth=3"
      " --set hgclip.gnn_hidden=32 --set hgclip.gnn_heads=2 --set train.batch_size=16"
      " --max-steps 2 --out " + quoted(dir / "model") + " -o " + quoted(dir / "run" / "result.json"));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const json result = read_json(dir / "run" / "result.json");
  CHECK(result["metrics"]["images"]["train"] == 300);  // 4 records a class, 1 drawn for validation
  CHECK(result["metrics"]["images"]["val"] == 100);
  CHECK(result["test"]["images"] == 200);
  CHECK(result["test"]["levels"]["coarse"]["classes"] == 20);
  CHECK(result["test"]["levels"]["fine"]["classes"] == 100);
  CHECK(result["metrics"]["steps"] == 2);
}

TEST_CASE("hgclip-train --evaluate: saved prompts give the training run's test figures, and "
          "only in the setting they were trained in",
          "[cli][hgclip]") {
  TempDir dir;
  write_shapes(dir, 4);
  const auto trained = hgclip_train(dir, "--max-steps 2 --set optimizer.type=adamw --lr 3e-3 "
                                         "--out " + quoted(dir / "model") + " -o " +
                                         quoted(dir / "run" / "result.json"));
  INFO(trained.err);
  REQUIRE(trained.exit_code == 0);
  const json after = read_json(dir / "run" / "result.json");

  // The same config and split, nothing trained: the final test evaluation again, figure for
  // figure (per class included), without a training folder being written.
  const auto evaluated = hgclip_train(dir, "--evaluate " + quoted(dir / "model") + " -o " +
                                               quoted(dir / "eval" / "result.json"));
  INFO(evaluated.err);
  REQUIRE(evaluated.exit_code == 0);
  const json again = read_json(dir / "eval" / "result.json");
  CHECK(again["metrics"]["method"] == "hgclip");
  CHECK(again["test"]["levels"] == after["test"]["levels"]);
  CHECK(again["test"]["consistency"] == after["test"]["consistency"]);
  CHECK(again["val"]["levels"]["fine"]["top1"].is_number());
  CHECK_FALSE(fs::exists(dir / "eval" / "model"));

  // Only test images, no training folder: every image of the folder is evaluated.
  const auto test_only = hc::test::run_command(
      "env -u HC_VOCAB OMP_WAIT_POLICY=PASSIVE HC_CACHE_DIR=" + quoted(dir / "cache") + " " +
      hc::test::binary("hgclip-train") + " --model " + quoted(tiny_model()) +
      " --threads 2 --set hierarchy.file=" + quoted(dir / "hierarchy.txt") +
      " --set data.test=" + quoted(dir / "images") + " --evaluate " + quoted(dir / "model") +
      " -o " + quoted(dir / "test-only" / "result.json"));
  INFO(test_only.err);
  REQUIRE(test_only.exit_code == 0);
  CHECK(read_json(dir / "test-only" / "result.json")["test"]["images"] == 9 * 4);

  // Another method, another switch, or other classes than the training run's: usage errors.
  const auto method = hgclip_train(dir, "--method coop --evaluate " + quoted(dir / "model"));
  CHECK(method.exit_code == 2);
  CHECK_THAT(method.err, Contains("trained with method \"hgclip\"") && Contains("--method"));
  const auto depth = hgclip_train(dir, "--set hgclip.gnn_heads=1 --evaluate " + quoted(dir / "model"));
  CHECK(depth.exit_code == 2);
  CHECK_THAT(depth.err, Contains("hgclip.gnn_heads 2") && Contains("this run sets 1"));
  const auto order =
      hgclip_train(dir, "--set hgclip.hierarchy.class_order=sorted --evaluate " + quoted(dir / "model"));
  CHECK(order.exit_code == 2);
  CHECK_THAT(order.err, Contains("trained on other classes: level"));
  const auto missing = hgclip_train(dir, "--evaluate " + quoted(dir / "nothing"));
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Contains("is not an hgclip-train folder"));
}
