// libFuzzer target for the software vCPU, built straight from its sources (not the addon) with ASan and
// UBSan by scripts/fuzz.sh. One input = an initial machine (mode, registers, a GDT, an IDT, page tables, all
// taken from the input bytes, so real mode, protected mode, rings and paging are all reached) plus code
// bytes at 0x7C00; the vCPU runs a bounded number of instructions. It must not crash, hang, trip a
// sanitizer, or touch host memory outside the guest's RAM: the RAM is fenced by inaccessible guard pages,
// so a stray access just past either end faults at once.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bootvisor/memory.h"
#include "bootvisor/software_vcpu.h"
#include "bootvisor/state.h"

namespace {

constexpr uint64_t kRamBytes = 2u << 20;     // 2 MiB: page tables may point past it (MMIO)
constexpr uint64_t kInstructionBudget = 4000;  // per input: many short runs find more than few long ones
constexpr uint32_t kGdt = 0x1000, kIdt = 0x2000, kPageDir = 0x3000, kPageTable = 0x4000, kCode = 0x7C00;

// Reads the input front to back; past its end every read gives 0.
struct Reader {
  const uint8_t* p;
  size_t n;
  uint8_t u8() { return n ? (--n, *p++) : 0; }
  uint16_t u16() { return uint16_t(u8() | (u8() << 8)); }
  uint32_t u32() { return u16() | (uint32_t(u16()) << 16); }
};

class NullIo final : public bv::ExitHandler {
 public:
  bv::IoAction portIn(uint16_t, unsigned size, uint32_t& v, uint64_t) override {
    v = size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFFu;
    return bv::IoAction::Continue;
  }
  bv::IoAction portOut(uint16_t port, unsigned, uint32_t, uint64_t) override {
    // Yield now and then, so the run loop's I/O exit path is exercised too.
    return (port & 0xFF) == 0xF4 ? bv::IoAction::Yield : bv::IoAction::Continue;
  }
  bv::IoAction mmioRead(uint64_t, unsigned, uint64_t& v, uint64_t) override {
    v = ~uint64_t(0);
    return bv::IoAction::Continue;
  }
  bv::IoAction mmioWrite(uint64_t, unsigned, uint64_t, uint64_t) override { return bv::IoAction::Continue; }
};

// The guest RAM, made once and fenced: GuestMemory mmaps its RAM, which ASan does not track, so PROT_NONE
// guard pages are put directly below and above it by hand. Linux places anonymous mappings top-down (and
// 2 MiB ones 2 MiB-aligned), so a PROT_NONE reservation made just before usually ends up directly above the
// RAM; the page below is then claimed with MAP_FIXED_NOREPLACE. Both are checked, never assumed.
bool guardAt(uint8_t* at, size_t page) {
  void* r = mmap(at, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (r == at) return true;
  if (r != MAP_FAILED) munmap(r, page);
  return false;
}

bv::GuestMemory& fencedMemory() {
  static bv::GuestMemory* mem = [] {
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    void* above = mmap(nullptr, kRamBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    auto* m = new bv::GuestMemory(kRamBytes);
    uint8_t* lo = m->data() - page;
    uint8_t* hi = m->data() + m->size();
    bool upper = (above != MAP_FAILED && hi == above) || guardAt(hi, page);
    bool lower = guardAt(lo, page);
    if (!upper || !lower)
      std::fprintf(stderr, "fuzz_cpu: could not fence guest RAM with guard pages (%s side); accesses past it may go unnoticed\n",
                   upper ? "lower" : "upper");
    return m;
  }();
  return *mem;
}

bv::SegState flatSeg(uint16_t sel, bool code, bool big, uint8_t dpl) {
  bv::SegState s;
  s.selector = uint16_t((sel & ~3u) | dpl);
  s.base = 0;
  s.limit = big ? 0xFFFFFFFFu : 0xFFFF;
  s.attrib.type = code ? 0xB : 0x3;
  s.attrib.s = 1;
  s.attrib.dpl = dpl;
  s.attrib.p = 1;
  s.attrib.def = big;
  s.attrib.g = big;
  return s;
}

// A cache straight from 8 descriptor bytes, however inconsistent (what LOADALL or a bad hand-off could give).
bv::SegState rawSeg(uint16_t sel, uint32_t lo, uint32_t hi) {
  bv::SegState s;
  s.selector = sel;
  s.base = (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u);
  uint32_t limit = (lo & 0xFFFF) | (hi & 0xF0000u);
  s.limit = (hi & (1u << 23)) ? ((limit << 12) | 0xFFF) : limit;
  uint16_t a = uint16_t(((hi >> 8) & 0xFF) | (((hi >> 20) & 0xF) << 8));
  s.attrib.type = a & 0xF;
  s.attrib.s = (a >> 4) & 1;
  s.attrib.dpl = (a >> 5) & 3;
  s.attrib.p = (a >> 7) & 1;
  s.attrib.avl = (a >> 8) & 1;
  s.attrib.l = 0;
  s.attrib.def = (a >> 10) & 1;
  s.attrib.g = (a >> 11) & 1;
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  bv::GuestMemory& mem = fencedMemory();
  if (!mem.data()) return 0;
  std::memset(mem.data(), 0, mem.size());  // every input starts from zeroed RAM with no page flags
  std::memset(mem.pageFlags(), 0, mem.size() >> bv::PAGE_SHIFT);
  NullIo io;
  {
    auto cpu = bv::createSoftwareVcpu(mem, io);
    const uint8_t mode = in.u8(), mode2 = in.u8();
    const bool pe = mode & 1, pg = pe && (mode & 2), code32 = pe && (mode & 4), stack32 = pe && (mode & 8);
    const uint8_t cpl = pe ? (mode >> 6) : 0;

    bv::CpuState st = bv::bootState(0x80);
    for (int r = 0; r < 8; ++r) st.gprs[r] = in.u32();
    st.gprs[bv::GPR_RSP] = (mode2 & 1) ? in.u32() : 0x7000;
    st.gprs[bv::GPR_RFLAGS] = (in.u32() & 0x00247FD7u) | 2;  // no VM unless asked below
    if (pe && (mode2 & 2)) st.gprs[bv::GPR_RFLAGS] |= bv::flags::VM;
    st.gprs[bv::GPR_RIP] = kCode;

    // GDT: 16 descriptors from the input, the first kept null. IDT: 32 gates from the input.
    uint32_t gdt[32] = {};
    for (int i = 2; i < 32; ++i) gdt[i] = in.u32();
    mem.write(kGdt, gdt, sizeof gdt);
    st.segs[bv::SEG_GDT].base = kGdt;
    st.segs[bv::SEG_GDT].limit = (mode2 & 4) ? in.u8() : sizeof gdt - 1;
    uint32_t idt[64];
    for (auto& w : idt) w = in.u32();
    mem.write(kIdt, idt, sizeof idt);
    st.segs[bv::SEG_IDT].base = pe ? kIdt : 0;
    st.segs[bv::SEG_IDT].limit = pe ? ((mode2 & 8) ? in.u16() : sizeof idt - 1) : 0x3FF;
    // An LDT and a TSS somewhere in the GDT's range, possibly garbage.
    st.segs[bv::SEG_LDT] = rawSeg(0x18, gdt[6], gdt[7]);
    st.segs[bv::SEG_TR] = rawSeg(0x20, gdt[8], gdt[9]);

    if (pe) {
      if (mode2 & 16) {  // raw caches from the GDT bytes
        for (int s = 0; s < 6; ++s) {
          int idx = 2 + 2 * (in.u8() % 15);
          st.segs[s] = rawSeg(uint16_t(idx * 4), gdt[idx], gdt[idx + 1]);
        }
      } else {
        for (int s = 0; s < 6; ++s) st.segs[s] = flatSeg(uint16_t(8 + 8 * s), s == bv::SEG_CS, s == bv::SEG_CS ? code32 : stack32, cpl);
      }
      st.crs[bv::CR_CR0] = 0x60000011u | (pg ? 0x80000000u : 0) | ((mode & 32) ? 0x10000u : 0);
      st.crs[bv::CR_CR4] = (mode & 16) ? 0x10 : 0;
      st.crs[bv::CR_CR3] = kPageDir;
      if (pg) {
        // PDE 0 -> an identity page table with random low bits; the other PDEs straight from the input.
        uint32_t pd[16];
        pd[0] = kPageTable | 7;
        for (int i = 1; i < 16; ++i) pd[i] = in.u32();
        mem.write(kPageDir, pd, sizeof pd);
        for (uint32_t p = 0; p < 1024; ++p) {
          uint32_t pte = (p << 12) | 7;
          if (p >= 0x10 && p < 0x20) pte ^= in.u8() & 0x167;  // some pages absent, read-only, supervisor
          mem.write32(kPageTable + 4 * p, pte);
        }
      }
    }
    // The rest of the input is code, at 0x7C00 and again at the top of the first 64 KiB (wrap-around paths).
    if (in.n) {
      size_t n = in.n < 0x4000 ? in.n : 0x4000;
      mem.write(kCode, in.p, n);
      mem.write(0x10000 - (n < 0x100 ? n : 0x100), in.p, n < 0x100 ? n : 0x100);
    }
    cpu->setState(st);
    if (mode2 & 32) cpu->setA20(false);
    if (mode2 & 64) cpu->addWatchpoint(0x7000 + (mode2 & 0x80 ? 0x0F00 : 0), 16, bv::ACCESS_READ | bv::ACCESS_WRITE, false);
    if (mode2 & 128) cpu->addBreakpoint(kCode + 16, false);

    uint64_t left = kInstructionBudget;
    for (int rounds = 0; left > 0 && rounds < 64; ++rounds) {
      uint64_t before = cpu->instructionCount();
      bv::Exit e = cpu->run(left);
      uint64_t ran = cpu->instructionCount() - before;
      left = ran >= left ? 0 : left - ran;
      if (e.reason == bv::ExitReason::Shutdown || e.reason == bv::ExitReason::Halted ||
          e.reason == bv::ExitReason::Invalid)
        break;
      if (e.reason == bv::ExitReason::None) break;
      if (e.reason == bv::ExitReason::Debug) {
        cpu->clearBreakpoints();
        cpu->clearWatchpoints();
      }
    }
    bv::CpuState out;
    cpu->getState(out);
    (void)cpu->faultChain();
    (void)cpu->history();
  }
  return 0;
}
