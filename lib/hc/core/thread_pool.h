#pragma once
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <future>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace hc {

// A fixed set of worker threads fed from one queue. Used for image decoding and preprocessing,
// text tokenising and anything else that overlaps with model compute.
class ThreadPool {
 public:
  // threads == 0 picks the number of hardware threads.
  explicit ThreadPool(std::size_t threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  std::size_t size() const { return workers_.size(); }

  // Runs task on a worker; the future carries its result or its exception.
  template <typename F>
  auto submit(F task) -> std::future<decltype(task())> {
    using R = decltype(task());
    auto packaged = std::make_shared<std::packaged_task<R()>>(std::move(task));
    std::future<R> result = packaged->get_future();
    enqueue([packaged] { (*packaged)(); });
    return result;
  }

  // Calls body(i) for i in [0, count) on the workers and waits for all of them. The first
  // exception thrown by any body is rethrown here after every started body has finished.
  // Called from one of this pool's own workers (a body or task that loops in parallel itself),
  // the calling worker runs bodies too and never waits on work queued behind it, so nesting
  // cannot deadlock even on a one-thread pool; the pool's size still bounds the parallelism.
  void parallel_for(std::size_t count, const std::function<void(std::size_t)>& body);

 private:
  void enqueue(std::function<void()> job);
  void work();

  std::vector<std::thread> workers_;
  std::queue<std::function<void()>> jobs_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace hc
