// The prompt ensemble (hc/text/prompt_templates.h): each template's embeddings normalised,
// averaged, renormalised, as CLIP's zero-shot notebook does.
#include "catch_torch.h"

#include <map>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/text/prompt_templates.h"
#include "test_support.h"

TEST_CASE("prompt ensemble: mean of normalised template embeddings, renormalised") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "t.txt", "a {}\nthe {}\n");
  const auto templates = hc::PromptTemplates::load(dir / "t.txt");
  // A fake text encoder with un-normalised outputs.
  const std::map<std::string, std::vector<float>> table{
      {"a x", {3, 0}}, {"the x", {0, 2}}, {"a y", {1, 1}}, {"the y", {-2, 2}}};
  std::vector<std::vector<std::string>> calls;
  auto embed = [&](const std::vector<std::string>& texts) {
    calls.push_back(texts);
    at::Tensor out = torch::empty({static_cast<int64_t>(texts.size()), 2});
    for (std::size_t i = 0; i < texts.size(); ++i) {
      out[i][0] = table.at(texts[i])[0];
      out[i][1] = table.at(texts[i])[1];
    }
    return out;
  };
  const at::Tensor result = hc::embed_with_templates(templates, {"x", "y"}, embed);
  CHECK(calls == std::vector<std::vector<std::string>>{{"a x", "a y"}, {"the x", "the y"}});
  const float h = std::sqrt(0.5f);
  // x: mean of (1, 0) and (0, 1) -> (h, h); y: mean of (h, h) and (-h, h) -> (0, h) -> (0, 1).
  const at::Tensor expected = torch::tensor({{h, h}, {0.0f, 1.0f}});
  CHECK(torch::allclose(result, expected, 1e-6, 1e-6));

  const auto single = hc::PromptTemplates::single("a {}");
  CHECK(torch::allclose(hc::embed_with_templates(single, {"x", "y"}, embed),
                        torch::tensor({{1.0f, 0.0f}, {h, h}}), 1e-6, 1e-6));

  auto wrong = [](const std::vector<std::string>&) { return torch::zeros({1, 2}); };
  CHECK_THROWS_AS(hc::embed_with_templates(templates, {"x", "y"}, wrong), hc::Error);
}
