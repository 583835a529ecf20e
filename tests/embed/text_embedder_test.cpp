// Text embeddings: length-bucketed batches give the fixture's reference outputs (computed
// unbucketed, padded to 77), in input order.
#include "embed_test_util.h"

#include <algorithm>

#include "hc/core/thread_pool.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/text_embedder.h"

namespace {
using namespace hc::test;
}

TEST_CASE("Bucketed text embeddings equal the unbucketed reference", "[embed][text]") {
  const auto batch_size = GENERATE(1, 5, 64);
  CAPTURE(batch_size);
  hc::ClipBundle bundle = fixture_bundle();
  hc::ThreadPool pool(2);
  const std::vector<std::string> texts = fixture_texts();
  const at::Tensor expected = expected_tensor("text_embeds");

  hc::EmbedOptions options = test_options(batch_size);
  hc::TextEmbedder embedder(bundle.model, bundle.tokenizer, options, pool);
  const at::Tensor normalised = embedder.embed(texts);
  CHECK(normalised.scalar_type() == at::kFloat);
  CHECK(normalised.device().is_cpu());
  CHECK(close(normalised, unit(expected)));
  CHECK(embedder.forward_calls() == (texts.size() + batch_size - 1) / batch_size);

  options.normalise = false;
  hc::TextEmbedder raw(bundle.model, bundle.tokenizer, options, pool);
  CHECK(close(raw.embed(texts), expected));
}

TEST_CASE("Text embeddings come back in input order, repeats included", "[embed][text]") {
  hc::ClipBundle bundle = fixture_bundle();
  const std::vector<std::string> texts = fixture_texts();
  const at::Tensor expected = unit(expected_tensor("text_embeds"));
  // Reversed, with some texts twice (the engine computes each distinct text once).
  std::vector<int64_t> order;
  for (int64_t i = static_cast<int64_t>(texts.size()) - 1; i >= 0; --i) order.push_back(i);
  order.push_back(3);
  order.push_back(21);
  std::vector<std::string> shuffled;
  for (int64_t i : order) shuffled.push_back(texts[i]);

  hc::EmbeddingEngine engine(bundle, test_options(4));
  const at::Tensor got = engine.embed_texts(shuffled);
  CHECK(close(got, expected.index_select(0, at::tensor(order, at::kLong))));
  CHECK(engine.stats().texts_computed == texts.size());
  CHECK(engine.stats().text_forward_calls == (texts.size() + 3) / 4);
}

TEST_CASE("Texts longer than the context are cut with the end token kept", "[embed][text]") {
  hc::ClipBundle bundle = fixture_bundle();
  hc::ThreadPool pool(1);
  hc::TextEmbedder embedder(bundle.model, bundle.tokenizer, test_options(8), pool);
  const auto tokens = embedder.tokenize(fixture_texts());
  for (const auto& ids : tokens) {
    CHECK(static_cast<int64_t>(ids.size()) <= embedder.context_length());
    CHECK(ids.back() == bundle.tokenizer.eos_id());
  }
  CHECK(embedder.embed({}).sizes() == at::IntArrayRef({0, 32}));
}

TEST_CASE("Text embeddings in bf16 stay within the fixture's bf16 tolerance", "[embed][text]") {
  hc::ClipBundle bundle = fixture_bundle("tiny-gelu", at::kBFloat16);
  hc::EmbeddingEngine engine(bundle, test_options(7));
  const at::Tensor got = engine.embed_texts(fixture_texts("tiny-gelu"));
  CHECK(got.scalar_type() == at::kFloat);
  const at::Tensor expected = unit(expected_tensor("text_embeds", "tiny-gelu"));
  const at::Tensor cosine = (got * expected).sum(1);
  CHECK(cosine.min().item<float>() >= 0.999f);
}
