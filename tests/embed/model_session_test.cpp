// ModelSession: the model side every embedding tool shares opens the checkpoint on the run's
// compute settings and reports the same things into every result.
#include "embed_test_util.h"

#include "hc/core/compute_options.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/model_session.h"

TEST_CASE("model session: opens the model, embeds, and reports identity, counters and timing",
          "[embed]") {
  hc::test::TempDir cache;
  hc::ModelOptions model;
  model.path = hc::test::model_dir("tiny-quickgelu").string();
  model.batch_size = 2;
  model.cache_dir = cache.path();
  hc::ComputeOptions compute;
  compute.threads = 2;
  hc::RunResult result("t");
  hc::ModelSession session(model, compute, result);
  CHECK(session.engine().threads() == 2);  // compute.threads reaches the worker pool
  CHECK(session.dim() == session.bundle().model->config().projection_dim);

  const auto texts = hc::test::fixture_texts();
  const at::Tensor embedded = session.engine().embed_texts({texts[0], texts[1], texts[0]});
  CHECK(embedded.size(0) == 3);
  session.report(result);
  const auto json = result.to_json();
  CHECK(json["model"]["name"] == "tiny-quickgelu");
  CHECK(json["model"]["sha256"].get<std::string>().size() == 64);
  CHECK(json["embedding"]["batch_size"] == 2);
  CHECK(json["embedding"]["threads"] == 2);
  CHECK(json["embedding"]["texts_computed"] == 2);  // the repeat is computed once
  CHECK(json["embedding"]["text_forward_calls"] == 1);
  CHECK(json["embedding"]["cache"] == cache.path().string());
  CHECK(json["timing"]["load_model_s"].get<double>() > 0.0);
}

TEST_CASE("model session: the compute dtype is the model's, and a missing model names itself",
          "[embed]") {
  hc::ModelOptions model;
  model.path = hc::test::model_dir("tiny-gelu").string();
  model.cache = false;
  hc::ComputeOptions compute;
  compute.dtype = "bf16";
  hc::ModelSession session(model, compute);
  CHECK(session.bundle().model->dtype() == at::kBFloat16);
  CHECK(session.embedding_json()["cache"].is_null());

  model.path = (hc::test::model_dir("tiny-gelu") / "nothing-here").string();
  try {
    hc::ModelSession missing(model, compute);
    FAIL("no error");
  } catch (const hc::Error& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains("nothing-here"));
  }
}
