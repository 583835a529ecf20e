// Parity of hc::ReTrainer with 3 steps of the official train.py (fixtures/train_step, see its
// README): every tolerance rule of the README is its own check, named in its message. The
// model, the CSV, the batch size, the optimiser settings, the lambdas, the maximum length and the
// step count are read from the fixture's expected.json. A second test case replays deliberate
// mistakes of the README's sensitivity table and shows the same rules reject them.

#include "catch_torch.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hc/core/sha256.h"
#include "hc/data/hierarcaps_train.h"
#include "hc/io/safetensors.h"
#include "hc/model/clip_weights.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/train/padded_tokens.h"
#include "hc/train/re_text_batch.h"
#include "hc/train/re_trainer.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kTokenEmbedding = "text_model.embeddings.token_embedding.weight";

bool is_k_proj_bias(const std::string& name) {
  return name.find(".k_proj.bias") != std::string::npos;
}

using TensorMap = std::map<std::string, torch::Tensor>;

struct StepFixture {
  fs::path dir = hc::test::shared_path("fixtures/train_step");
  nlohmann::json expected =
      nlohmann::json::parse(hc::test::read_bytes(dir / "expected.json"));
  TensorMap tensors = read_all(dir / "expected.safetensors");

  static TensorMap read_all(const fs::path& path) {
    auto file = hc::SafetensorsFile::open(path);
    TensorMap out;
    for (const std::string& name : file->names()) out[name] = hc::to_tensor(file->get(name), torch::kCPU);
    return out;
  }
  fs::path model_dir() const { return dir / expected.at("model").at("dir").get<std::string>(); }
  fs::path csv() const { return dir / expected.at("data").at("file").get<std::string>(); }
  int64_t batch_size() const { return expected.at("batch_size").get<int64_t>(); }
  int64_t steps() const { return expected.at("n_steps").get<int64_t>(); }
  const nlohmann::json& step(int64_t k) const { return expected.at("steps").at(k); }
  double tolerance(const char* name) const {
    return expected.at("tolerances").at(name).get<double>();
  }
  const torch::Tensor& tensor(const std::string& name) const { return tensors.at(name); }

  // The official run's settings: train.py's arguments and the optimiser's defaults.
  hc::ReTrainerOptions options() const {
    const auto& args = expected.at("official_args");
    const auto& adam = expected.at("optimizer").at("defaults");
    hc::ReTrainerOptions o;
    o.optimizer.learning_rate = args.at("learning_rate").get<double>();
    o.optimizer.betas = adam.at("betas").get<std::vector<double>>();
    o.optimizer.eps = adam.at("eps").get<double>();
    o.optimizer.weight_decay = adam.at("weight_decay").get<double>();
    REQUIRE(adam.at("lr").get<double>() == o.optimizer.learning_rate);
    REQUIRE_FALSE(adam.at("amsgrad").get<bool>());
    o.max_length = args.at("max_length").get<int>();
    o.loss.lambda_p = args.at("lambda_p").get<double>();
    o.loss.lambda_e = args.at("lambda_e").get<double>();
    o.loss.lambda_m = args.at("lambda_m").get<double>();
    return o;
  }
};

// Deliberate mistakes of the README's sensitivity table that the library's options (or a
// small intervention between its calls) reproduce.
enum class Mistake { None, RootDetached, NoWeightDecay, AdamEps, TextProjectionNotTrained,
                     NoZeroGrad };

struct Run {
  std::vector<std::vector<std::string>> texts;
  std::vector<hc::ReStep> steps;
  std::vector<std::string> trained;
  TensorMap initial;     // every parameter before training
  TensorMap grad_step1;  // trained parameters' gradients just before the first update
  TensorMap final;       // every parameter after the last step
};

TensorMap snapshot(hc::ClipModel& model) {
  TensorMap out;
  for (const auto& item : model->named_parameters()) out[item.key()] = item.value().detach().clone();
  return out;
}

Run run_fixture(const StepFixture& f, Mistake mistake) {
  hc::ReTrainerOptions options = f.options();
  if (mistake == Mistake::RootDetached) options.root_gradient = false;
  if (mistake == Mistake::NoWeightDecay) options.optimizer.weight_decay = 0;
  if (mistake == Mistake::AdamEps) options.optimizer.eps = 1e-6;

  const torch::Device cpu(torch::kCPU);
  auto tokenizer = hc::ClipTokenizer::load(f.model_dir());
  const int32_t pad_id = hc::checkpoint_pad_id(f.model_dir(), tokenizer);
  hc::ReTrainer trainer(hc::load_clip(f.model_dir(), cpu, torch::kFloat),
                        hc::load_clip(f.model_dir(), cpu, torch::kFloat), tokenizer, pad_id,
                        options);
  if (mistake == Mistake::TextProjectionNotTrained) {
    trainer.model()->text_projection.set_requires_grad(false);
  }
  Run run;
  run.trained = trainer.trained_parameter_names();
  run.initial = snapshot(trainer.model());

  const hc::HierarCapsTrainSet data = hc::load_hierarcaps_train(f.csv());
  TensorMap accumulated;
  for (int64_t k = 0; k < f.steps(); ++k) {
    // File order, no shuffling: step k takes rows k * batch_size onwards.
    const auto begin = static_cast<std::size_t>(k * f.batch_size());
    hc::ReTextBatch batch =
        hc::re_text_batch(data.rows, begin, begin + f.batch_size(), options.loss);
    hc::ReStep step = trainer.compute_gradients(batch);
    for (const auto& item : trainer.model()->named_parameters()) {
      const torch::Tensor& grad = item.value().grad();
      if (!grad.defined()) continue;
      if (mistake == Mistake::NoZeroGrad) {  // what backward() would add up without zero_grad
        auto& sum = accumulated[item.key()];
        sum = sum.defined() ? sum + grad : grad.clone();
        item.value().mutable_grad().copy_(sum);
      }
      if (k == 0) run.grad_step1[item.key()] = grad.clone();
    }
    trainer.apply_update();
    run.texts.push_back(batch.texts);
    run.steps.push_back(std::move(step));
  }
  run.final = snapshot(trainer.model());
  return run;
}

double max_abs(const torch::Tensor& t) {
  return t.numel() == 0 ? 0.0 : t.abs().max().to(torch::kDouble).item<double>();
}
double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return max_abs(a.to(torch::kDouble) - b.to(torch::kDouble));
}

struct Rule {
  bool pass = true;
  double measured = 0;  // the quantity the rule bounds
  std::string detail;
};
using Rules = std::map<std::string, Rule>;

// The sorted token ids of every batch and of the root's [BOS, EOS].
torch::Tensor token_rows_of(const Run& run, const hc::ClipTokenizer& tokenizer) {
  std::set<int64_t> ids{tokenizer.bos_id(), tokenizer.eos_id()};
  for (const auto& step : run.steps) {
    auto flat = step.input_ids.reshape(-1);
    for (int64_t i = 0; i < flat.numel(); ++i) ids.insert(flat[i].item<int64_t>());
  }
  return torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kLong);
}

// Rows of the token embedding the fixture does not store.
torch::Tensor rows_not_listed(int64_t vocab, const torch::Tensor& listed) {
  auto keep = torch::ones({vocab}, torch::kBool);
  keep.index_fill_(0, listed, false);
  return keep.nonzero().squeeze(1);
}

void per_step_rules(const StepFixture& f, const Run& run, Rules& rules) {
  Rule& ids = rules["input_ids"];
  Rule& losses = rules["losses"];
  Rule& pn = rules["P_N"];
  Rule& emb = rules["E_root_orig"];
  Rule& mining = rules["hard_mining_indices"];
  for (int64_t k = 0; k < f.steps(); ++k) {
    const auto& e = f.step(k);
    const hc::ReStep& s = run.steps[k];
    const std::string key = fmt::format("step{}.", k + 1);
    const torch::Tensor& expected_ids = f.tensor(key + "input_ids");
    if (!(s.input_ids.sizes() == expected_ids.sizes() && s.input_ids.equal(expected_ids))) {
      ids.pass = false;
      ids.detail += fmt::format(" step {}", k + 1);
    }
    const std::pair<const torch::Tensor*, const char*> terms[] = {
        {&s.loss.pullback, "ploss"}, {&s.loss.entailment, "eloss"}, {&s.loss.mining, "mloss"},
        {&s.loss.total, "total"}};
    for (const auto& [ours, name] : terms) {
      losses.measured = std::max(losses.measured,
                                 std::abs(ours->item<double>() - e.at(name).get<double>()));
    }
    pn.measured = std::max({pn.measured, max_abs_diff(s.loss.P, f.tensor(key + "P")),
                            max_abs_diff(s.loss.N, f.tensor(key + "N"))});
    emb.measured = std::max({emb.measured, max_abs_diff(s.text, f.tensor(key + "E")),
                             max_abs_diff(s.root, f.tensor(key + "root")),
                             max_abs_diff(s.original, f.tensor(key + "orig"))});
    if (s.loss.hard_i.item<int64_t>() != e.at("hard_mining_i").get<int64_t>() ||
        s.loss.hard_j.item<int64_t>() != e.at("hard_mining_j").get<int64_t>()) {
      mining.pass = false;
      mining.detail += fmt::format(" step {}: ({}, {})", k + 1, s.loss.hard_i.item<int64_t>(),
                                   s.loss.hard_j.item<int64_t>());
    }
  }
  losses.pass = losses.measured <= f.tolerance("losses_abs");
  pn.pass = pn.measured <= f.tolerance("P_N_abs");
  emb.pass = emb.measured <= f.tolerance("E_root_orig_abs");
}

// A stored parameter (gradient or weight) and ours, restricted to the stored token rows.
std::pair<torch::Tensor, torch::Tensor> stored_pair(const StepFixture& f, const std::string& prefix,
                                                    const std::string& name,
                                                    const TensorMap& ours) {
  const torch::Tensor& mine = ours.at(name);
  if (name == kTokenEmbedding) {
    return {mine.index_select(0, f.tensor("token_rows")),
            f.tensor(prefix + name + "@token_rows")};
  }
  return {mine, f.tensor(prefix + name)};
}

void gradient_rules(const StepFixture& f, const Run& run, Rules& rules) {
  Rule& grad = rules["grad_step1"];
  Rule& bias = rules["grad_step1_k_proj_bias"];
  for (const auto& name : f.expected.at("trained_parameters").get<std::vector<std::string>>()) {
    if (!run.grad_step1.count(name)) {
      grad.pass = false;
      grad.detail += " no gradient for " + name;
      continue;
    }
    auto [ours, expected] = stored_pair(f, "grad_step1.", name, run.grad_step1);
    const double diff = max_abs_diff(ours, expected);
    if (is_k_proj_bias(name)) {
      bias.measured = std::max(bias.measured, diff);
      continue;
    }
    double relative = diff / max_abs(expected);
    if (name == kTokenEmbedding) {  // every other row's gradient is exactly 0 there
      auto others = run.grad_step1.at(name).index_select(
          0, rows_not_listed(run.grad_step1.at(name).size(0), f.tensor("token_rows")));
      relative = std::max(relative, max_abs(others) / max_abs(expected));
    }
    if (relative > grad.measured) grad.detail = " worst: " + name;
    grad.measured = std::max(grad.measured, relative);
  }
  grad.pass = grad.pass && grad.measured <= f.tolerance("grad_step1_abs_over_tensor_max_abs");
  bias.pass = bias.measured <= f.tolerance("grad_step1_k_proj_bias_abs");
}

void weight_rules(const StepFixture& f, const Run& run, Rules& rules) {
  std::vector<torch::Tensor> diffs;
  Rule& bias = rules["final_k_proj_bias"];
  for (const auto& name : f.expected.at("trained_parameters").get<std::vector<std::string>>()) {
    auto [ours, expected] = stored_pair(f, "final.", name, run.final);
    torch::Tensor d = (ours.to(torch::kDouble) - expected.to(torch::kDouble)).abs().reshape(-1);
    if (is_k_proj_bias(name)) {
      bias.measured = std::max(bias.measured, max_abs(d));
    } else {
      diffs.push_back(d);
    }
  }
  bias.pass = bias.measured <= f.tolerance("final_k_proj_bias_abs");
  torch::Tensor all = torch::cat(diffs);
  Rule& bulk = rules["final_weights_bulk"];
  const double within = (all <= f.tolerance("final_weights_bulk_abs")).to(torch::kDouble).mean().item<double>();
  bulk.measured = 1 - within;  // the share of elements outside the bulk bound
  bulk.pass = within >= f.tolerance("final_weights_bulk_share");
  bulk.detail = fmt::format(" ({} elements, 99.99% quantile {:.3g})", all.numel(),
                            all.quantile(f.tolerance("final_weights_bulk_share")).item<double>());
  Rule& every = rules["final_weights_every_element"];
  every.measured = max_abs(all);
  every.pass = every.measured <= f.tolerance("final_weights_every_element_abs");

  // Rows of the token embedding in no batch: only the decoupled decay acted, once per step,
  // with the float32 factor the fixture names.
  const float c = f.expected.at("weight_decay_factor_float32").get<float>();
  const torch::Tensor& initial = run.initial.at(kTokenEmbedding);
  auto others = rows_not_listed(initial.size(0), f.tensor("token_rows"));
  torch::Tensor expected = initial.index_select(0, others);
  for (int64_t k = 0; k < f.steps(); ++k) expected = expected * c;
  torch::Tensor ours = run.final.at(kTokenEmbedding).index_select(0, others);
  Rule& rows = rules["final_token_rows_not_listed"];
  torch::Tensor scale = expected.abs().to(torch::kDouble);
  torch::Tensor relative = (ours.to(torch::kDouble) - expected.to(torch::kDouble)).abs() /
                           scale.clamp_min(std::numeric_limits<double>::min());
  rows.measured = max_abs(relative.masked_fill(scale == 0, 0));
  rows.pass = rows.measured <= f.tolerance("final_token_rows_not_listed_rel") &&
              ours.masked_select(scale == 0).abs().sum().item<double>() == 0;
}

Rules evaluate(const StepFixture& f, const Run& run, const hc::ClipTokenizer& tokenizer) {
  Rules rules;
  per_step_rules(f, run, rules);
  Rule& tokens = rules["token_rows"];
  tokens.pass = token_rows_of(run, tokenizer).equal(f.tensor("token_rows"));
  gradient_rules(f, run, rules);
  weight_rules(f, run, rules);
  return rules;
}

std::string describe(const Rules& rules) {
  std::string text;
  for (const auto& [name, rule] : rules) {
    text += fmt::format("  {:<30} {:<4} {:.3g}{}\n", name, rule.pass ? "ok" : "FAIL",
                        rule.measured, rule.detail);
  }
  return text;
}

hc::ClipTokenizer fixture_tokenizer(const StepFixture& f) {
  return hc::ClipTokenizer::load(f.model_dir());
}

}  // namespace

TEST_CASE("train step: the fixture's model, data and parameter lists", "[train][train_step]") {
  StepFixture f;
  CHECK(hc::sha256_file(f.model_dir() / "model.safetensors") ==
        f.expected.at("model").at("model_safetensors_sha256").get<std::string>());
  REQUIRE_FALSE(f.expected.at("shuffle").get<bool>());

  // The weight-decay factor is 1 - lr * wd rounded to float32.
  const hc::ReTrainerOptions o = f.options();
  CHECK(static_cast<float>(1 - o.optimizer.learning_rate * o.optimizer.weight_decay) ==
        f.expected.at("weight_decay_factor_float32").get<float>());

  // The trained and frozen tensors are train.py's.
  auto tokenizer = fixture_tokenizer(f);
  hc::ReTrainer trainer(hc::load_clip(f.model_dir(), torch::kCPU, torch::kFloat),
                        hc::load_clip(f.model_dir(), torch::kCPU, torch::kFloat), tokenizer,
                        hc::checkpoint_pad_id(f.model_dir(), tokenizer), o);
  auto trained = f.expected.at("trained_parameters").get<std::vector<std::string>>();
  auto frozen = f.expected.at("frozen_parameters").get<std::vector<std::string>>();
  CHECK(std::set<std::string>(trainer.trained_parameter_names().begin(),
                              trainer.trained_parameter_names().end()) ==
        std::set<std::string>(trained.begin(), trained.end()));
  std::set<std::string> frozen_here;
  for (const auto& item : trainer.model()->named_parameters()) {
    if (!item.value().requires_grad()) frozen_here.insert(item.key());
  }
  CHECK(frozen_here == std::set<std::string>(frozen.begin(), frozen.end()));

  // The steps read the CSV rows and texts the fixture lists, in its order.
  const auto data = hc::load_hierarcaps_train(f.csv());
  for (int64_t k = 0; k < f.steps(); ++k) {
    const auto& step = f.step(k);
    const auto rows = step.at("csv_rows_0_based").get<std::vector<std::size_t>>();
    REQUIRE(static_cast<int64_t>(rows.size()) == f.batch_size());
    for (std::size_t i = 0; i < rows.size(); ++i) CHECK(rows[i] == k * f.batch_size() + i);
    auto batch = hc::re_text_batch(data.rows, rows.front(), rows.back() + 1, o.loss);
    CHECK(batch.texts == step.at("texts").get<std::vector<std::string>>());
  }
}

TEST_CASE("train step: 3 official steps reproduced to the README's tolerance rules",
          "[train][train_step][parity]") {
  StepFixture f;
  auto tokenizer = fixture_tokenizer(f);
  const Run run = run_fixture(f, Mistake::None);
  const Rules rules = evaluate(f, run, tokenizer);
  std::cout << "train_step parity, float32, measured vs fixture:\n" << describe(rules);

  for (int64_t k = 0; k < f.steps(); ++k) {
    CHECK(run.steps[k].input_ids.size(1) == f.step(k).at("padded_length").get<int64_t>());
  }
  CHECK(rules.at("input_ids").pass);
  CHECK(rules.at("token_rows").pass);
  CHECK(rules.at("hard_mining_indices").pass);
  INFO("rule losses_abs: |ploss|, |eloss|, |mloss|, |total| differences over the steps");
  CHECK(rules.at("losses").measured <= f.tolerance("losses_abs"));
  INFO("rule P_N_abs: P and N of every step");
  CHECK(rules.at("P_N").measured <= f.tolerance("P_N_abs"));
  INFO("rule E_root_orig_abs: unit embeddings, root and original embeddings of every step");
  CHECK(rules.at("E_root_orig").measured <= f.tolerance("E_root_orig_abs"));
  INFO("rule grad_step1_abs_over_tensor_max_abs:" << rules.at("grad_step1").detail);
  CHECK(rules.at("grad_step1").pass);
  INFO("rule grad_step1_k_proj_bias_abs");
  CHECK(rules.at("grad_step1_k_proj_bias").measured <= f.tolerance("grad_step1_k_proj_bias_abs"));
  INFO("rule final_weights_bulk:" << rules.at("final_weights_bulk").detail);
  CHECK(rules.at("final_weights_bulk").pass);
  INFO("rule final_weights_every_element_abs");
  CHECK(rules.at("final_weights_every_element").measured <=
        f.tolerance("final_weights_every_element_abs"));
  INFO("rule final_k_proj_bias_abs");
  CHECK(rules.at("final_k_proj_bias").measured <= f.tolerance("final_k_proj_bias_abs"));
  INFO("rule final_token_rows_not_listed_rel: initial * c^steps");
  CHECK(rules.at("final_token_rows_not_listed").pass);

  // The frozen tensors did not move at all.
  for (const auto& name : f.expected.at("frozen_parameters").get<std::vector<std::string>>()) {
    INFO("frozen parameter " << name);
    CHECK(run.final.at(name).equal(run.initial.at(name)));
  }
}

TEST_CASE("train step: the tolerance rules reject the README's deliberate mistakes",
          "[train][train_step][parity]") {
  StepFixture f;
  auto tokenizer = fixture_tokenizer(f);
  const std::pair<Mistake, const char*> mistakes[] = {
      {Mistake::RootDetached, "root_detached_no_gradient_through_root"},
      {Mistake::TextProjectionNotTrained, "text_projection_not_trained"},
      {Mistake::NoWeightDecay, "no_weight_decay"},
      {Mistake::AdamEps, "adam_eps_1e-6"},
      {Mistake::NoZeroGrad, "gradients_accumulated_no_zero_grad"},
  };
  for (const auto& [mistake, name] : mistakes) {
    CAPTURE(name);
    const Rules rules = evaluate(f, run_fixture(f, mistake), tokenizer);
    std::cout << "train_step mistake " << name << ":\n" << describe(rules);
    std::vector<std::string> broken;
    for (const auto& [rule, result] : rules) {
      if (!result.pass) broken.push_back(rule);
    }
    CHECK_FALSE(broken.empty());
    // Every rule the fixture's generator saw this mistake break breaks here too.
    for (const auto& rule : f.expected.at("mistakes").at(name).at("tolerance_rules_broken")) {
      INFO("rule " << rule.get<std::string>());
      CHECK(std::find(broken.begin(), broken.end(), rule.get<std::string>()) != broken.end());
    }
  }
}
