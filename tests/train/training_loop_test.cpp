// The shared training loop on a task small enough to reason about (linear regression): a run
// stopped by SIGTERM and resumed ends bit-identical to one that never stopped; gradient
// accumulation equals the larger batch; the log, cadences and step bound do what they say.
#include "catch_torch.h"

#include <csignal>
#include <limits>
#include <filesystem>
#include <memory>

#include <torch/optim/sgd.h>

#include "../model/model_test_util.h"
#include "hc/core/atomic_directory.h"
#include "hc/core/error.h"
#include "hc/core/stop_signal.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/train/distributed.h"
#include "hc/train/optimizer_options.h"
#include "hc/train/step_log.h"
#include "hc/train/training_loop.h"

namespace fs = std::filesystem;

namespace {

constexpr int64_t kExamples = 22;  // not a multiple of the batch: the last batch is partial

// y = x . w_true + noise, fitted by w; AdamW (or SGD), the state of which must survive a resume.
class Regression final : public hc::TrainingTask {
 public:
  explicit Regression(const std::string& optimizer = "adamw") {
    torch::manual_seed(3);
    x_ = torch::randn({kExamples, 4}, torch::kDouble);
    y_ = x_.matmul(torch::tensor({1.0, -2.0, 0.5, 3.0}, torch::kDouble)) +
         0.1 * torch::randn({kExamples}, torch::kDouble);
    w_ = torch::zeros({4}, torch::kDouble).requires_grad_();
    parameters_.insert("w", w_);
    hc::OptimizerOptions options(0.05);
    options.type = optimizer;
    optimizer_ = hc::make_optimizer(options, parameters_);
  }

  std::size_t examples() const override { return kExamples; }
  void zero_grad() override { optimizer_->zero_grad(); }
  hc::MicroBatchResult accumulate(const std::vector<std::size_t>& indices, double scale) override {
    const int64_t call = calls_++;
    if (call == raise_at_) std::raise(SIGTERM);
    std::vector<int64_t> rows(indices.begin(), indices.end());
    const auto index = torch::tensor(rows, torch::kLong);
    const auto loss = (x_.index_select(0, index).matmul(w_) - y_.index_select(0, index)).pow(2).mean();
    // An injected fp16-style overflow: this call's gradients are infinite.
    const double factor = call == overflow_at_ ? std::numeric_limits<double>::infinity() : 1.0;
    (loss * (scale * factor)).backward();
    // A term of this task's own, besides the total, for the loss curve to draw.
    const double residual = (x_.index_select(0, index).matmul(w_) - y_.index_select(0, index))
                                .abs().mean().item<double>();
    return {{{"total", loss.item<double>()}, {"residual", residual}}, 0.0};
  }
  hc::NamedParameters trained_parameters() override { return parameters_; }
  torch::optim::Optimizer& optimizer() override { return *optimizer_; }
  void save(const fs::path& dir, bool,
            const std::function<void(const fs::path&)>& write_more) override {
    hc::AtomicDirectory folder(dir, hc::AtomicDirectory::IfExists::Replace);
    hc::save_tensors(folder.path() / "w.safetensors", {{"w", w_.detach()}});
    write_more(folder.path());
    folder.commit();
  }
  nlohmann::ordered_json validate() override {
    torch::NoGradGuard no_grad;
    return {{"mse", (x_.matmul(w_) - y_).pow(2).mean().item<double>()}};
  }

  void load(const fs::path& dir) {
    torch::NoGradGuard no_grad;
    w_.copy_(hc::test::read_tensors(dir / "w.safetensors").at("w"));
  }
  void raise_sigterm_at_call(int64_t call) { raise_at_ = call; }
  void overflow_at_call(int64_t call) { overflow_at_ = call; }
  const torch::Tensor& w() const { return w_; }

 private:
  torch::Tensor x_, y_, w_;
  hc::NamedParameters parameters_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  int64_t raise_at_ = -1;
  int64_t overflow_at_ = -1;
  int64_t calls_ = 0;
};

hc::TrainLoopPaths paths_in(const hc::test::TempDir& dir) {
  return {dir / "checkpoint", dir / "final", dir / "loss.jsonl", dir / "loss.svg"};
}

hc::TrainLoopOptions loop_options() {
  hc::TrainLoopOptions options;
  options.epochs = 3;
  options.batch_size = 4;
  options.seed = 11;
  return options;
}

std::unique_ptr<hc::DataParallel> one_process() {
  return hc::DataParallel::create(hc::DistributedEnv{}, torch::kCPU);
}

}  // namespace

TEST_CASE("training loop: a run stopped by SIGTERM resumes to the same weights", "[train][loop]") {
  // Also with a dynamic loss scale whose state (halved by an overflow at step 3) must survive.
  const std::string loss_scale = GENERATE(std::string("1"), std::string("dynamic"));
  CAPTURE(loss_scale);
  const bool dynamic = loss_scale == "dynamic";
  hc::TrainLoopOptions base = loop_options();
  base.loss_scale = loss_scale;
  auto parallel = one_process();
  hc::test::TempDir straight_dir;
  Regression straight;
  if (dynamic) straight.overflow_at_call(2);
  const hc::TrainLoopOutcome full =
      hc::run_training_loop(straight, base, *parallel, paths_in(straight_dir));
  CHECK(full.steps == 3 * 6);  // ceil(22 / 4) steps per epoch
  CHECK(full.skipped_steps == (dynamic ? 1 : 0));

  hc::test::TempDir dir;
  Regression first;
  first.raise_sigterm_at_call(8);  // mid-way through the second epoch
  if (dynamic) first.overflow_at_call(2);
  try {
    hc::run_training_loop(first, base, *parallel, paths_in(dir));
    FAIL("the loop did not stop");
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Stopped);
    CHECK(e.exit_code() == 143);
    CHECK_THAT(e.what(), Catch::Contains("--resume"));
  }
  hc::clear_stop_request();
  REQUIRE(fs::exists(dir / "checkpoint" / "training_state.json"));
  CHECK_FALSE(fs::exists(dir / "final"));

  Regression resumed;
  resumed.load(dir / "checkpoint");
  hc::TrainLoopOptions options = base;
  options.resume = dir / "checkpoint";
  const hc::TrainLoopOutcome rest = hc::run_training_loop(resumed, options, *parallel, paths_in(dir));
  CHECK(rest.resumed_from == 9);
  CHECK(rest.steps == full.steps);
  CHECK(torch::equal(resumed.w(), straight.w()));

  // The resumed log is the uninterrupted one: every step once, the same losses.
  const auto want = hc::StepLog::read(straight_dir / "loss.jsonl", 1000).series("total");
  const auto got = hc::StepLog::read(dir / "loss.jsonl", 1000).series("total");
  CHECK(got == want);
  CHECK(rest.validation.size() == 2);  // before (in the first part) and after
  if (dynamic) {
    // The resumed run went on at the halved scale, as the uninterrupted one did.
    const auto scales = hc::StepLog::read(dir / "loss.jsonl", 1000).series("loss_scale");
    CHECK(scales == hc::StepLog::read(straight_dir / "loss.jsonl", 1000).series("loss_scale"));
    REQUIRE(scales.size() == static_cast<std::size_t>(full.steps));
    CHECK(scales.back().second == 32768);
  }
}

TEST_CASE("training loop: resuming with another seed is refused", "[train][loop]") {
  auto parallel = one_process();
  hc::test::TempDir dir;
  hc::TrainLoopOptions options = loop_options();
  options.max_steps = 2;
  options.checkpoint_every = 1;
  Regression first;
  hc::run_training_loop(first, options, *parallel, paths_in(dir));
  Regression second;
  options.resume = dir / "checkpoint";
  options.seed = 12;
  hc::test::TempDir other;
  CHECK_THROWS_WITH(hc::run_training_loop(second, options, *parallel, paths_in(other)),
                    Catch::Contains("train.seed 11"));
}

TEST_CASE("training loop: accumulated micro-batches equal the whole batch", "[train][loop]") {
  auto parallel = one_process();
  hc::TrainLoopOptions whole = loop_options();
  whole.batch_size = 8;
  hc::TrainLoopOptions micro = loop_options();
  micro.batch_size = 4;
  micro.accumulation = 2;
  hc::test::TempDir a, b;
  Regression by_whole("sgd"), by_micro("sgd");
  const auto one = hc::run_training_loop(by_whole, whole, *parallel, paths_in(a));
  const auto two = hc::run_training_loop(by_micro, micro, *parallel, paths_in(b));
  CHECK(one.steps == two.steps);
  CHECK(one.steps == 3 * 3);
  CHECK(torch::allclose(by_whole.w(), by_micro.w(), 1e-12, 1e-12));
  CHECK_FALSE(torch::equal(by_whole.w(), torch::zeros_like(by_whole.w())));
}

TEST_CASE("training loop: step bound, cadences, log and curve", "[train][loop]") {
  auto parallel = one_process();
  hc::test::TempDir dir;
  hc::TrainLoopOptions options = loop_options();
  options.max_steps = 7;
  options.validate_every = 3;
  options.checkpoint_every = 5;
  options.clip_grad_norm = 0.5;
  Regression task;
  const auto outcome = hc::run_training_loop(task, options, *parallel, paths_in(dir));
  CHECK(outcome.steps == 7);
  // Before, at steps 3 and 6, after.
  REQUIRE(outcome.validation.size() == 4);
  CHECK(outcome.validation[1]["step"] == 3);
  CHECK(outcome.validation.back()["mse"].get<double>() <
        outcome.validation.front()["mse"].get<double>());
  const hc::StepLog log = hc::StepLog::read(dir / "loss.jsonl", 1000);
  const auto totals = log.series("total");
  REQUIRE(totals.size() == 7);
  CHECK(totals.front().first == 1);
  for (const auto& [step, norm] : log.series("grad_norm")) CHECK(norm > 0);
  for (const auto& record : log.records()) {
    if (record.contains("total")) {
      CHECK(record.contains("lr"));
      CHECK(record.contains("step_s"));
      // 22 examples in batches of 4: every epoch's sixth step takes the last 2.
      const int64_t in_epoch = (record["step"].get<int64_t>() - 1) % 6;
      CHECK(record["rows"] == (in_epoch < 5 ? 4 : kExamples % 4));
    }
  }
  // The step-5 checkpoint, not one at the end; the final folder.
  const hc::StepLog saved = hc::StepLog::read(dir / "checkpoint" / "loss.jsonl", 1000);
  CHECK(saved.series("total").back().first == 5);
  CHECK(fs::exists(dir / "final" / "w.safetensors"));
  const std::string svg = hc::test::read_bytes(dir / "loss.svg");
  CHECK_THAT(svg, Catch::Contains("<svg") && Catch::Contains("<polyline"));
  // Every term the task reports gets a panel, not only names the loop knows.
  CHECK_THAT(svg, Catch::Contains("residual") && Catch::Contains("grad_norm"));
  CHECK_THAT(svg, !Catch::Contains("step_s"));
}

TEST_CASE("training loop: loss scaling, overflow skips, autocast only on CUDA", "[train][loop]") {
  auto parallel = one_process();
  hc::TrainLoopOptions plain = loop_options();
  hc::TrainLoopOptions scaled = loop_options();
  scaled.loss_scale = "1024";  // a power of two: scaling and unscaling are exact
  hc::test::TempDir a, b;
  Regression by_plain("sgd"), by_scaled("sgd");
  hc::run_training_loop(by_plain, plain, *parallel, paths_in(a));
  hc::run_training_loop(by_scaled, scaled, *parallel, paths_in(b));
  CHECK(torch::equal(by_plain.w(), by_scaled.w()));

  hc::TrainLoopOptions overflowing = loop_options();
  overflowing.loss_scale = "inf";  // every step overflows
  hc::test::TempDir c;
  Regression frozen("sgd");
  const auto outcome = hc::run_training_loop(frozen, overflowing, *parallel, paths_in(c));
  CHECK(outcome.skipped_steps == outcome.steps);
  CHECK(torch::equal(frozen.w(), torch::zeros({4}, torch::kDouble)));

  hc::TrainLoopOptions autocast = loop_options();
  autocast.autocast = "bf16";
  hc::test::TempDir d;
  Regression cpu;
  CHECK_THROWS_WITH(hc::run_training_loop(cpu, autocast, *parallel, paths_in(d)),
                    Catch::Contains("CUDA"));
}

TEST_CASE("training loop: a dynamic loss scale skips an overflowing step and halves",
          "[train][loop][loss_scale]") {
  auto parallel = one_process();
  hc::TrainLoopOptions options = loop_options();
  options.loss_scale = "dynamic";
  hc::test::TempDir dir, plain_dir;
  Regression task("sgd"), plain("sgd");
  task.overflow_at_call(4);  // the fifth step: one micro-batch per step
  const auto outcome = hc::run_training_loop(task, options, *parallel, paths_in(dir));
  CHECK(outcome.skipped_steps == 1);
  const hc::StepLog log = hc::StepLog::read(dir / "loss.jsonl", 1000);
  std::vector<std::pair<int64_t, double>> skipped;
  for (const auto& record : log.records()) {
    if (!record.contains("loss_scale")) continue;
    const int64_t step = record["step"].get<int64_t>();
    CAPTURE(step);
    // Steps 1-5 ran at 2^16 (the fifth overflowed and was skipped), the rest at 2^15.
    CHECK(record["loss_scale"].get<double>() == (step <= 5 ? 65536.0 : 32768.0));
    CHECK(record.value("skipped", false) == (step == 5));
  }
  // Skipping one SGD step is not the plain run: the weights differ, and stay finite.
  hc::TrainLoopOptions unscaled = loop_options();
  hc::run_training_loop(plain, unscaled, *parallel, paths_in(plain_dir));
  CHECK(torch::isfinite(task.w()).all().item<bool>());
  CHECK_FALSE(torch::equal(task.w(), plain.w()));
  // A checkpoint carries the scaler's state.
  hc::test::TempDir saved;
  hc::TrainLoopOptions checkpointed = options;
  checkpointed.max_steps = 7;
  checkpointed.checkpoint_every = 6;
  Regression again("sgd");
  again.overflow_at_call(4);
  hc::run_training_loop(again, checkpointed, *parallel, paths_in(saved));
  const auto state = nlohmann::json::parse(
      hc::test::read_bytes(saved / "checkpoint" / hc::kTrainingStateJson));
  CHECK(state["loss_scale"] == 32768.0);
  CHECK(state["loss_scale_growth_tracker"] == 1);  // step 6 was finite
}

TEST_CASE("training loop: train.loss_scale takes a number or dynamic", "[train][loop][loss_scale]") {
  auto parallel = one_process();
  hc::TrainLoopOptions options = loop_options();
  options.loss_scale = "fast";
  hc::test::TempDir dir;
  Regression task;
  CHECK_THROWS_WITH(hc::run_training_loop(task, options, *parallel, paths_in(dir)),
                    Catch::Contains("train.loss_scale") && Catch::Contains("dynamic"));
}
