#include "hc/embed/embedding_engine.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <unordered_map>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "hc/core/compute_options.h"
#include "hc/core/error.h"
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

// The inputs of one shard: the block of the distinct values (in order of first appearance).
template <typename T, typename Key>
std::vector<T> shard_of(const std::vector<T>& items, const ShardSpec& shard, Key key) {
  const auto unique = distinct(items, key);
  const auto [begin, end] = shard_range(unique.first.size(), shard);
  std::vector<T> subset;
  subset.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) subset.push_back(items[unique.first[i]]);
  return subset;
}

using Compute = std::function<at::Tensor(const std::vector<std::size_t>&, const EmbedBatchSink&)>;

}  // namespace

struct EmbeddingEngine::Impl {
  ClipModel model;
  ClipTokenizer tokenizer;
  PreprocessConfig preprocess;
  std::string weights_sha256;
  std::string model_name;
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
        model_name(bundle.identity.name),
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
  void use_threads();

  std::string settings(const std::string& kind) const {
    nlohmann::json json{
        {"kind", kind},
        {"weights_sha256", weights_sha256},
        {"model_config", to_hf_config_json(model->config(), "")},
        {"dtype", scalar_type_label(model->dtype())},
        // fp32 on a GPU differs from the CPU in the last bits: separate keys.
        {"device", c10::DeviceTypeName(model->device().type(), /*lower_case=*/true)},
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
    if (!slot) {
      EmbeddingCacheOptions cache_options;
      cache_options.max_bytes = options.cache_max_bytes;
      cache_options.label = model_name;
      slot = std::make_unique<EmbeddingCache>(options.cache_dir, kind, settings(kind), dim(),
                                              cache_options);
    }
    return slot.get();
  }

  ImageEmbedder& images() {
    if (!image) image.emplace(model, preprocess, raw_options(options), pool);
    return *image;
  }

  // Raw embeddings of `count` distinct items: cached rows from `cache` (when given), the rest
  // from compute(indices, sink), whose sink adds each batch to the cache as it is computed.
  // Items with equal digests are computed once.
  at::Tensor embed_distinct(std::size_t count, EmbeddingCache* cache,
                            const std::function<std::vector<ItemDigest>()>& digest_all,
                            const Compute& compute, std::size_t& computed,
                            std::size_t& from_cache) {
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
      EmbedBatchSink to_cache;
      if (cache) {
        to_cache = [&](const std::vector<int64_t>& rows, const at::Tensor& raw) {
          std::vector<ItemDigest> batch_digests;
          batch_digests.reserve(rows.size());
          for (int64_t row : rows) batch_digests.push_back(digests[missing[row]]);
          cache->add(batch_digests, raw);
        };
      }
      const at::Tensor fresh = compute(missing, to_cache);
      std::vector<int64_t> where(missing.begin(), missing.end());
      out.index_copy_(0, at::tensor(where, at::kLong), fresh);
      computed += missing.size();
    }
    for (const auto& [item, source] : copies) out[item].copy_(out[source]);
    return out;
  }

  // The raw row of one input: from the cache when it holds digest(), else compute() (raw
  // [1, P]), which then goes to the cache.
  at::Tensor embed_one(EmbeddingCache* cache, const std::function<ItemDigest()>& digest,
                       const std::function<at::Tensor()>& compute, std::size_t& computed,
                       std::size_t& from_cache) {
    std::optional<ItemDigest> key;
    if (cache) {
      key = digest();
      const int64_t row = cache->lookup({*key}).front();
      if (row >= 0) {
        ++from_cache;
        return cache->rows({row});
      }
    }
    at::Tensor raw = compute();
    if (cache) cache->add({*key}, raw);
    ++computed;
    return raw;
  }

  at::Tensor finish_one(const at::Tensor& raw_row) const {
    return (options.normalise ? unit_rows(raw_row) : raw_row)[0];
  }

  at::Tensor finish(const at::Tensor& distinct_rows, const std::vector<int64_t>& of_item) const {
    at::Tensor rows = distinct_rows.index_select(0, at::tensor(of_item, at::kLong));
    return options.normalise ? unit_rows(rows) : rows;
  }
};

EmbeddingEngine::EmbeddingEngine(const ClipBundle& bundle, EmbedOptions options)
    : impl_(std::make_unique<Impl>(bundle, std::move(options))) {}

EmbeddingEngine::~EmbeddingEngine() = default;

void EmbeddingEngine::Impl::use_threads() {
  // Per calling thread: OpenMP's count does not follow from the thread that set it.
  use_compute_threads(options.threads);
  stats.model_threads = compute_thread_counts();
}

at::Tensor EmbeddingEngine::embed_texts(const std::vector<std::string>& texts) {
  Impl& m = *impl_;
  m.use_threads();
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
      [&](const std::vector<std::size_t>& which, const EmbedBatchSink& sink) {
        std::vector<std::string> subset;
        subset.reserve(which.size());
        for (std::size_t i : which) subset.push_back(distinct_texts[i]);
        return m.text.embed(subset, sink);
      },
      m.stats.texts_computed, m.stats.texts_from_cache);
  m.stats.text_forward_calls += m.text.forward_calls() - calls_before;
  return m.finish(rows, unique.of_item);
}

at::Tensor EmbeddingEngine::embed_images(const std::vector<fs::path>& paths) {
  Impl& m = *impl_;
  m.use_threads();
  ImageEmbedder& images = m.images();
  const auto unique = distinct(paths, [](const fs::path& path) { return path.string(); });
  std::vector<fs::path> distinct_paths;
  distinct_paths.reserve(unique.first.size());
  for (std::size_t i : unique.first) distinct_paths.push_back(paths[i]);

  const std::size_t calls_before = images.forward_calls();
  at::Tensor rows = m.embed_distinct(
      distinct_paths.size(), m.cache("image"),
      [&] { return file_digests(distinct_paths, m.pool); },
      [&](const std::vector<std::size_t>& which, const EmbedBatchSink& sink) {
        std::vector<fs::path> subset;
        subset.reserve(which.size());
        for (std::size_t i : which) subset.push_back(distinct_paths[i]);
        return images.embed(subset, sink);
      },
      m.stats.images_computed, m.stats.images_from_cache);
  m.stats.image_forward_calls += images.forward_calls() - calls_before;
  return m.finish(rows, unique.of_item);
}

at::Tensor EmbeddingEngine::embed_text(const std::string& text) {
  Impl& m = *impl_;
  m.use_threads();
  const std::size_t calls_before = m.text.forward_calls();
  const at::Tensor raw = m.embed_one(
      m.cache("text"), [&] { return text_digest(text); },
      [&] { return m.text.embed_tokens({m.text.tokenize_one(text)}); }, m.stats.texts_computed,
      m.stats.texts_from_cache);
  m.stats.text_forward_calls += m.text.forward_calls() - calls_before;
  return m.finish_one(raw);
}

at::Tensor EmbeddingEngine::embed_image(const fs::path& path) {
  Impl& m = *impl_;
  m.use_threads();
  ImageEmbedder& images = m.images();
  const std::size_t calls_before = images.forward_calls();
  const at::Tensor raw = m.embed_one(
      m.cache("image"), [&] { return file_digest(path); },
      [&] { return images.embed_pixels(images.pixels_of(path)); }, m.stats.images_computed,
      m.stats.images_from_cache);
  m.stats.image_forward_calls += images.forward_calls() - calls_before;
  return m.finish_one(raw);
}

std::size_t EmbeddingEngine::fill_cache_texts(const std::vector<std::string>& texts,
                                              const ShardSpec& shard) {
  if (!cache_enabled()) {
    throw usage_error("filling shard {} of the embedding cache needs the cache: it is off",
                      shard.str());
  }
  const auto subset = shard_of(texts, shard, [](const std::string& text) { return text; });
  embed_texts(subset);
  return subset.size();
}

std::size_t EmbeddingEngine::fill_cache_images(const std::vector<fs::path>& paths,
                                               const ShardSpec& shard) {
  if (!cache_enabled()) {
    throw usage_error("filling shard {} of the embedding cache needs the cache: it is off",
                      shard.str());
  }
  const auto subset = shard_of(paths, shard, [](const fs::path& path) { return path.string(); });
  embed_images(subset);
  return subset.size();
}

const EmbedStats& EmbeddingEngine::stats() const { return impl_->stats; }
const EmbedOptions& EmbeddingEngine::options() const { return impl_->options; }
std::size_t EmbeddingEngine::threads() const { return impl_->pool.size(); }
bool EmbeddingEngine::cache_enabled() const { return impl_->options.use_cache; }

std::string EmbeddingEngine::cache_settings(const std::string& kind) const {
  return impl_->settings(kind);
}

fs::path EmbeddingEngine::cache_folder(const std::string& kind) const {
  return impl_->options.use_cache ? impl_->cache(kind)->folder() : fs::path();
}

}  // namespace hc
