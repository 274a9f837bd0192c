// A plain C++ driver for the Machine, without Node: boots an image and prints what the guest did. Used by
// test/pc/native-machine.test.ts and for debugging the PC by hand.
//
//   pc_run IMAGE [--max N] [--keys TEXT] [--serial-in TEXT] [--screen] [--no-signature] [--snapshot-test]
//          [--real-clock] [--stop-after-ms N] [--history N]
//          [--snapshot-every N] [--boot-drive N]
// The image is given to the Machine by path (mapped when large), as the addon does for files.
// Prints: serial and debugcon output (prefixed lines), the stop (reason, CS:EIP, instructions, exit code),
// and with --screen the text screen.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "bootvisor/machine.h"
#include "bootvisor/software_vcpu.h"

using namespace bv;

namespace {
struct Printer : MachineListener {
  std::string serial, debugcon;
  int screens = 0, events = 0;
  void onSerial(const uint8_t* b, size_t n) override { serial.append(reinterpret_cast<const char*>(b), n); }
  void onDebugcon(const uint8_t* b, size_t n) override { debugcon.append(reinterpret_cast<const char*>(b), n); }
  void onScreenDirty() override { ++screens; }
  void onEvent(const RunEvent& e) override {
    ++events;
    std::printf("event: %s %04X:%08X %s\n", runEventKindName(e.kind), e.cs, e.eip, e.message.c_str());
  }
};

void printStop(const StopRecord& s) {
  std::printf("stop: %s at %04X:%08X linear %08llX after %llu instructions", stopReasonName(s.reason), s.cs, s.eip,
              static_cast<unsigned long long>(s.linear), static_cast<unsigned long long>(s.instructions));
  if (s.reason == StopReason::GuestExit) std::printf(" exit code %d", s.exitCode);
  if (!s.message.empty()) std::printf(" (%s)", s.message.c_str());
  std::printf("\n");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pc_run IMAGE [--max N] [--keys TEXT] [--screen] [--no-signature] [--snapshot-test]\n");
    return 64;
  }
  MachineConfig cfg;
  uint64_t max = 50000000;
  std::string keys, serialIn;
  long stopAfterMs = 0;
  size_t history = 0;
  uint64_t snapEvery = 0;
  bool screen = false, snapTest = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--max" && i + 1 < argc) max = std::strtoull(argv[++i], nullptr, 0);
    else if (a == "--keys" && i + 1 < argc) keys = argv[++i];
    else if (a == "--serial-in" && i + 1 < argc) serialIn = argv[++i];
    else if (a == "--screen") screen = true;
    else if (a == "--snapshot-every" && i + 1 < argc) snapEvery = std::strtoull(argv[++i], nullptr, 0);
    else if (a == "--history" && i + 1 < argc) history = std::strtoul(argv[++i], nullptr, 0);
    else if (a == "--stop-after-ms" && i + 1 < argc) stopAfterMs = std::strtol(argv[++i], nullptr, 0);
    else if (a == "--no-signature") cfg.requireSignature = false;
    else if (a == "--snapshot-test") snapTest = true;
    else if (a == "--real-clock") cfg.clock = ClockMode::Real;
    else if (a == "--boot-drive" && i + 1 < argc) cfg.bootDrive = int(std::strtol(argv[++i], nullptr, 0));
  }
  cfg.imagePath = argv[1];
  std::string error;
  auto m = Machine::create(cfg, error);
  if (!m) {
    std::printf("error: %s\n", error.c_str());
    return 65;
  }
  Printer p;
  m->setListener(&p);
  if (!keys.empty()) m->typeText(keys);
  if (!serialIn.empty()) m->sendSerial(std::vector<uint8_t>(serialIn.begin(), serialIn.end()));

  // A guest waiting for input never reaches an instruction limit: stop it from another thread, as the CLI's
  // --timeout does.
  std::thread stopper;
  if (stopAfterMs > 0) {
    stopper = std::thread([&m, stopAfterMs] {
      std::this_thread::sleep_for(std::chrono::milliseconds(stopAfterMs));
      m->requestStop();
    });
    stopper.detach();
  }
  if (history && m->softwareVcpu()) m->softwareVcpu()->setHistorySize(history);
  StopRecord s;
  if (snapEvery) {
    // Snapshot cost: run in slices of snapEvery instructions, snapshot after each, report the mean cost.
    using Clk = std::chrono::steady_clock;
    double snapNs = 0, runNs = 0;
    unsigned n = 0;
    uint64_t start = m->instructionCount();
    do {
      auto t0 = Clk::now();
      s = m->run(RunLimits{snapEvery});
      auto t1 = Clk::now();
      m->snapshot();
      auto t2 = Clk::now();
      runNs += std::chrono::duration<double, std::nano>(t1 - t0).count();
      snapNs += std::chrono::duration<double, std::nano>(t2 - t1).count();
      ++n;
    } while (s.reason == StopReason::InstructionLimit && m->instructionCount() - start < max);
    std::printf(
        "snapshots: %u, every %llu instructions (%.2f ms of guest time): %.1f us each, run %.1f us per slice, "
        "%zu bytes held\n",
        n, static_cast<unsigned long long>(snapEvery), snapEvery * 1e-5, snapNs / n / 1000, runNs / n / 1000,
        m->snapshotBytes());
  } else if (snapTest) {
    // Run half, snapshot, run to the end; restore and run again: both ends must agree.
    s = m->run(RunLimits{max / 2});
    uint32_t id = m->snapshot();
    std::string serialAtSnap = p.serial;
    StopRecord a = m->run(RunLimits{max - max / 2});
    std::string serialA = p.serial;
    ScreenText ta = m->screenText();
    if (!m->restore(id, error)) {
      std::printf("restore failed: %s\n", error.c_str());
      return 1;
    }
    p.serial = serialAtSnap;
    StopRecord b = m->run(RunLimits{max - max / 2});
    ScreenText tb = m->screenText();
    bool same = a.reason == b.reason && a.eip == b.eip && a.instructions == b.instructions && serialA == p.serial &&
                ta.lines == tb.lines;
    std::printf("snapshot: %s (%zu bytes held)\n", same ? "replay identical" : "replay DIFFERS", m->snapshotBytes());
    s = b;
  } else {
    s = m->run(RunLimits{max});
  }
  if (!p.serial.empty()) std::printf("serial: %s\n", p.serial.c_str());
  if (!p.debugcon.empty()) std::printf("debugcon: %s\n", p.debugcon.c_str());
  printStop(s);
  if (history && m->softwareVcpu()) {
    for (const InsnRecord& r : m->softwareVcpu()->history()) {
      std::printf("  %04X:%08X ", r.cs, r.eip);
      for (uint8_t b : r.bytes) std::printf("%02X ", b);
      std::printf("\n");
    }
  }
  std::printf("virtual time: %llu ns\n", static_cast<unsigned long long>(m->virtualTimeNs()));
  if (screen) {
    ScreenText t = m->screenText();
    std::printf("screen: mode %02X %dx%d cursor %d,%d%s\n", t.mode, t.columns, t.rows, t.cursorRow, t.cursorColumn,
                t.cursorVisible ? "" : " hidden");
    for (const auto& l : t.lines) std::printf("|%s|\n", l.c_str());
  }
  return 0;
}
