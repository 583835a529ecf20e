// save_tensors streams: one tensor at a time is converted and released, so saving needs one
// tensor's worth of extra memory, not a second copy of everything.
#include "catch_torch.h"

#include <c10/core/CPUAllocator.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

// Wraps torch's CPU allocator and tracks the bytes it has handed out and not got back.
// Both allocate() signatures are declared (const in libtorch 1.x, non-const in 2.3+; the other
// one is a plain overload), and copy_data (pure virtual in 2.3+).
class CountingAllocator : public c10::Allocator {
 public:
  explicit CountingAllocator(c10::Allocator* inner) : inner_(inner) {}

  c10::DataPtr allocate(size_t bytes) const { return counted(bytes); }
  c10::DataPtr allocate(size_t bytes) { return counted(bytes); }
  void copy_data(void* dest, const void* src, std::size_t count) const {
    std::memcpy(dest, src, count);
  }

  int64_t live() const { return live_.load(); }
  int64_t peak() const { return peak_.load(); }
  void reset_peak() { peak_.store(live_.load()); }

 private:
  struct Context {
    c10::DataPtr inner;
    int64_t bytes;
    const CountingAllocator* owner;
  };

  static void release(void* raw) {
    auto* context = static_cast<Context*>(raw);
    context->owner->live_ -= context->bytes;
    delete context;
  }

  c10::DataPtr counted(size_t bytes) const {
    c10::DataPtr inner = inner_->allocate(bytes);
    void* data = inner.get();
    const c10::Device device = inner.device();
    auto* context = new Context{std::move(inner), static_cast<int64_t>(bytes), this};
    const int64_t now = live_ += context->bytes;
    int64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    return c10::DataPtr(data, context, &release, device);
  }

  c10::Allocator* inner_;
  mutable std::atomic<int64_t> live_{0};
  mutable std::atomic<int64_t> peak_{0};
};

// Installs the counting allocator for the scope. It lives for the whole process: tensors it
// allocated may outlive the scope and call back into it when freed.
class CountingScope {
 public:
  CountingScope() : previous_(c10::GetCPUAllocator()) {
    static CountingAllocator* counting = new CountingAllocator(c10::GetCPUAllocator());
    allocator_ = counting;
    c10::SetCPUAllocator(allocator_, /*priority=*/0);
    allocator_->reset_peak();
  }
  ~CountingScope() { c10::SetCPUAllocator(previous_, /*priority=*/0); }
  CountingAllocator& allocator() { return *allocator_; }

 private:
  c10::Allocator* previous_;
  CountingAllocator* allocator_;
};

std::vector<hc::NamedTensor> model_like_tensors() {
  torch::manual_seed(3);
  return {{"embedding", torch::randn({500, 64})},  // the largest: 128 000 bytes in fp32
          {"layer.weight", torch::randn({64, 64})},
          {"layer.bias", torch::randn({64})},
          {"transposed", torch::randn({64, 32}).t()},  // not contiguous
          {"steps", torch::tensor(12, torch::kLong)}};
}

}  // namespace

TEST_CASE("save_tensors converts one tensor at a time: the extra memory is the largest one") {
  const auto tensors = model_like_tensors();
  int64_t total_bf16 = 0;
  int64_t largest_bf16 = 0;
  for (const auto& item : tensors) {
    const int64_t bytes = item.tensor.numel() * (item.tensor.is_floating_point() ? 2 : 8);
    total_bf16 += bytes;
    largest_bf16 = std::max(largest_bf16, bytes);
  }
  hc::test::TempDir dir;
  int64_t extra = 0;
  {
    CountingScope counting;
    const int64_t before = counting.allocator().live();
    hc::save_tensors(dir / "model.safetensors", tensors, {{"format", "pt"}}, torch::kBFloat16);
    extra = counting.allocator().peak() - before;
  }
  INFO("peak extra " << extra << " bytes; largest tensor " << largest_bf16 << ", all "
                     << total_bf16);
  CHECK(extra > 0);  // the counter saw the conversions
  CHECK(extra <= largest_bf16);

  auto file = hc::SafetensorsFile::open(dir / "model.safetensors");
  std::vector<std::string> names;
  for (const auto& item : tensors) names.push_back(item.name);
  CHECK(file->names() == names);  // the given order
  for (const auto& item : tensors) {
    INFO(item.name);
    const torch::Tensor back = hc::to_tensor(file->get(item.name), torch::kCPU);
    if (item.tensor.is_floating_point()) {
      CHECK(back.scalar_type() == torch::kBFloat16);
      CHECK(torch::equal(back, item.tensor.to(torch::kBFloat16)));
    } else {
      CHECK(back.scalar_type() == torch::kLong);  // integer tensors keep their dtype
      CHECK(torch::equal(back, item.tensor));
    }
  }
}

TEST_CASE("save_tensors writes tensors already in place without copying them") {
  torch::manual_seed(4);
  const std::vector<hc::NamedTensor> tensors{{"a", torch::randn({256, 256})},
                                             {"b", torch::randn({128})}};
  hc::test::TempDir dir;
  CountingScope counting;
  const int64_t before = counting.allocator().live();
  hc::save_tensors(dir / "t.safetensors", tensors);
  CHECK(counting.allocator().peak() == before);
}

TEST_CASE("write_tensors and the collecting writer give the same bytes") {
  const auto tensors = model_like_tensors();
  std::ostringstream streamed;
  hc::write_tensors(streamed, tensors, {{"format", "pt"}}, std::nullopt, "memory");
  hc::SafetensorsWriter writer;
  writer.set_metadata("format", "pt");
  for (const auto& item : tensors) hc::add_tensor(writer, item.name, item.tensor);
  hc::test::TempDir dir;
  writer.write(dir / "collected.safetensors");
  CHECK(streamed.str() == hc::test::read_bytes(dir / "collected.safetensors"));
}

TEST_CASE("save_tensors refuses undefined and unsupported tensors, naming them") {
  hc::test::TempDir dir;
  REQUIRE_THROWS_WITH(hc::save_tensors(dir / "x.safetensors", {{"nothing", torch::Tensor()}}),
                      Catch::Matchers::Contains("\"nothing\""));
  REQUIRE_THROWS_WITH(hc::save_tensors(dir / "x.safetensors",
                                       {{"complex", torch::zeros({2}, torch::kComplexFloat)}}),
                      Catch::Matchers::Contains("\"complex\""));
  CHECK(fs::is_empty(dir.path()));
}
