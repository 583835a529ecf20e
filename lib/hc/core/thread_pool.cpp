#include "hc/core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>

#include "hc/core/compute_options.h"

namespace hc {
namespace {

// The pool whose worker runs on this thread, if any: lets parallel_for tell a nested call.
thread_local const ThreadPool* t_current_pool = nullptr;

// One parallel_for call. Helpers hold it by shared_ptr: a helper queued behind busy workers may
// start after the call has returned, and must then leave `body` alone.
class ParallelLoop {
 public:
  ParallelLoop(std::size_t count, const std::function<void(std::size_t)>& body)
      : count_(count), body_(&body) {}

  // A worker's share: joins unless every index is already claimed, then claims until none left.
  void help() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_ >= count_) return;
      ++active_;
    }
    claim_and_run();
    std::lock_guard<std::mutex> lock(mutex_);
    if (--active_ == 0) idle_.notify_all();
  }

  // Chunks are claimed one index at a time from a shared counter, so uneven items (large images)
  // balance out. A failure stops handing out work.
  void claim_and_run() {
    for (std::size_t i = next_++; i < count_; i = next_++) {
      try {
        (*body_)(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!first_error_) first_error_ = std::current_exception();
        next_ = count_;
      }
    }
  }

  // Returns once every index is claimed and every helper that joined has left; rethrows the
  // first failure. Helpers that start later find nothing left to claim and never join.
  void wait_until_done() {
    std::exception_ptr error;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      idle_.wait(lock, [this] { return next_ >= count_ && active_ == 0; });
      // Taken out, so that a late helper dropping the last reference to the loop on a worker
      // does not also release the exception the caller is handling.
      error = std::move(first_error_);
    }
    if (error) std::rethrow_exception(error);
  }

 private:
  const std::size_t count_;
  const std::function<void(std::size_t)>* body_;
  std::atomic<std::size_t> next_{0};
  std::mutex mutex_;
  std::condition_variable idle_;
  std::size_t active_ = 0;  // helpers inside claim_and_run
  std::exception_ptr first_error_;
};

}  // namespace

ThreadPool::ThreadPool(std::size_t threads) {
  if (threads == 0) threads = static_cast<std::size_t>(hardware_threads());
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::enqueue(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push(std::move(job));
  }
  wake_.notify_one();
}

void ThreadPool::work() {
  t_current_pool = this;
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop();
    }
    job();
  }
}

void ThreadPool::parallel_for(std::size_t count, const std::function<void(std::size_t)>& body) {
  if (count == 0) return;
  auto loop = std::make_shared<ParallelLoop>(count, body);
  const bool on_own_worker = t_current_pool == this;
  // On one of our workers the caller is a worker too: it takes one share of the work itself.
  const std::size_t helpers = std::min(count, workers_.size()) - (on_own_worker ? 1 : 0);
  for (std::size_t i = 0; i < helpers; ++i) enqueue([loop] { loop->help(); });
  if (on_own_worker) loop->claim_and_run();
  loop->wait_until_done();
}

}  // namespace hc
