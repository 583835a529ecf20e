#include "hc/core/stop_signal.h"

#include <signal.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace hc {
namespace {

// Written by the handler, so it must be lock-free (async-signal-safe).
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int signal) { g_signal.store(signal, std::memory_order_relaxed); }

bool handled_here(int signal) {
  struct sigaction current;
  std::memset(&current, 0, sizeof current);
  return ::sigaction(signal, nullptr, &current) == 0 && !(current.sa_flags & SA_SIGINFO) &&
         current.sa_handler == on_stop_signal;
}

void install(int signal, int extra_flags) {
  if (handled_here(signal)) return;
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: a stop request must not make a read or write in progress fail with EINTR; the
  // run looks at the flag at its next safe point.
  action.sa_flags = SA_RESTART | extra_flags;
  if (::sigaction(signal, &action, nullptr) != 0) {
    throw runtime_error("cannot install the handler for signal {}: {}", signal,
                        std::strerror(errno));
  }
}

const char* signal_name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    default: return "a signal";
  }
}

}  // namespace

void install_stop_signals() {
  // Installs whatever is not ours now (a test framework may have put its own handlers back).
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  install(SIGTERM, 0);
  // SA_RESETHAND: the handler runs once, then SIGINT has its default action again. Once a SIGINT
  // came, it is not re-armed, so the next one still force-quits.
  if (stop_signal() != SIGINT) install(SIGINT, SA_RESETHAND);
}

bool stop_requested() { return g_signal.load(std::memory_order_relaxed) != 0; }

int stop_signal() { return g_signal.load(std::memory_order_relaxed); }

void clear_stop_request() { g_signal.store(0, std::memory_order_relaxed); }

Error stopped_error(const std::string& how_to_resume) {
  const int signal = stop_signal() != 0 ? stop_signal() : SIGTERM;
  return Error(Error::Kind::Stopped,
               fmt::format("stopped by {}: {}", signal_name(signal), how_to_resume), 128 + signal);
}

}  // namespace hc
