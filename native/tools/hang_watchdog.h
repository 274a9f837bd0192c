// For the tools that run inside the nested guest of scripts/test-kvm.sh (kvm_driver, kvm_machine): a check
// that blocks for good would otherwise cost the whole QEMU run's limit and say nothing. When no check has
// reported for a while, every thread's state is printed (the kernel's view: run state, wait channel, system
// call; and each thread's own return addresses, for addr2line against the cached binary), then the tool ends
// as a failure with its summary line, so the run goes on to report. A check is any change of the tally.
#pragma once

#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

namespace bv::tools {

// A tool's checks, counted, and its closing line as scripts/test-kvm.sh reads it.
struct CheckTally {
  explicit CheckTally(const char* name) : tool(name) {}
  const char* tool;
  std::atomic<int> passed{0}, failed{0}, skipped{0};
  int total() const { return passed + failed + skipped; }
  void summary() const {
    std::printf("%s: %d passed, %d failed, %d skipped\n", tool, passed.load(), failed.load(), skipped.load());
  }
};

class HangWatchdog {
 public:
  // `quiet`: how long without a check is a hang, far above the slowest check (each bounded by guest
  // instructions or a safety net of its own, seconds on a quiet machine).
  explicit HangWatchdog(CheckTally& tally, std::chrono::seconds quiet = std::chrono::seconds(240))
      : tally_(tally), quiet_(quiet), t_([this] { watch(); }) {}
  ~HangWatchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    t_.join();
  }
  HangWatchdog(const HangWatchdog&) = delete;
  HangWatchdog& operator=(const HangWatchdog&) = delete;

 private:
  static void onDump(int) {
    void* frames[48];
    const int n = backtrace(frames, 48);
    char head[96];
    // The tool's name first: scripts/test-kvm.sh names the addresses with addr2line on that binary.
    const int len = std::snprintf(head, sizeof head, "# watchdog: %s thread %ld return addresses:\n",
                                  program_invocation_short_name, static_cast<long>(syscall(SYS_gettid)));
    if (len > 0) (void)!write(STDOUT_FILENO, head, static_cast<size_t>(len));
    backtrace_symbols_fd(frames, n, STDOUT_FILENO);
  }

  static std::string firstLine(const std::string& path) {
    std::ifstream f(path);
    std::string line;
    std::getline(f, line);
    return line;
  }

  void watch() {
    std::unique_lock<std::mutex> lock(mu_);
    int seen = tally_.total();
    auto since = std::chrono::steady_clock::now();
    for (;;) {
      if (cv_.wait_for(lock, std::chrono::seconds(5), [this] { return done_; })) return;
      const auto now = std::chrono::steady_clock::now();
      if (tally_.total() != seen) seen = tally_.total(), since = now;
      else if (now - since >= quiet_) break;
    }
    lock.unlock();
    dump();
    std::printf("not ok - watchdog: no check reported for %lld s; the threads' states are above\n",
                static_cast<long long>(quiet_.count()));
    ++tally_.failed;
    tally_.summary();
    std::fflush(stdout);
    _exit(1);
  }

  void dump() {
    const int sig = SIGRTMIN + 6;  // unused by the VMM (its vCPU kick is SIGRTMIN + 4)
    struct sigaction sa {};
    sa.sa_handler = onDump;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
    std::fflush(stdout);
    DIR* d = opendir("/proc/self/task");
    if (!d) return;
    const long self = syscall(SYS_gettid);
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const std::string task = std::string("/proc/self/task/") + e->d_name;
      std::string stat = firstLine(task + "/stat");
      // The state is the field after the command's closing parenthesis.
      const size_t paren = stat.rfind(')');
      const std::string state = paren != std::string::npos && paren + 2 < stat.size() ? stat.substr(paren + 2, 1) : "?";
      std::printf("# watchdog: thread %s (%s) state %s wchan %s syscall %s\n", e->d_name,
                  firstLine(task + "/comm").c_str(), state.c_str(), firstLine(task + "/wchan").c_str(),
                  firstLine(task + "/syscall").c_str());
      std::fflush(stdout);
      const long tid = std::strtol(e->d_name, nullptr, 10);
      if (tid == self) continue;
      // The handler runs on that thread; a thread with the signal blocked says nothing, which is itself news.
      syscall(SYS_tgkill, static_cast<long>(getpid()), tid, sig);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    closedir(d);
  }

  CheckTally& tally_;
  const std::chrono::seconds quiet_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread t_;
};

}  // namespace bv::tools
