// libFuzzer target for the whole PC (the Machine: software vCPU, devices, paravirtual BIOS, snapshots, the
// debugger's calls), built from the VMM's sources with ASan and UBSan by scripts/fuzz.sh. Executions are
// cheap: a few machines are made once, and each input starts by restoring a machine's boot snapshot (only
// the pages written since are copied back).
//
// One input = a header (kHeaderBytes, always consumed whole: which machine, the CPU mode, registers, three
// GDT descriptors) and then a stream of operations until the input ends: code bytes poked into RAM, runs of
// a few hundred instructions, port I/O from the host, keys and serial bytes (IRQs 1 and 4), BIOS calls (INT
// 10h/11h/12h/13h/14h/15h/16h/1Ah with random registers and buffers), snapshots and restores, time steps,
// breakpoints and watchpoints, debugger memory access, screen rendering.
//
// Besides crashes, hangs and sanitizer reports it checks that the BIOS ROM is never written except by the
// debugger's own writes: not by guest stores, nor by BIOS services aiming their results at F000:xxxx.
//
// BOOTVISOR_FUZZ_SEEDS=DIR makes LLVMFuzzerInitialize write seed inputs in this very format (the examples'
// boot sectors, booted in real mode) and exit: the seeds can never fall out of step with the header.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bootvisor/machine.h"
#include "bootvisor/software_vcpu.h"
#include "bootvisor/state.h"

namespace {

using namespace bv;

constexpr size_t kHeaderBytes = 64;
constexpr uint64_t kRunBudget = 4000;  // instructions per input, over all its runs: many short inputs find more
constexpr int kMaxOps = 96;
constexpr int kRecreateEvery = 20000;  // executions: machines keep per-address tallies (the exit profile)
constexpr uint32_t kRomBase = 0xF0000, kRomSize = 0x10000;
constexpr uint32_t kGdt = 0x1000, kCallStub = 0x0600;

enum Op : uint8_t {
  kCode,
  kRun,
  kPortOut,
  kPortIn,
  kKeys,
  kSerial,
  kBiosCall,
  kSnapshot,
  kRestore,
  kClock,
  kRegisters,
  kBreakpoint,
  kDebugMemory,
  kType,
  kScreen,
  kStep,
  kOpCount
};

// Reads the input front to back; past its end every read gives 0.
struct Reader {
  const uint8_t* p;
  size_t n;
  uint8_t u8() { return n ? (--n, *p++) : 0; }
  uint16_t u16() { return uint16_t(u8() | (u8() << 8)); }
  uint32_t u32() { return u16() | (uint32_t(u16()) << 16); }
};

// The machines an input may pick: a floppy, a hard disk with a partition table, a bare boot sector.
std::vector<uint8_t> diskImage(int kind) {
  std::vector<uint8_t> img(kind == 0 ? 1474560 : kind == 1 ? 4u << 20 : 512, 0);
  for (size_t i = 512; i < img.size(); i += 512) img[i] = uint8_t(i >> 9);  // sectors tell themselves apart
  const uint8_t boot[] = {0xFA, 0xF4};                                      // cli; hlt
  std::memcpy(img.data(), boot, sizeof boot);
  if (kind == 1) {
    uint8_t* e = &img[446];
    e[0] = 0x80, e[4] = 0x06, e[5] = 0x0F, e[6] = 0x3F;
    uint32_t start = 63, count = uint32_t(img.size() / 512 - 63);
    std::memcpy(e + 8, &start, 4);
    std::memcpy(e + 12, &count, 4);
  }
  img[510] = 0x55, img[511] = 0xAA;
  return img;
}

struct Slot {
  std::unique_ptr<Machine> m;
  uint32_t base = 0;
  std::vector<uint8_t> rom;  // the BIOS ROM as the boot snapshot has it
  CpuState cpu;              // the vCPU as the boot snapshot has it
};

std::vector<uint8_t> readRom(Machine& m) {
  std::vector<uint8_t> rom(kRomSize);
  if (!m.readPhysical(kRomBase, rom.data(), rom.size())) rom.clear();
  return rom;
}

// Whether a restore of the boot snapshot brought the vCPU back whole: state left over from the previous input
// (an interrupt injected but not delivered) made a later input hang, and only in that order.
const char* cpuDiffers(const CpuState& a, const CpuState& b) {
  auto differ = [](const auto& x, const auto& y) { return std::memcmp(x, y, sizeof x) != 0; };
  if (differ(a.gprs, b.gprs) || differ(a.crs, b.crs)) return "registers";
  if (differ(a.drs, b.drs) || differ(a.msrs, b.msrs)) return "DRs/MSRs";
  for (int i = 0; i < SEG_COUNT; ++i)
    if (a.segs[i].selector != b.segs[i].selector || a.segs[i].base != b.segs[i].base ||
        a.segs[i].limit != b.segs[i].limit)
      return "segments";
  if (a.intr.int_shadow != b.intr.int_shadow || a.intr.int_window_exiting != b.intr.int_window_exiting ||
      a.intr.evt_pending != b.intr.evt_pending || a.intr.irq_vector != b.intr.irq_vector)
    return "interrupt state (shadow, window, pending injection)";
  if (a.halted != b.halted) return "halted";
  return nullptr;
}

bool romChanged(Machine& m, const std::vector<uint8_t>& was) {
  static std::vector<uint8_t> now(kRomSize);
  if (!m.readPhysical(kRomBase, now.data(), now.size())) return !was.empty();
  return was.size() != now.size() || std::memcmp(was.data(), now.data(), now.size()) != 0;
}

Slot& slot(int kind, bool recreate) {
  static Slot slots[3];
  Slot& s = slots[kind];
  if (!s.m || recreate) {
    s.m.reset();
    MachineConfig cfg;
    cfg.image = diskImage(kind);
    cfg.memoryBytes = 2u << 20;
    std::string error;
    s.m = Machine::create(cfg, error);
    if (!s.m) {
      std::fprintf(stderr, "fuzz_pc: cannot create the machine: %s\n", error.c_str());
      std::abort();
    }
    s.base = s.m->snapshot();
    s.rom = readRom(*s.m);
    s.m->getState(s.cpu);
  }
  return s;
}

SegState flatSeg(uint16_t sel, bool code, bool big) {
  SegState s;
  s.selector = sel;
  s.base = 0;
  s.limit = big ? 0xFFFFFFFFu : 0xFFFF;
  s.attrib.type = code ? 0xB : 0x3;
  s.attrib.s = 1;
  s.attrib.p = 1;
  s.attrib.def = big;
  s.attrib.g = big;
  return s;
}

// The header: the CPU's mode and registers. Real mode most of the time (the BIOS lives there).
void applyHeader(Machine& m, Reader in) {
  const uint8_t mode = in.u8();
  CpuState st;
  m.getState(st);
  for (int r = 0; r < 8; ++r) {
    uint32_t v = in.u32();
    if (r != GPR_RSP) st.gprs[r] = v;
  }
  st.gprs[GPR_RFLAGS] = (in.u32() & 0x00047FD7u) | 2;
  uint16_t ds = in.u16(), es = in.u16();
  uint64_t gdt[8] = {0, 0x00CF9B000000FFFFull, 0x00CF93000000FFFFull, 0x008F9B000000FFFFull, 0};
  for (int i = 5; i < 8; ++i) gdt[i] = uint64_t(in.u32()) | (uint64_t(in.u32()) << 32);
  m.writePhysical(kGdt, gdt, sizeof gdt);
  if ((mode & 7) == 7) {  // protected mode, flat, 16- or 32-bit code, paging off
    bool big = mode & 8;
    st.crs[CR_CR0] |= cr0::PE;
    st.segs[SEG_GDT].base = kGdt;
    st.segs[SEG_GDT].limit = sizeof gdt - 1;
    st.segs[SEG_CS] = flatSeg(8, true, big);
    for (int s : {SEG_DS, SEG_ES, SEG_SS, SEG_FS, SEG_GS}) st.segs[s] = flatSeg(16, false, big);
    st.gprs[GPR_RSP] = 0x7000;
  } else {
    st.segs[SEG_DS].selector = ds, st.segs[SEG_DS].base = uint64_t(ds) << 4;
    st.segs[SEG_ES].selector = es, st.segs[SEG_ES].base = uint64_t(es) << 4;
  }
  st.gprs[GPR_RIP] = 0x7C00;
  m.setState(st);
}

// INT n with random registers and buffers, from a stub in low RAM: `int n; cli; hlt`.
void biosCall(Machine& m, Reader& in, uint64_t& budget) {
  static const uint8_t kVectors[] = {0x10, 0x10, 0x10, 0x13, 0x13, 0x13, 0x15,
                                     0x15, 0x16, 0x1A, 0x11, 0x12, 0x14, 0x17};
  uint8_t v = kVectors[in.u8() % sizeof kVectors];
  const uint8_t stub[] = {0xCD, v, 0xFA, 0xF4};
  m.writePhysical(kCallStub, stub, sizeof stub);
  CpuState st;
  m.getState(st);
  for (int r : {GPR_RAX, GPR_RBX, GPR_RCX, GPR_RDX, GPR_RSI, GPR_RDI, GPR_RBP})
    st.gprs[r] = (st.gprs[r] & ~0xFFFFull) | in.u16();
  // Half the INT 10h calls are VBE calls (AH=4Fh): 256 AH values would leave them to chance.
  if (v == 0x10 && (st.gprs[GPR_RBP] & 1)) st.gprs[GPR_RAX] = (st.gprs[GPR_RAX] & ~0xFF00ull) | 0x4F00;
  const int segs[] = {SEG_ES, SEG_DS};
  for (int s : segs) {
    uint16_t sel = in.u16();
    st.segs[s] = SegState();
    st.segs[s].selector = sel;
    st.segs[s].base = uint64_t(sel) << 4;
    st.segs[s].limit = 0xFFFF;
    st.segs[s].attrib.type = 3, st.segs[s].attrib.s = 1, st.segs[s].attrib.p = 1;
  }
  st.crs[CR_CR0] &= ~uint64_t(cr0::PE | cr0::PG);
  st.segs[SEG_CS] = SegState();
  st.segs[SEG_CS].limit = 0xFFFF;
  st.segs[SEG_CS].attrib.type = 0xB, st.segs[SEG_CS].attrib.s = 1, st.segs[SEG_CS].attrib.p = 1;
  st.segs[SEG_SS] = st.segs[SEG_CS];
  st.segs[SEG_SS].attrib.type = 3;
  st.gprs[GPR_RIP] = kCallStub;
  st.gprs[GPR_RSP] = 0x7000;
  st.gprs[GPR_RFLAGS] = 0x202;
  st.halted = false;
  m.setState(st);
  RunLimits limits;
  limits.maxInstructions = budget < 2000 ? budget : 2000;
  limits.returnWhenIdle = true;
  uint64_t before = m.instructionCount();
  m.run(limits);
  uint64_t ran = m.instructionCount() - before;
  budget = ran >= budget ? 0 : budget - ran;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("BOOTVISOR_FUZZ_SEEDS");
  if (!dir) return 0;
  // Seeds: a real-mode header (all zero), then each example's boot sector poked at 0x7C00 in 256-byte
  // pieces, then a run. Arguments: the example images.
  const char* list = std::getenv("BOOTVISOR_FUZZ_SEED_IMAGES");
  std::string images = list ? list : "";
  size_t at = 0;
  int n = 0;
  while (at < images.size()) {
    size_t end = images.find(':', at);
    if (end == std::string::npos) end = images.size();
    std::string path = images.substr(at, end - at);
    at = end + 1;
    std::ifstream f(path, std::ios::binary);
    std::vector<uint8_t> img((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (img.size() < 512) continue;
    std::vector<uint8_t> seed(kHeaderBytes, 0);
    for (int piece = 0; piece < 2; ++piece) {
      seed.push_back(kCode);
      seed.push_back(uint8_t(piece * 128));  // offset / 2
      seed.push_back(255);                   // 256 bytes
      seed.insert(seed.end(), img.begin() + piece * 256, img.begin() + piece * 256 + 256);
    }
    seed.push_back(kRun);
    seed.push_back(255);
    std::ofstream o(std::string(dir) + "/seed-" + std::to_string(n++), std::ios::binary);
    o.write(reinterpret_cast<const char*>(seed.data()), std::streamsize(seed.size()));
  }
  std::fprintf(stderr, "fuzz_pc: wrote %d seeds (header %zu bytes)\n", n, kHeaderBytes);
  std::exit(0);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static int executions = 0;
  // BOOTVISOR_FUZZ_LEAK=1: lose one block on purpose, so a test can see the leak check at exit fail the run.
  static const bool leak = std::getenv("BOOTVISOR_FUZZ_LEAK") != nullptr;
  if (leak && executions == 0) {
    static void* volatile lost;
    lost = std::malloc(48);
    lost = nullptr;
  }
  const bool recreate = ++executions % kRecreateEvery == 0;
  Reader header{data, size < kHeaderBytes ? size : kHeaderBytes};
  Reader in{data + header.n, size - header.n};
  Slot& s = slot(header.p[0] % 3 * (header.n > 0), recreate);
  Machine& m = *s.m;
  std::string error;
  if (!m.restore(s.base, error)) {
    std::fprintf(stderr, "fuzz_pc: restoring the boot snapshot failed: %s\n", error.c_str());
    std::abort();
  }
  m.loadInputLog({});  // the previous input's keys and bytes must not be replayed into this one
  {
    CpuState now;
    m.getState(now);
    if (const char* what = cpuDiffers(now, s.cpu)) {
      std::fprintf(stderr, "fuzz_pc: restoring the boot snapshot left the vCPU's %s from the previous input\n", what);
      std::abort();
    }
  }
  if (header.n) {
    header.u8();
    applyHeader(m, header);
  }

  std::vector<uint32_t> snaps;
  std::vector<int> bps;
  bool hostWroteRom = false;
  uint64_t budget = kRunBudget;
  SoftwareVcpu* soft = m.softwareVcpu();
  for (int ops = 0; in.n && ops < kMaxOps && budget; ++ops) {
    switch (in.u8() % kOpCount) {
      case kCode: {
        uint32_t at = 0x7C00 + in.u8() * 2u;
        size_t len = size_t(in.u8()) + 1;
        if (len > in.n) len = in.n;
        m.writePhysical(at, in.p, len);
        in.p += len, in.n -= len;
        break;
      }
      case kRun: {
        RunLimits limits;
        uint64_t want = (uint64_t(in.u8()) + 1) * 64;
        limits.maxInstructions = want < budget ? want : budget;
        limits.returnWhenIdle = true;
        uint64_t before = m.instructionCount();
        m.run(limits);
        uint64_t ran = m.instructionCount() - before;
        budget = ran >= budget ? 0 : budget - ran;
        if (ran == 0) budget = budget > 256 ? budget - 256 : 0;  // stops that run nothing still cost
        break;
      }
      case kPortOut: {
        uint16_t port = in.u16();
        if ((port & 0xF000) == 0xF000) port = uint16_t(0x1CE | (port & 1));  // the VBE's index and data ports
        unsigned sz = 1u << (in.u8() % 3);
        m.portWrite(port, sz, in.u32());
        break;
      }
      case kPortIn: {
        uint16_t port = in.u16();
        if ((port & 0xF000) == 0xF000) port = uint16_t(0x1CE | (port & 1));
        m.portRead(port, 1u << (in.u8() % 3));
        break;
      }
      case kKeys: {
        std::vector<uint8_t> codes(in.u8() % 4 + 1);
        for (auto& c : codes) c = in.u8();
        m.sendScanCodes(codes);
        break;
      }
      case kSerial: {
        std::vector<uint8_t> bytes(in.u8() % 4 + 1);
        for (auto& c : bytes) c = in.u8();
        m.sendSerial(bytes);
        break;
      }
      case kBiosCall: biosCall(m, in, budget); break;
      case kSnapshot:
        if (snaps.size() < 4) snaps.push_back(m.snapshot());
        break;
      case kRestore: {
        uint8_t pick = in.u8();
        if (!snaps.empty() && !m.restore(snaps[pick % snaps.size()], error)) {
          std::fprintf(stderr, "fuzz_pc: restoring a snapshot taken in this input failed: %s\n", error.c_str());
          std::abort();
        }
        break;
      }
      case kClock: m.clockStep(uint64_t(in.u16()) * 1000); break;
      case kRegisters: {
        CpuState st;
        m.getState(st);
        st.gprs[in.u8() % 17] = in.u32();
        m.setState(st);
        break;
      }
      case kBreakpoint:
        if (soft && bps.size() < 8) {
          uint32_t a = in.u32() & 0xFFFFF;
          bps.push_back((in.u8() & 1) ? soft->addBreakpoint(a, false)
                                      : soft->addWatchpoint(a, in.u8() % 16 + 1, uint8_t(in.u8() % 3 + 1), true));
        }
        break;
      case kDebugMemory: {
        uint32_t a = in.u32() & 0x3FFFFF;  // RAM and beyond
        uint8_t buf[64];
        size_t len = in.u8() % sizeof buf + 1;
        if (in.u8() & 1) {
          for (size_t i = 0; i < len; ++i) buf[i] = in.u8();
          if (a < kRomBase + kRomSize && a + len > kRomBase) hostWroteRom = true;
          if (m.writeLinear(a, buf, len) && a + len > kRomBase && a < kRomBase + kRomSize) hostWroteRom = true;
        } else {
          m.readLinear(a, buf, len);
        }
        break;
      }
      case kType: {
        std::string text;
        for (int i = in.u8() % 6; i > 0; --i) text.push_back(char(in.u8()));
        m.typeText(text);
        break;
      }
      case kScreen:
        if (in.u8() & 1) (void)m.screenText();
        else (void)m.screenFrame(int64_t(in.u8()) - 1);
        break;
      case kStep: {
        // step() as the debugger does it, except that a guest waiting for a key returns instead of waiting
        // for a host that never types.
        RunLimits one;
        one.maxInstructions = 1;
        one.returnWhenIdle = true;
        m.run(one);
        budget = budget ? budget - 1 : 0;
        break;
      }
    }
  }
  if (soft) {
    soft->clearBreakpoints();
    soft->clearWatchpoints();
  }
  for (uint32_t id : snaps) m.dropSnapshot(id);
  // Host writes (the debugger's) may change the ROM; nothing else may. Restoring a snapshot taken in this
  // input brings back ROM bytes as they were then, which were checked the same way.
  if (!hostWroteRom && romChanged(m, s.rom)) {
    std::fprintf(stderr, "fuzz_pc: the BIOS ROM changed, though only the guest and the BIOS ran\n");
    std::abort();
  }
  return 0;
}
