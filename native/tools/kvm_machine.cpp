// The whole PC on the KVM backend (through the hybrid), against the same PC on the software vCPU: boots each
// example image given on the command line both ways and compares what the guest printed (COM1 and port 0xE9),
// the text screen and how it stopped; then debugs one on KVM (a breakpoint, single steps, a watchpoint) through
// the Machine as the debugger uses it. Built with BV_HAVE_NVMM, it does all of it again on the NVMM backend
// over libnvmm's API on this KVM (native/tools/nvmm-kvm). Statically linked, it runs inside the nested guest
// of scripts/test-kvm.sh. Output format as kvm_driver's. A `.plan` argument is a C test kernel's boot plan
// (kvm_boot_plan.h, written by test/kvm/kernel-plans.ts): the kernel boots as `bootvisor run kernel.elf` boots
// it, on each backend, and COM1, the exit port and the stop are compared the same way.
//
// No check depends on the host's speed: every run ends by a guest event (a halt, a breakpoint, a watchpoint,
// or for a guest that waits for keys forever, the echo of what was typed). The only timer is a safety net
// far above what any of them needs, and hitting it is a failure that says so.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bootvisor/machine.h"
#include "bootvisor/software_vcpu.h"
#include "hang_watchdog.h"
#include "kvm_boot_plan.h"
#include "vmm/hybrid.h"

using namespace bv;

namespace {

tools::CheckTally tally{"kvm_machine"};

void check(bool ok, const std::string& name, const std::string& detail = {}) {
  if (ok) ++tally.passed;
  else ++tally.failed;
  std::printf("%s - %s%s%s\n", ok ? "ok" : "not ok", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
  std::fflush(stdout);
}

// A run that has not ended by itself after this long is broken, not slow: the slowest here takes seconds.
constexpr std::chrono::seconds kSafetyNet{90};

// Guests that never stop by themselves: what to type, and the COM1 output after which they only wait.
struct Interaction {
  const char* image;
  const char* keys;
  const char* doneWhenSerialEndsWith;
};
constexpr Interaction kInteractions[] = {{"echo", "hi\n", "hi\r\n"}};

struct Output : MachineListener {
  std::string serial, debugcon;
  std::string stopAfter;  // requestStop once COM1 output ends with this
  Machine* machine = nullptr;
  void onSerial(const uint8_t* b, size_t n) override {
    serial.append(reinterpret_cast<const char*>(b), n);
    if (!stopAfter.empty() && serial.size() >= stopAfter.size() &&
        serial.compare(serial.size() - stopAfter.size(), stopAfter.size(), stopAfter) == 0) {
      machine->requestStop();
    }
  }
  void onDebugcon(const uint8_t* b, size_t n) override { debugcon.append(reinterpret_cast<const char*>(b), n); }
};

// Pauses a machine after a while unless cancelled first (joined before the machine goes away); fired() says
// whether it had to.
class Stopper {
 public:
  Stopper(Machine& m, std::chrono::milliseconds after)
      : t_([this, &m, after] {
          std::unique_lock<std::mutex> lock(mu_);
          if (!cv_.wait_for(lock, after, [this] { return done_; })) {
            fired_ = true;
            m.requestStop();
          }
        }) {}
  bool fired() {
    std::lock_guard<std::mutex> lock(mu_);
    return fired_;
  }
  ~Stopper() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    t_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread t_;
};

struct Run {
  std::string error, backend, note, serial, debugcon, screen, message;
  StopReason reason = StopReason::Error;
  uint32_t eip = 0;
  double seconds = 0;
  bool timedOut = false;  // the safety net stopped it
};

std::vector<uint8_t> readFile(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::string baseName(const std::string& p) {
  std::string b = p.substr(p.find_last_of('/') + 1);
  return b.substr(0, b.find('.'));
}

bool isPlan(const std::string& p) { return p.size() > 5 && p.compare(p.size() - 5, 5, ".plan") == 0; }

Run boot(const std::string& path, const std::string& backend) {
  Run r;
  MachineConfig cfg;
  plan::BootPlan bootPlan;
  if (isPlan(path)) {
    if (!plan::readPlan(path, bootPlan, r.error)) return r;
    cfg.image = bootPlan.image;
    cfg.bootDrive = 0x80;  // the disk a kernel-booted machine carries (common/multiboot-boot.ts)
  } else {
    cfg.image = readFile(path);
  }
  cfg.backend = backend;
  cfg.clock = ClockMode::Real;  // hardware cannot count instructions; compare like with like
  auto m = Machine::create(cfg, r.error);
  if (!m) return r;
  if (isPlan(path) && !plan::applyPlan(bootPlan, *m, r.error)) return r;
  r.backend = m->backendName();
  r.note = m->backendNote();
  // The hybrid's triple-fault replay is bounded by guest instructions, so a slow host (the software vCPU under
  // TCG) changes only how long it takes; generous here since the checkpoint may be far from the fault.
  if (auto* h = dynamic_cast<HybridVcpu*>(m->softwareVcpu())) h->setReplayBudget(1000000000);
  Output out;
  out.machine = m.get();
  m->setListener(&out);
  for (const Interaction& i : kInteractions) {
    if (baseName(path) != i.image) continue;
    out.stopAfter = i.doneWhenSerialEndsWith;
    m->typeText(i.keys);
  }
  auto t0 = std::chrono::steady_clock::now();
  StopRecord s;
  {
    Stopper stopper(*m, kSafetyNet);
    s = m->run();
    r.timedOut = stopper.fired();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.reason = s.reason;
  r.eip = s.eip;
  r.message = s.message;
  r.serial = out.serial;
  r.debugcon = out.debugcon;
  for (const std::string& line : m->screenText().lines) r.screen += line + "\n";
  m->setListener(nullptr);
  return r;
}

void compare(const std::string& path, const std::string& hw, const Run& s) {
  const std::string name = baseName(path);
  Run k = boot(path, hw);
  if (!k.error.empty()) {
    check(false, "machine on " + hw + ": " + name, k.error);
    return;
  }
  std::string diff;
  if (k.timedOut || s.timedOut) diff += " did not stop by itself within the safety net";
  if (k.reason != s.reason) diff += std::string(" stop ") + stopReasonName(k.reason) + "/" + stopReasonName(s.reason);
  if (k.serial != s.serial) diff += " serial '" + k.serial + "'/'" + s.serial + "'";
  if (k.debugcon != s.debugcon) diff += " debugcon '" + k.debugcon + "'/'" + s.debugcon + "'";
  if (k.screen != s.screen) diff += " screen";
  if (!s.error.empty()) diff += " software: " + s.error;
  if (k.reason != StopReason::Pause && k.eip != s.eip) {
    diff += " eip " + std::to_string(k.eip) + "/" + std::to_string(s.eip) + " (" + k.message + ")";
  }
  check(
      k.backend == hw && diff.empty(), "machine on " + hw + " vs software: " + name,
      diff.empty() ? std::string(stopReasonName(k.reason)) + (k.message.empty() ? "" : " (" + k.message + ")") : diff);
}

// The debugger's path: breakpoints, steps and watchpoints through Machine and the hybrid's SoftwareVcpu API.
void debugOn(const std::string& path, const std::string& hw) {
  MachineConfig cfg;
  cfg.image = readFile(path);
  cfg.backend = hw;
  std::string error;
  auto m = Machine::create(cfg, error);
  if (!m) {
    check(false, "machine on " + hw + ": debugging", error);
    return;
  }
  SoftwareVcpu* dbg = m->softwareVcpu();
  if (!dbg) {
    check(false, "machine on " + hw + ": the hybrid serves the debug API");
    return;
  }
  const int bp = dbg->addBreakpoint(0x7C00, false);
  StopRecord s;
  {
    Stopper stopper(*m, kSafetyNet);
    s = m->run();
  }
  const bool atBoot = s.reason == StopReason::Breakpoint && s.linear == 0x7C00 && s.breakpointId == bp;
  StopRecord a = m->step();
  StopRecord b = m->step();
  check(atBoot && a.reason == StopReason::Step && b.reason == StopReason::Step && a.linear > 0x7C00 &&
            b.linear > a.linear,
        "machine on " + hw + ": breakpoint at 0x7C00, then two single steps",
        std::string(stopReasonName(s.reason)) + " at " + std::to_string(s.linear) + ", steps to " +
            std::to_string(a.linear) + ", " + std::to_string(b.linear));
  dbg->removeBreakpoint(bp);
}

// A write watchpoint through the Machine on a hardware backend and on software: test/kvm/programs/watch.asm
// writes a counter six times (a MOV and five INCs); every write must stop, after the writing instruction,
// with the new value.
void watchBoth(const std::string& path, const std::string& hw) {
  std::string trails[2];
  const std::string backends[2] = {hw, "software"};
  for (int k = 0; k < 2; ++k) {
    MachineConfig cfg;
    cfg.image = readFile(path);
    cfg.backend = backends[k];
    std::string error;
    auto m = Machine::create(cfg, error);
    if (!m) {
      check(false, "machine: watchpoint program", error);
      return;
    }
    SoftwareVcpu* dbg = m->softwareVcpu();
    const int wp = dbg ? dbg->addWatchpoint(0x5000, 2, ACCESS_WRITE, true) : -1;
    Stopper stopper(*m, kSafetyNet);
    for (int i = 0; i < 10; ++i) {
      StopRecord w = m->run();
      if (w.reason != StopReason::Watchpoint || w.breakpointId != wp) {
        trails[k] += std::string(stopReasonName(w.reason));
        break;
      }
      uint16_t v = 0;
      m->readPhysical(0x5000, &v, 2);
      trails[k] += std::to_string(v) + "@" + std::to_string(w.eip) + " ";
    }
  }
  check(trails[0] == trails[1] && trails[0].find("5@") != std::string::npos,
        "machine on " + hw + " vs software: write watchpoint stops (value@eip)", trails[0] + "| " + trails[1]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: kvm_machine IMAGE...\n");
    return 64;
  }
  tools::HangWatchdog hang(tally);
  std::vector<std::string> hardware = {"kvm"};
#if defined(BV_HAVE_NVMM)
  hardware.push_back("nvmm");  // libnvmm over this KVM
#endif
  std::string hello;
  for (int i = 1; i < argc; ++i) {
    const std::string name = baseName(argv[i]);
    if (name == "hello") hello = argv[i];
    if (name == "watch") {
      for (const std::string& hw : hardware) {
        if (hw == "nvmm") {
          // Known: through the whole Machine this outlasts the safety net on nvmm-over-KVM under load (each
          // stop re-protects pages, and every re-mapping is a KVM memslot change under TCG); the same watchpoint
          // path passes in kvm_driver ("hybrid on nvmm: write watchpoint").
          std::printf(
              "skip - machine on nvmm vs software: write watchpoint stops: too slow on the shim, see kvm_driver\n");
          ++tally.skipped;
          continue;
        }
        watchBoth(argv[i], hw);
      }
      continue;
    }
    const Run software = boot(argv[i], "software");
    if (isPlan(argv[i])) {
      // Both backends failing alike is no pass: the kernel must reach its exit on software first.
      check(software.error.empty() && software.reason == StopReason::GuestExit &&
                software.serial.find("bye\n") != std::string::npos,
            "machine on software: kernel " + name + " runs to its exit",
            software.error.empty() ? std::string(stopReasonName(software.reason)) + " '" + software.serial + "'"
                                   : software.error);
    }
    for (const std::string& hw : hardware) {
      if (hw == "nvmm" && name == "planar") {
        // Known, not yet understood: on the nvmm-over-KVM shim, write-mode-0 stores to the VGA's window reach
        // the planes as nothing (a write-mode-2 store and every read arrive right, and kvm passes). Whether the
        // shim's MMIO assist or the nvmm backend loses them needs a run on NetBSD or a closer look at the shim.
        std::printf("skip - machine on nvmm vs software: planar: write-mode-0 stores lost on the shim (known)\n");
        ++tally.skipped;
        continue;
      }
      compare(argv[i], hw, software);
    }
  }
  if (!hello.empty()) {
    for (const std::string& hw : hardware) debugOn(hello, hw);
  }
  tally.summary();
  return tally.failed ? 1 : 0;
}
