#include "hc/embed/embedding_engine.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <unordered_map>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "hc/core/compute_options.h"
#include "hc/core/thread_pool.h"
#include "hc/embed/embedding_cache.h"
#include "hc/embed/image_embedder.h"
#include "hc/embed/text_embedder.h"
#include "hc/embed/unit_rows.h"
#include "hc/model/clip_bundle.h"
#include "hc/tensor/device.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

std::size_t pool_size(const EmbedOptions& options) {
  return static_cast<std::size_t>(options.threads > 0 ? options.threads : hardware_threads());
}

// The embedder's options: raw rows (the engine normalises after the cache, which keeps raw).
EmbedOptions raw_options(EmbedOptions options) {
  options.normalise = false;
  return options;
}

// Positions of the distinct values of items, and for each item the position of its value.
template <typename T>
struct Distinct {
  std::vector<std::size_t> first;  // index in items of each distinct value
  std::vector<int64_t> of_item;    // item -> index into first
};

template <typename T, typename Key>
Distinct<T> distinct(const std::vector<T>& items, Key key) {
  Distinct<T> result;
  result.of_item.resize(items.size());
  std::unordered_map<std::string, int64_t> seen;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto [it, inserted] = seen.emplace(key(items[i]), static_cast<int64_t>(result.first.size()));
    if (inserted) result.first.push_back(i);
    result.of_item[i] = it->second;
  }
  return result;
}

std::string digest_key(const ItemDigest& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace

struct EmbeddingEngine::Impl {
  ClipModel model;
  ClipTokenizer tokenizer;
  PreprocessConfig preprocess;
  std::string weights_sha256;
  EmbedOptions options;
  ThreadPool pool;
  TextEmbedder text;
  std::optional<ImageEmbedder> image;  // made on first use: text-only callers never need it
  std::unique_ptr<EmbeddingCache> text_cache;
  std::unique_ptr<EmbeddingCache> image_cache;
  EmbedStats stats;

  Impl(const ClipBundle& bundle, EmbedOptions opts)
      : model(bundle.model),
        tokenizer(bundle.tokenizer),
        preprocess(bundle.preprocess),
        weights_sha256(bundle.identity.weights_sha256),
        options(std::move(opts)),
        pool(pool_size(options)),
        text(model, tokenizer, raw_options(options), pool) {
    if (options.use_cache && weights_sha256.empty()) {
      spdlog::warn("the model {} has no weights fingerprint: embedding cache off",
                   bundle.identity.name);
      options.use_cache = false;
    }
    if (options.cache_dir.empty()) options.cache_dir = default_embedding_cache_dir();
  }

  int64_t dim() const { return model->config().projection_dim; }

  std::string settings(const std::string& kind) const {
    nlohmann::json json{
        {"kind", kind},
        {"weights_sha256", weights_sha256},
        {"model_config", to_hf_config_json(model->config(), "")},
        {"dtype", scalar_type_label(model->dtype())},
    };
    if (kind == "text") {
      json["tokenizer"] = {{"vocab_size", tokenizer.vocab_size()},
                           {"bos_id", tokenizer.bos_id()},
                           {"eos_id", tokenizer.eos_id()},
                           {"context_length", text.context_length()},
                           {"truncate", true}};
    } else {
      json["preprocess"] = nlohmann::json::parse(preprocess.to_json());
      // Where the settings came from does not change the pixels: a moved checkpoint still hits.
      json["preprocess"].erase("preset_or_file");
    }
    return json.dump();  // keys sorted: the same settings always give the same text
  }

  EmbeddingCache* cache(const std::string& kind) {
    if (!options.use_cache) return nullptr;
    auto& slot = kind == "text" ? text_cache : image_cache;
    if (!slot) slot = std::make_unique<EmbeddingCache>(options.cache_dir, kind, settings(kind), dim());
    return slot.get();
  }

  ImageEmbedder& images() {
    if (!image) image.emplace(model, preprocess, raw_options(options), pool);
    return *image;
  }

  // Raw embeddings of `count` distinct items: cached rows from `cache` (when given), the rest
  // from compute(indices), which is then added to the cache. Items with equal digests are
  // computed once.
  at::Tensor embed_distinct(
      std::size_t count, EmbeddingCache* cache,
      const std::function<std::vector<ItemDigest>()>& digest_all,
      const std::function<at::Tensor(const std::vector<std::size_t>&)>& compute,
      std::size_t& computed, std::size_t& from_cache) {
    at::Tensor out = at::empty({static_cast<int64_t>(count), dim()}, at::kFloat);
    std::vector<std::size_t> missing;
    std::vector<ItemDigest> digests;
    std::vector<std::pair<int64_t, int64_t>> copies;  // (item, item with the same digest)
    if (cache) {
      digests = digest_all();
      const std::vector<int64_t> rows = cache->lookup(digests);
      std::vector<int64_t> hit_items, hit_rows;
      std::unordered_map<std::string, int64_t> first_missing;
      for (std::size_t i = 0; i < count; ++i) {
        if (rows[i] >= 0) {
          hit_items.push_back(static_cast<int64_t>(i));
          hit_rows.push_back(rows[i]);
          continue;
        }
        auto [it, inserted] = first_missing.emplace(digest_key(digests[i]), i);
        if (inserted) {
          missing.push_back(i);
        } else {
          copies.emplace_back(static_cast<int64_t>(i), it->second);
        }
      }
      if (!hit_items.empty()) {
        out.index_copy_(0, at::tensor(hit_items, at::kLong), cache->rows(hit_rows));
      }
      from_cache += hit_items.size();
    } else {
      missing.resize(count);
      for (std::size_t i = 0; i < count; ++i) missing[i] = i;
    }
    if (!missing.empty()) {
      const at::Tensor fresh = compute(missing);
      std::vector<int64_t> where(missing.begin(), missing.end());
      out.index_copy_(0, at::tensor(where, at::kLong), fresh);
      computed += missing.size();
      if (cache) {
        std::vector<ItemDigest> fresh_digests;
        fresh_digests.reserve(missing.size());
        for (std::size_t i : missing) fresh_digests.push_back(digests[i]);
        cache->add(fresh_digests, fresh);
      }
    }
    for (const auto& [item, source] : copies) out[item].copy_(out[source]);
    return out;
  }

  at::Tensor finish(const at::Tensor& distinct_rows, const std::vector<int64_t>& of_item) const {
    at::Tensor rows = distinct_rows.index_select(0, at::tensor(of_item, at::kLong));
    return options.normalise ? unit_rows(rows) : rows;
  }
};

EmbeddingEngine::EmbeddingEngine(const ClipBundle& bundle, EmbedOptions options)
    : impl_(std::make_unique<Impl>(bundle, std::move(options))) {}

EmbeddingEngine::~EmbeddingEngine() = default;

at::Tensor EmbeddingEngine::embed_texts(const std::vector<std::string>& texts) {
  Impl& m = *impl_;
  const auto unique = distinct(texts, [](const std::string& text) { return text; });
  std::vector<std::string> distinct_texts;
  distinct_texts.reserve(unique.first.size());
  for (std::size_t i : unique.first) distinct_texts.push_back(texts[i]);

  const std::size_t calls_before = m.text.forward_calls();
  at::Tensor rows = m.embed_distinct(
      distinct_texts.size(), m.cache("text"),
      [&] {
        std::vector<ItemDigest> digests(distinct_texts.size());
        m.pool.parallel_for(distinct_texts.size(),
                            [&](std::size_t i) { digests[i] = text_digest(distinct_texts[i]); });
        return digests;
      },
      [&](const std::vector<std::size_t>& which) {
        std::vector<std::string> subset;
        subset.reserve(which.size());
        for (std::size_t i : which) subset.push_back(distinct_texts[i]);
        return m.text.embed(subset);
      },
      m.stats.texts_computed, m.stats.texts_from_cache);
  m.stats.text_forward_calls += m.text.forward_calls() - calls_before;
  return m.finish(rows, unique.of_item);
}

at::Tensor EmbeddingEngine::embed_images(const std::vector<fs::path>& paths) {
  Impl& m = *impl_;
  ImageEmbedder& images = m.images();
  const auto unique = distinct(paths, [](const fs::path& path) { return path.string(); });
  std::vector<fs::path> distinct_paths;
  distinct_paths.reserve(unique.first.size());
  for (std::size_t i : unique.first) distinct_paths.push_back(paths[i]);

  const std::size_t calls_before = images.forward_calls();
  at::Tensor rows = m.embed_distinct(
      distinct_paths.size(), m.cache("image"),
      [&] { return file_digests(distinct_paths, m.pool); },
      [&](const std::vector<std::size_t>& which) {
        std::vector<fs::path> subset;
        subset.reserve(which.size());
        for (std::size_t i : which) subset.push_back(distinct_paths[i]);
        return images.embed(subset);
      },
      m.stats.images_computed, m.stats.images_from_cache);
  m.stats.image_forward_calls += images.forward_calls() - calls_before;
  return m.finish(rows, unique.of_item);
}

const EmbedStats& EmbeddingEngine::stats() const { return impl_->stats; }
const EmbedOptions& EmbeddingEngine::options() const { return impl_->options; }
std::size_t EmbeddingEngine::threads() const { return impl_->pool.size(); }
bool EmbeddingEngine::cache_enabled() const { return impl_->options.use_cache; }

std::string EmbeddingEngine::cache_settings(const std::string& kind) const {
  return impl_->settings(kind);
}

fs::path EmbeddingEngine::cache_file(const std::string& kind) const {
  return impl_->options.use_cache ? impl_->cache(kind)->file() : fs::path();
}

}  // namespace hc
