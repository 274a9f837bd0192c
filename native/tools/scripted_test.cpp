// Everything about the hardware backends that needs no hypervisor, on every machine: CpuState <-> KVM
// register round trips, KVM exit translation from synthetic kvm_run buffers, breakpoint patching, and the
// hybrid's handovers against ScriptedVcpu (a scripted backend behaving like KVM or like NVMM) with the real
// software vCPU as the other half. Run by test/backends/hardware.test.ts; prints one "ok - " / "not ok - " /
// "skip - " line per check and "scripted_test: N passed, M failed, K skipped".
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bootvisor/memory.h"
#include "bootvisor/software_vcpu.h"
#include "scripted_vcpu.h"
#include "vmm/hybrid.h"
#include "vmm/hybrid_patch.h"

#if defined(BV_HAVE_KVM)
#include "backends/kvm_exits.h"
#include "backends/kvm_state.h"
#endif

using namespace bv;

namespace {

int passed = 0, failed = 0, skipped = 0;

void check(bool ok, const std::string& name, const std::string& detail = {}) {
  if (ok) ++passed;
  else ++failed;
  std::printf("%s - %s%s%s\n", ok ? "ok" : "not ok", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
  std::fflush(stdout);
}

void skip(const std::string& name, const std::string& why) {
  ++skipped;
  std::printf("skip - %s: %s\n", name.c_str(), why.c_str());
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

struct Console : ExitHandler {
  std::string e9;
  IoAction portIn(uint16_t, unsigned, uint32_t& v, uint64_t) override {
    v = 0xFF;
    return IoAction::Continue;
  }
  IoAction portOut(uint16_t port, unsigned, uint32_t v, uint64_t) override {
    if (port == 0xE9) e9 += char(v);
    return IoAction::Continue;
  }
  IoAction mmioRead(uint64_t, unsigned, uint64_t& v, uint64_t) override {
    v = ~0ull;
    return IoAction::Continue;
  }
  IoAction mmioWrite(uint64_t, unsigned, uint64_t, uint64_t) override { return IoAction::Continue; }
};

bool haveSoftware() {
#if defined(BV_WITH_SOFTWARE)
  return true;
#else
  return false;
#endif
}

std::unique_ptr<SoftwareVcpu> makeSoftware(GuestMemory& mem, ExitHandler& h) {
#if defined(BV_WITH_SOFTWARE)
  return createSoftwareVcpu(mem, h);
#else
  (void)mem;
  (void)h;
  return nullptr;
#endif
}

ScriptedProfile kvmLike() { return ScriptedProfile{}; }
ScriptedProfile nvmmLike() {
  ScriptedProfile p;
  p.name = "scripted-nvmm";
  p.breakpointOpcode = 0xF4;
  p.debugRegisters = 0;
  p.completesMemoryExits = false;
  p.executeOnlyPages = true;
  return p;
}

struct Rig {
  GuestMemory mem{1u << 20};
  Console io;
  ScriptedVcpu* hw = nullptr;
  std::unique_ptr<HybridVcpu> v;
  Rig(ScriptedProfile p, const std::vector<uint8_t>& code, uint64_t at = 0x7C00) {
    auto s = std::make_unique<ScriptedVcpu>(mem, io, p);
    hw = s.get();
    GuestMemory* m = &mem;
    v = std::make_unique<HybridVcpu>(
        std::move(s), [m](ExitHandler& h) { return makeSoftware(*m, h); }, mem, io);
    mem.write(at, code.data(), code.size());
    v->setState(bootState(0x80));
  }
  CpuState state() {
    CpuState s;
    v->getState(s);
    return s;
  }
};

// 7C00 mov al,'A' / 7C02 out 0E9h,al / 7C04 inc ax / 7C05 mov [2000h],al / 7C08 mov al,[7C02h] /
// 7C0B out 0E9h,al / 7C0D hlt. The guest reads its own OUT opcode (0xE6) back and prints it.
const std::vector<uint8_t> kProgramA = {0xB0, 'A',  0xE6, 0xE9, 0x40, 0xA2, 0x00,
                                        0x20, 0xA0, 0x02, 0x7C, 0xE6, 0xE9, 0xF4};

// ---- state conversion and exit translation (KVM structures exist on Linux only)

#if defined(BV_HAVE_KVM)
CpuState randomState(std::mt19937_64& r) {
  CpuState s;
  for (auto& seg : s.segs) {
    seg.selector = uint16_t(r());
    uint64_t a = r();
    seg.attrib.type = a & 15;
    seg.attrib.s = (a >> 4) & 1;
    seg.attrib.dpl = (a >> 5) & 3;
    seg.attrib.p = (a >> 7) & 1;
    seg.attrib.avl = (a >> 8) & 1;
    seg.attrib.l = (a >> 9) & 1;
    seg.attrib.def = (a >> 10) & 1;
    seg.attrib.g = (a >> 11) & 1;
    seg.limit = uint32_t(r());
    seg.base = r();
  }
  for (int i : {SEG_GDT, SEG_IDT}) {
    SegState t;
    t.base = s.segs[i].base;
    t.limit = s.segs[i].limit & 0xFFFF;
    s.segs[i] = t;
  }
  for (auto& g : s.gprs) g = r();
  s.gprs[GPR_RFLAGS] |= 2;
  for (auto& c : s.crs) c = r();
  s.crs[CR_XCR0] |= 1;
  for (auto& d : s.drs) d = r();
  for (auto& m : s.msrs) m = r();
  s.intr.int_shadow = r() & 1;
  return s;
}

bool sameState(const CpuState& a, const CpuState& b, std::string& why) {
  for (int i = 0; i < SEG_COUNT; ++i) {
    if (std::memcmp(&a.segs[i], &b.segs[i], sizeof(SegState)) != 0) {
      why = "segment " + std::to_string(i);
      return false;
    }
  }
  for (int i = 0; i < GPR_COUNT; ++i)
    if (a.gprs[i] != b.gprs[i]) {
      why = "gpr " + std::to_string(i);
      return false;
    }
  for (int i = 0; i < CR_COUNT; ++i)
    if (a.crs[i] != b.crs[i]) {
      why = "cr " + std::to_string(i);
      return false;
    }
  for (int i = 0; i < DR_COUNT; ++i)
    if (a.drs[i] != b.drs[i]) {
      why = "dr " + std::to_string(i);
      return false;
    }
  for (int i = 0; i < MSR_COUNT; ++i)
    if (a.msrs[i] != b.msrs[i]) {
      why = "msr " + std::to_string(i);
      return false;
    }
  if (a.intr.int_shadow != b.intr.int_shadow) {
    why = "interrupt shadow";
    return false;
  }
  return true;
}

void testKvmRoundTrip() {
  std::mt19937_64 r(42);
  std::string why;
  int bad = -1;
  for (int i = 0; i < 2000 && bad < 0; ++i) {
    CpuState a = randomState(r);
    KvmRegisterSet k;
    stateToKvm(a, k);
    CpuState b;
    stateFromKvm(k, b);
    if (!sameState(a, b, why)) bad = i;
  }
  check(bad < 0, "kvm state: CpuState -> kvm_regs/sregs/debugregs/events/msrs -> CpuState is exact (2000 random)",
        bad < 0 ? "" : "case " + std::to_string(bad) + ": " + why);

  // The other way: what KVM reports for a real-mode and a long-mode guest survives a trip through CpuState.
  KvmRegisterSet k;
  k.regs.rax = 0x1122334455667788;
  k.regs.rbx = 2;
  k.regs.rcx = 3;
  k.regs.rdx = 4;
  k.regs.rsi = 5;
  k.regs.rdi = 6;
  k.regs.rsp = 7;
  k.regs.rbp = 8;
  k.regs.r8 = 9;
  k.regs.r15 = 16;
  k.regs.rip = 0xFFF0;
  k.regs.rflags = 0x246;
  kvm_segment cs{};
  cs.base = 0xFFFF0000;
  cs.limit = 0xFFFF;
  cs.selector = 0xF000;
  cs.type = 11;
  cs.present = 1;
  cs.s = 1;
  k.sregs.cs = cs;
  kvm_segment data{};
  data.limit = 0xFFFFFFFF;
  data.type = 3;
  data.present = 1;
  data.s = 1;
  data.db = 1;
  data.g = 1;
  data.selector = 0x10;
  k.sregs.ds = k.sregs.es = k.sregs.ss = data;
  kvm_segment unusable{};
  unusable.unusable = 1;
  k.sregs.fs = k.sregs.gs = k.sregs.ldt = unusable;
  kvm_segment tr{};
  tr.type = 11;
  tr.present = 1;
  tr.limit = 0x67;
  tr.base = 0x5000;
  tr.selector = 0x28;
  k.sregs.tr = tr;
  k.sregs.gdt.base = 0x1000;
  k.sregs.gdt.limit = 0x37;
  k.sregs.idt.base = 0x2000;
  k.sregs.idt.limit = 0x7FF;
  k.sregs.cr0 = 0x80000011;
  k.sregs.cr3 = 0x9000;
  k.sregs.cr4 = 0x20;
  k.sregs.efer = 0x500;
  k.debugregs.db[0] = 0x7C00;
  k.debugregs.dr6 = 0xFFFF0FF0;
  k.debugregs.dr7 = 0x401;
  k.events.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
  prepareKvmMsrs(k.msrs);
  for (int i = 0; i < kKvmMsrCount; ++i) k.msrs.entries[i].data = 0x100 + i;
  k.xcr0 = 7;
  CpuState s;
  stateFromKvm(k, s);
  KvmRegisterSet back;
  stateToKvm(s, back);
  bool ok = std::memcmp(&k.regs, &back.regs, sizeof k.regs) == 0;
  auto segEq = [](const kvm_segment& x, const kvm_segment& y) {
    if (x.unusable && y.unusable) return true;  // an unusable segment's other fields are meaningless
    return x.base == y.base && x.limit == y.limit && x.selector == y.selector && x.type == y.type &&
           x.present == y.present && x.dpl == y.dpl && x.db == y.db && x.s == y.s && x.l == y.l && x.g == y.g &&
           x.avl == y.avl && x.unusable == y.unusable;
  };
  ok &= segEq(k.sregs.cs, back.sregs.cs) && segEq(k.sregs.ds, back.sregs.ds) && segEq(k.sregs.fs, back.sregs.fs) &&
        segEq(k.sregs.tr, back.sregs.tr) && segEq(k.sregs.ldt, back.sregs.ldt);
  ok &= k.sregs.gdt.base == back.sregs.gdt.base && k.sregs.gdt.limit == back.sregs.gdt.limit &&
        k.sregs.idt.limit == back.sregs.idt.limit;
  ok &= k.sregs.cr0 == back.sregs.cr0 && k.sregs.cr3 == back.sregs.cr3 && k.sregs.efer == back.sregs.efer;
  ok &= back.debugregs.db[0] == 0x7C00 && back.debugregs.dr7 == 0x401 && back.events.interrupt.shadow != 0 &&
        (back.events.flags & KVM_VCPUEVENT_VALID_SHADOW) && back.xcr0 == 7 && back.msrs.entries[8].data == 0x108;
  check(ok, "kvm state: kvm structures -> CpuState -> kvm structures keep every field CpuState carries");
  check(!s.segs[SEG_FS].attrib.p && s.segs[SEG_CS].attrib.p && s.segs[SEG_DS].limit == 0xFFFFFFFF &&
            s.gprs[GPR_RBX] == 2 && s.gprs[GPR_RDX] == 4 && s.gprs[GPR_RAX] == 0x1122334455667788,
        "kvm state: NVMM's register numbering (RBX/RDX) and unusable segments map by name");
}

struct FakeRun {
  alignas(8) uint8_t bytes[8192] = {};
  kvm_run& run() { return *reinterpret_cast<kvm_run*>(bytes); }
};

struct RecordingHandler : ExitHandler {
  std::vector<std::string> log;
  IoAction action = IoAction::Continue;
  IoAction portIn(uint16_t port, unsigned size, uint32_t& v, uint64_t rip) override {
    v = 0x1000 + port;
    log.push_back("in " + hex(port) + "/" + std::to_string(size));
    return action;
  }
  IoAction portOut(uint16_t port, unsigned size, uint32_t v, uint64_t rip) override {
    log.push_back("out " + hex(port) + "/" + std::to_string(size) + "=" + hex(v));
    return action;
  }
  IoAction mmioRead(uint64_t gpa, unsigned size, uint64_t& v, uint64_t) override {
    v = 0xAB;
    log.push_back("mmio read " + hex(gpa));
    return action;
  }
  IoAction mmioWrite(uint64_t gpa, unsigned size, uint64_t v, uint64_t) override {
    log.push_back("mmio write " + hex(gpa) + "=" + hex(v));
    return action;
  }
};

void testKvmExits() {
  GuestMemory mem(1u << 20);
  mem.setRom(0xF0000, 0x10000, true);
  std::vector<uint8_t> allowed(mem.size() >> PAGE_SHIFT, ACCESS_READ | ACCESS_WRITE | ACCESS_EXEC);
  allowed[0x2] = ACCESS_READ | ACCESS_EXEC;  // a watched page at 0x2000
  RecordingHandler h;
  FakeRun f;
  kvm_run& r = f.run();

  r.exit_reason = KVM_EXIT_IO;
  r.io.direction = KVM_EXIT_IO_OUT;
  r.io.size = 2;
  r.io.port = 0x3F8;
  r.io.count = 3;
  r.io.data_offset = 4096;
  const uint16_t words[3] = {0x11, 0x22, 0x33};
  std::memcpy(f.bytes + 4096, words, 6);
  KvmExitOutcome o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0x7C00);
  check(!o.returnToCaller && o.needsCompletion && h.log.size() == 3 && h.log[2] == "out 0x3f8/2=0x33",
        "kvm exits: REP OUTSW is one exit with count elements, each a handler call", h.log.empty() ? "" : h.log.back());

  h.log.clear();
  h.action = IoAction::Yield;
  r.io.direction = KVM_EXIT_IO_IN;
  r.io.size = 1;
  r.io.port = 0x60;
  r.io.count = 1;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0x7C00);
  check(o.returnToCaller && o.exit.reason == ExitReason::Io && o.exit.u.io.in && f.bytes[4096] == 0x60,
        "kvm exits: IN fills the data area; Yield returns an Io exit after completion");
  h.action = IoAction::Continue;

  r.io.data_offset = 8190;
  r.io.count = 4;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0x7C00);
  check(o.exit.reason == ExitReason::Invalid && !o.error.empty(),
        "kvm exits: an IO data area outside kvm_run is refused", o.error);

  r.exit_reason = KVM_EXIT_MMIO;
  r.mmio.phys_addr = 0xF1234;
  r.mmio.len = 1;
  r.mmio.is_write = 1;
  r.mmio.data[0] = 0x55;
  const uint8_t romBefore = mem.read8(0xF1234);
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  check(!o.returnToCaller && mem.read8(0xF1234) == romBefore, "kvm exits: a write to the BIOS ROM is dropped");

  r.mmio.phys_addr = 0x2010;
  r.mmio.len = 2;
  r.mmio.data[0] = 0x34;
  r.mmio.data[1] = 0x12;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  check(o.returnToCaller && o.exit.reason == ExitReason::Memory && o.exit.u.mem.gpa == 0x2010 &&
            mem.read16(0x2010) == 0x1234 && (mem.pageFlag(0x2010) & PAGE_DIRTY_SNAPSHOT),
        "kvm exits: a write to a watched page lands in RAM (marked dirty) and is reported");

  r.mmio.phys_addr = 0xFEE00000;
  r.mmio.len = 4;
  r.mmio.is_write = 0;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  check(!o.returnToCaller && r.mmio.data[0] == 0xAB && h.log.back() == "mmio read 0xfee00000",
        "kvm exits: MMIO beyond RAM goes to the handler");

  // Device memory (the VGA's planes): inside RAM's range, but every access belongs to the handler.
  mem.setDevice(0xA0000, 0x10000, true);
  r.mmio.phys_addr = 0xA0010;
  r.mmio.len = 1;
  r.mmio.is_write = 1;
  r.mmio.data[0] = 0x5A;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  const bool devWrite = !o.returnToCaller && h.log.back() == "mmio write 0xa0010=0x5a" && mem.read8(0xA0010) == 0;
  r.mmio.is_write = 0;
  r.mmio.data[0] = 0;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  check(devWrite && !o.returnToCaller && r.mmio.data[0] == 0xAB && h.log.back() == "mmio read 0xa0010",
        "kvm exits: reads and writes of device pages go to the handler, not to RAM", h.log.back());
  mem.setDevice(0xA0000, 0x10000, false);

  r.exit_reason = KVM_EXIT_DEBUG;
  r.debug.arch.exception = 3;
  r.debug.arch.pc = 0x7C12;
  r.debug.arch.dr6 = 0;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  bool bp = o.exit.reason == ExitReason::Debug && o.exit.u.debug.kind == DebugKind::Breakpoint &&
            o.exit.u.debug.address == 0x7C12;
  r.debug.arch.exception = 1;
  r.debug.arch.dr6 = 0xFFFF4FF0;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  bool step = o.exit.u.debug.kind == DebugKind::Step;
  r.debug.arch.dr6 = 0xFFFF0FF2;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  check(bp && step && o.exit.u.debug.kind == DebugKind::Breakpoint && o.exit.u.debug.id == 1,
        "kvm exits: #BP, single-step (DR6.BS) and a debug-register hit (DR6.B1) are told apart");

  r.exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
  r.request_interrupt_window = 1;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  check(o.exit.reason == ExitReason::InterruptWindow && r.request_interrupt_window == 0,
        "kvm exits: the interrupt window is one exit per request");

  r.exit_reason = KVM_EXIT_FAIL_ENTRY;
  r.fail_entry.hardware_entry_failure_reason = 0x21;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  bool fe = o.exit.reason == ExitReason::Invalid && o.exit.u.invalid.hwcode == 0x21 &&
            o.error.find("0x21") != std::string::npos;
  r.exit_reason = KVM_EXIT_INTERNAL_ERROR;
  r.internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  bool ie = o.exit.reason == ExitReason::Invalid && o.error.find("emulate") != std::string::npos;
  r.exit_reason = 0x7777;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  check(fe && ie && o.exit.reason == ExitReason::Invalid && o.error.find("0x7777") != std::string::npos,
        "kvm exits: entry failure, internal error and unknown exits become Invalid with the code in words");
  r.exit_reason = KVM_EXIT_SHUTDOWN;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  bool sd = o.exit.reason == ExitReason::Shutdown;
  r.exit_reason = KVM_EXIT_HLT;
  o = translateKvmExit(r, sizeof f.bytes, mem, allowed, h, 0);
  check(sd && o.exit.reason == ExitReason::Halted, "kvm exits: SHUTDOWN and HLT");
}
#endif

// ---- patching

void testPatcher() {
  GuestMemory mem(1u << 20);
  const uint8_t code[] = {0x90, 0x40, 0xF4};
  mem.write(0x7C00, code, 3);
  BreakpointPatcher p;
  p.set({0x7C00, 0x7C02, 0x7C02});
  p.arm(mem, 0xCC);
  const bool armed = mem.read8(0x7C00) == 0xCC && mem.read8(0x7C02) == 0xCC;
  mem.data()[0x7C02] = 0x41;  // the guest rewrote an instruction under a patch
  p.disarm(mem, 0xCC);
  check(armed && mem.read8(0x7C00) == 0x90 && mem.read8(0x7C02) == 0x41 && mem.read8(0x7C01) == 0x40,
        "patches: armed only while running; a byte rewritten under a patch is kept; duplicates are harmless");
}

// ---- the hybrid

void testHybridBreakpoint(ScriptedProfile p, int count) {
  Rig g(p, kProgramA);
  const std::vector<uint64_t> all = {0x7C02, 0x7C04, 0x7C05, 0x7C0B, 0x7C0D};
  std::vector<uint64_t> bps(all.begin(), all.begin() + count);
  for (uint64_t a : bps) g.v->addBreakpoint(a, false);
  std::vector<uint64_t> hits;
  bool hidden = true;
  Exit e;
  for (int i = 0; i < 20; ++i) {
    e = g.v->run(1000);
    if (e.reason != ExitReason::Debug) break;
    hits.push_back(e.u.debug.address);
    hidden &= g.mem.read8(0x7C02) == 0xE6 && g.mem.read8(0x7C0D) == 0xF4 && g.mem.read8(0x7C04) == 0x40;
    CpuState s = g.state();
    hidden &= s.gprs[GPR_RIP] == e.u.debug.address;
  }
  std::string trail;
  for (uint64_t h : hits) trail += hex(h) + " ";
  const std::string how = count <= p.debugRegisters    ? "debug registers"
                          : p.breakpointOpcode == 0xCC ? "INT3 patches"
                                                       : "HLT patches";
  const bool guestSawOriginal = g.io.e9 == std::string("B") + char(0xE6) || g.io.e9 == std::string("A") + char(0xE6);
  check(e.reason == ExitReason::Halted && hits == bps && hidden && g.io.e9.size() == 2 && g.io.e9[0] == 'A' &&
            (guestSawOriginal || p.breakpointOpcode == 0xCC) && g.mem.read8(0x2000) == 'B',
        std::string(p.name) + ": " + std::to_string(count) + " breakpoints by " + how +
            ", the debugger never sees a patched byte" +
            (p.executeOnlyPages ? ", the guest's own read of the patched page neither" : ""),
        trail + "last " + e.reasonName() + ", output " + hex(uint8_t(g.io.e9.empty() ? 0 : g.io.e9.back())) +
            ", software steps " + std::to_string(g.v->counters().softwareSteps) + ", mode " + g.v->mode());
  if (count <= p.debugRegisters) {
    check(g.hw->patchedBytesSeen == 0, std::string(p.name) + ": debug-register breakpoints patch nothing");
  } else if (p.executeOnlyPages) {
    check(g.hw->patchedBytesSeen == 0 && g.v->counters().protectionExits >= 1,
          std::string(p.name) + ": reads of an execute-only patched page exit and run on the software vCPU",
          std::to_string(g.v->counters().protectionExits) + " protection exits");
  }
}

void testHybridArrival(ScriptedProfile p) {
  Rig g(p, kProgramA);
  g.v->addBreakpoint(0x7C00, false);
  Exit a = g.v->run(1000);  // arriving at a breakpoint (as after the BIOS's jump to 0x7C00) stops before it
  const uint64_t ranBefore = g.hw->executed;
  const bool quiet = g.io.e9.empty();
  Exit b = g.v->run(1000);  // going on from it does not re-hit it
  CpuState s = g.state();
  check(a.reason == ExitReason::Debug && a.u.debug.address == 0x7C00 && ranBefore == 0 && quiet &&
            b.reason == ExitReason::Halted && s.gprs[GPR_RIP] == 0x7C0E,
        std::string(p.name) + ": a breakpoint where the run starts stops before it; continuing does not re-hit it",
        std::string(a.reasonName()) + " then " + b.reasonName());
}

void testHybridWatch(ScriptedProfile p) {
  Rig g(p, kProgramA);
  const int id = g.v->addWatchpoint(0x2000, 1, ACCESS_WRITE, true);
  Exit e = g.v->run(1000);
  CpuState s = g.state();
  const bool hit = e.reason == ExitReason::Debug && e.u.debug.kind == DebugKind::Watchpoint && e.u.debug.id == id &&
                   s.gprs[GPR_RIP] == 0x7C08 && g.mem.read8(0x2000) == 'B';
  e = g.v->run(1000);
  check(hit && e.reason == ExitReason::Halted && g.io.e9.size() == 2,
        std::string(p.name) + ": write watchpoint by page protection stops after the write" +
            (p.completesMemoryExits ? " (completed by the hypervisor)" : " (completed by the software vCPU)"),
        "rip " + hex(s.gprs[GPR_RIP]) + ", then " + e.reasonName() + ", mode " + g.v->mode());
}

void testHybridStep(ScriptedProfile p) {
  Rig g(p, kProgramA);
  g.v->setSingleStep(true);
  std::string trail;
  bool ok = true;
  const uint64_t want[] = {0x7C02, 0x7C04, 0x7C05, 0x7C08, 0x7C0B, 0x7C0D};
  for (uint64_t w : want) {
    Exit e = g.v->run(1);
    CpuState s = g.state();
    trail += hex(s.gprs[GPR_RIP]) + " ";
    ok &= e.reason == ExitReason::Debug && e.u.debug.kind == DebugKind::Step && s.gprs[GPR_RIP] == w;
  }
  g.v->setSingleStep(false);
  Exit e = g.v->run(1000);
  check(ok && e.reason == ExitReason::Halted && g.io.e9 == std::string("A") + char(0xE6) && g.hw->executed == 1 &&
            g.v->counters().softwareSteps == 6,
        std::string(p.name) + ": single-steps run on the software vCPU, then the hardware takes the state back",
        trail + "hardware ran " + std::to_string(g.hw->executed));
}

void testHybridSelfModifying(ScriptedProfile p) {
  // 7C00 mov al,40h / 7C02 mov [7C10h],al / 7C05 hlt ... 7C10 nop / 7C11 hlt
  Rig g(p, {0xB0, 0x40, 0xA2, 0x10, 0x7C, 0xF4});
  g.mem.write8(0x7C10, 0x90);
  g.mem.write8(0x7C11, 0xF4);
  CpuState s = g.state();
  s.gprs[GPR_RIP] = 0x7C10;
  g.v->setState(s);
  g.v->run(1);  // the software vCPU decodes (and caches) the NOP
  s = g.state();
  s.gprs[GPR_RIP] = 0x7C00;
  s.gprs[GPR_RAX] = 0;
  g.v->setState(s);
  Exit e = g.v->run(1000);  // the hardware rewrites 7C10 into INC AX
  s = g.state();
  s.gprs[GPR_RIP] = 0x7C10;
  g.v->setState(s);
  g.v->run(1);
  s = g.state();
  check(e.reason == ExitReason::Halted && (s.gprs[GPR_RAX] & 0xFFFF) == 0x41,
        std::string(p.name) + ": code the hardware rewrote is re-decoded by the software vCPU (dirty pages)",
        "ax=" + hex(s.gprs[GPR_RAX] & 0xFFFF));
}

void testHybridTripleFault(ScriptedProfile p, bool hardwareGivesUp) {
  // 7C00 mov al,'T' / out 0E9h,al / lidt [7C10h] / int 21h / hlt; 7C10: an empty IDT
  Rig g(p, {0xB0, 'T', 0xE6, 0xE9, 0x0F, 0x01, 0x1E, 0x10, 0x7C, 0xCD, 0x21, 0xF4});
  g.hw->failOnUnknown = hardwareGivesUp;
  Exit e = g.v->run(1000);
  const ShutdownReport& r = g.v->lastShutdown();
  const auto chain = g.v->faultChain();
  check(e.reason == ExitReason::Shutdown && r.reproduced && g.io.e9 == "T" && !chain.empty(),
        std::string(p.name) +
            (hardwareGivesUp ? ": hardware that gives up hands over to the software vCPU"
                             : ": a triple fault is re-run from the checkpoint on the software vCPU") +
            ", output not repeated",
        r.text + "; chain of " + std::to_string(chain.size()));
}

void testHybridTripleFaultWindowInCheckpoint(ScriptedProfile p) {
  // 7C00 mov al,'W' / out 0E9h,al / lidt [7C10h] / int 21h / hlt, IF set; 7C10: an empty IDT. The state the
  // checkpoint takes asks for an interrupt window (as the machine's does while an IRQ waits for IF): the re-run
  // has nobody to answer it, and must still reach the triple fault (a nested nvmm run once spent its whole
  // budget stopping for that window).
  Rig g(p, {0xB0, 'W', 0xE6, 0xE9, 0x0F, 0x01, 0x1E, 0x10, 0x7C, 0xCD, 0x21, 0xF4});
  CpuState s = g.state();
  s.gprs[GPR_RFLAGS] |= flags::IF;
  s.intr.int_window_exiting = true;
  g.v->setState(s);
  Exit e = g.v->run(1000);
  const ShutdownReport& r = g.v->lastShutdown();
  check(e.reason == ExitReason::Shutdown && r.reproduced && g.io.e9 == "W",
        std::string(p.name) + ": a checkpoint that asks for an interrupt window still re-runs to the triple fault",
        std::string(e.reasonName()) + ", output '" + g.io.e9 + "': " + r.text);
}

void testHybridShutdownNotReproduced() {
  // mov al,'N' / out 0E9h,al / icebp: the scripted hardware shuts down at the ICEBP, the software vCPU delivers
  // it through the (empty) IVT and runs on: the replay must give up after exactly its budget of guest
  // instructions (not host time: the same on a loaded host) and say so.
  Rig g(kvmLike(), {0xB0, 'N', 0xE6, 0xE9, 0xF1});
  const uint64_t budget = 250001;  // not a multiple of the replay's chunk: the last chunk is cut to fit
  g.v->setReplayBudget(budget);
  const uint8_t before = g.mem.read8(0x7C02);
  Exit e = g.v->run(1000);
  const auto chain = g.v->faultChain();
  CpuState s = g.state();
  const ShutdownReport& r = g.v->lastShutdown();
  check(e.reason == ExitReason::Shutdown && !r.reproduced && r.instructions == budget && chain.size() == 1 &&
            chain[0].reason.find("not reproduced") != std::string::npos &&
            chain[0].reason.find("within 250001 instructions") != std::string::npos && g.io.e9 == "N" &&
            s.gprs[GPR_RIP] == 0x7C04 && g.mem.read8(0x7C02) == before,
        "hybrid: a triple fault the software vCPU does not reproduce within its instruction budget is reported "
        "as such; state and memory stay",
        (chain.empty() ? "no chain" : chain[0].reason) + "; re-ran " + std::to_string(r.instructions));
}

void testHybridPause() {
  Rig g(kvmLike(), {0xEB, 0xFE});  // jmp $
  HybridVcpu* v = g.v.get();
  std::thread t([v] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    v->requestStop();
  });
  Exit e;
  do e = v->run(100000000000ull);
  while (e.reason == ExitReason::None);
  t.join();
  check(e.reason == ExitReason::Stopped, "hybrid: a pause from another thread stops the hardware vCPU", e.reasonName());
}

void testHybridInterrupts() {
  Rig g(kvmLike(), kProgramA);
  const bool can = g.v->canInjectInterrupt();
  g.v->injectInterrupt(0x20);
  g.v->run(1);  // a step on the software vCPU: the state is there now
  g.v->injectInterrupt(0x21);
  CpuState hw;
  g.hw->getState(hw);
  check(can && g.hw->injected == std::vector<uint8_t>{0x20, 0x21} && hw.gprs[GPR_RIP] == 0x7C02,
        "hybrid: interrupts go to the hardware vCPU, the state moving there first after a software step");
}

void testHybridSoftwareFallback() {
  Rig g(kvmLike(), kProgramA);
  g.v->addWatchpoint(0x7C02, 1, ACCESS_READ, true);  // the guest reads its own code at 7C08
  Exit e = g.v->run(1000);
  CpuState s = g.state();
  check(e.reason == ExitReason::Debug && e.u.debug.kind == DebugKind::Watchpoint && s.gprs[GPR_RIP] == 0x7C0B &&
            g.v->mode().rfind("software: a read watchpoint", 0) == 0 && g.hw->executed == 0,
        "hybrid: a read watchpoint runs the guest on the software vCPU, and says why", g.v->mode());
}

// mov eax, cr0; mov cr0, eax; out 0xE9, al; hlt
const std::vector<uint8_t> kProgramCr0 = {0x0F, 0x20, 0xC0, 0x0F, 0x22, 0xC0, 0xE6, 0xE9, 0xF4};

void testHybridSystemBreaks() {
  Rig g(kvmLike(), kProgramCr0);
  g.v->setSystemBreaks(SB_CONTROL_REGISTER);
  Exit e = g.v->run(1000);
  CpuState s = g.state();
  check(e.reason == ExitReason::SystemEvent && e.u.sys.kind == SystemEvent::ControlRegister && e.u.sys.which == 0 &&
            s.gprs[GPR_RIP] == 0x7C06 && g.v->mode().rfind("software: system-event", 0) == 0 && g.hw->executed == 0,
        "hybrid: an armed system-event break runs the guest on the software vCPU and stops after MOV CR0",
        std::string(e.reasonName()) + ", mode " + g.v->mode());
  g.v->setSystemBreaks(0);
  e = g.v->run(1000);
  check(e.reason == ExitReason::Halted && g.hw->executed > 0 && g.io.e9.size() == 1,
        "hybrid: disarmed, the guest goes back to the hardware vCPU",
        std::string(e.reasonName()) + ", mode " + g.v->mode());
}

}  // namespace

int main() {
#if defined(BV_HAVE_KVM)
  testKvmRoundTrip();
  testKvmExits();
#else
  skip("kvm state and exits", "no <linux/kvm.h> on this machine");
#endif
  testPatcher();
  if (!haveSoftware()) {
    skip("hybrid", "built without the software vCPU");
  } else {
    for (ScriptedProfile p : {kvmLike(), nvmmLike()}) {
      testHybridBreakpoint(p, 2);
      testHybridBreakpoint(p, 5);
      testHybridArrival(p);
      testHybridWatch(p);
      testHybridStep(p);
      testHybridSelfModifying(p);
      testHybridTripleFault(p, false);
    }
    testHybridTripleFault(kvmLike(), true);
    testHybridShutdownNotReproduced();
    testHybridTripleFaultWindowInCheckpoint(kvmLike());
    testHybridTripleFaultWindowInCheckpoint(nvmmLike());
    testHybridPause();
    testHybridInterrupts();
    testHybridSoftwareFallback();
    testHybridSystemBreaks();
  }
  std::printf("scripted_test: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}
