// The software vCPU's architectural state and the services every instruction handler (and pm/) uses:
// segmented and linear memory access with limit/type checks and paging, the stack, raising faults, and the
// fault-chain recorder. No Node dependency.
//
// For native/src/cpu/pm/ (protected mode and paging): it uses the public members below marked [pm]. Change
// segment caches only through setSeg() (it updates the derived fast-path fields), CR0/CR3/CR4 only through
// setCr0/setCr3/setCr4 (they flush the TLB when the SDM says), CPL through setCpl(). A null selector loaded in
// protected mode must give a cache with attr P=0 (accesses through it then raise #GP(0), or #SS(0) through
// SS). eip is already the faulting instruction's when an exception is delivered, and the next instruction's
// for INT n / external interrupts: deliverInterrupt pushes cpu.eip. On a fault the run loop restores EIP and
// ESP only (not EFLAGS): change EFLAGS only once nothing can fault any more, as the SDM's pseudo-code does
// (delivery failures are undone by the loop, flags included).
#pragma once
#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bootvisor/exceptions.h"
#include "bootvisor/exit.h"
#include "bootvisor/memory.h"
#include "bootvisor/state.h"
#include "bootvisor/vcpu.h"
#include "cpu/fpu_state.h"

namespace bv::cpu {

class SystemOps;

enum Vector : uint8_t {
  VEC_DE = 0,
  VEC_DB = 1,
  VEC_NMI = 2,
  VEC_BP = 3,
  VEC_OF = 4,
  VEC_BR = 5,
  VEC_UD = 6,
  VEC_NM = 7,
  VEC_DF = 8,
  VEC_TS = 10,
  VEC_NP = 11,
  VEC_SS = 12,
  VEC_GP = 13,
  VEC_PF = 14,
  VEC_MF = 16,
  VEC_AC = 17,
};
// Their names, classes and error codes: bootvisor/exceptions.h.

// How an interrupt came to be; decides what IDT gate DPL checks apply and what is pushed.
enum class IntKind : uint8_t {
  Exception,  // a CPU fault/trap/abort (eip = faulting instruction for faults)
  External,   // PIC interrupt, NMI (injected)
  Software,   // INT n (gate DPL checked against CPL)
  Int3,       // INT3 (DPL checked)
  Into,       // INTO (DPL checked)
  Icebp,      // F1 (no DPL check)
};

// Attribute bits in NVMM's packing (state.h SegAttrib): type:4 s:1 dpl:2 p:1 avl:1 l:1 def:1 g:1.
namespace attr {
constexpr uint16_t TYPE = 0xF, S = 1u << 4, DPL_SHIFT = 5, DPL = 3u << 5, P = 1u << 7, AVL = 1u << 8, L = 1u << 9,
                   DEF = 1u << 10, G = 1u << 11;
// Type bits (with S=1): code = 8, conforming/expand-down = 4, readable/writable = 2, accessed = 1.
constexpr uint16_t T_CODE = 8, T_CONF_EXPDOWN = 4, T_RW = 2, T_ACCESSED = 1;
}  // namespace attr

// One segment register with its hidden descriptor cache.
struct Seg {
  uint16_t sel = 0;
  uint16_t attr = 0;  // see namespace attr
  uint32_t base = 0;
  uint32_t limit = 0;  // byte-granular (already scaled by G)
  // Derived by Cpu::setSeg for the fast path (do not set by hand):
  uint32_t lo = 0;       // lowest valid offset (expand-down: limit+1)
  uint32_t hi = 0;       // highest valid offset
  bool canRead = true;   // data read allowed (PM type check; always true in real mode)
  bool canWrite = true;  // data write allowed
  // hi - lo when reads (writes) are allowed and the segment is not empty, else -1: an access of size n at
  // off passes all the checks above exactly when uint32_t(off - lo) + n - 1 <= readSpan (one compare).
  int64_t readSpan = 0, writeSpan = 0;
  bool big() const { return (attr & attr::DEF) != 0; }
  bool present() const { return (attr & attr::P) != 0; }
  uint8_t dpl() const { return (attr & attr::DPL) >> attr::DPL_SHIFT; }
  uint8_t type() const { return attr & attr::TYPE; }
};

struct TableReg {
  uint32_t base = 0;
  uint16_t limit = 0;
};

// What pm/'s page walk found. On failure the walker has set CR2 and raised #PF (ok = false).
struct PageWalk {
  bool ok = false;
  uint32_t phys = 0;      // physical address of the linear address walked
  bool writable = false;  // a write at the privilege walked is allowed (U/S, R/W, CR0.WP applied)
  bool user = false;      // user-accessible
  bool global = false;    // G bit with CR4.PGE
  bool dirtySet = false;  // D is set (a write may use a cached translation without another walk)
  bool large = false;     // 4 MiB page
};

// One link of the chain of events that led to a fault, in words.
struct FaultRecord {
  uint8_t vector = 0;
  bool hasError = false;
  uint32_t error = 0;
  uint16_t cs = 0;
  uint32_t eip = 0;
  uint32_t linear = 0;
  uint8_t bytes[16] = {};
  uint8_t length = 0;
  bool shutdown = false;  // the last link of a triple fault
  std::string reason;
};

class Cpu {
 public:
  Cpu(GuestMemory& mem, ExitHandler& io);
  ~Cpu();
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  // ---- Architectural state [pm] ----
  // EAX ECX EDX EBX ESP EBP ESI EDI, then gpr[kNoReg], always 0: the block tier's address arithmetic adds
  // gpr[base] and gpr[index] without testing for an absent register. Nothing writes it.
  uint32_t gpr[9] = {};
  uint32_t eip = 0;
  Seg seg[6];  // ES CS SS DS FS GS (SEG_ES.. from state.h)
  Seg ldtr, tr;
  TableReg gdtr, idtr;
  uint32_t cr0 = 0x60000010, cr2 = 0, cr3 = 0, cr4 = 0;
  uint32_t dr[8] = {0, 0, 0, 0, 0xFFFF0FF0, 0x400, 0xFFFF0FF0, 0x400};  // DR4/5 alias DR6/7
  // Guest breakpoints DR7 enables, by kind (bit n = DRn), and the data ones this instruction hit. Derived by
  // updateDebugRegs() after every DR0-DR3/DR7 write; drData forces every data access onto the slow path.
  uint8_t drExec = 0, drData = 0, drHits = 0;
  void updateDebugRegs();
  void dataBreakCheck(uint32_t lin, unsigned size, bool write);
  uint64_t efer = 0;
  uint64_t sysenter[3] = {};  // SYSENTER_CS/ESP/EIP MSRs (kept for RDMSR/WRMSR only)
  uint8_t cpl = 0;
  Fpu fpu;  // the x87 (fpu_*.cpp)

  // EFLAGS. OF SF ZF AF PF may be held lazily (the last ADD/SUB/logic result, see setLazy); these accessors
  // always see the architectural value.
  uint32_t eflags() const {
    if (lzOp_) materialize();
    return flags_;
  }
  void setEflags(uint32_t v) {
    lzOp_ = 0;
    flags_ = (v & kFlagsWritable) | 2;
    if (v & (1u << 16)) events = 1;  // RF (IRET): the run loop must skip the next instruction breakpoint
  }
  bool flag(uint32_t f) const {
    if (lzOp_ && (f & kLazyFlags)) materialize();
    return (flags_ & f) != 0;
  }
  void setFlag(uint32_t f, bool on) {
    if (lzOp_ && (f & kLazyFlags)) materialize();
    flags_ = on ? (flags_ | f) : (flags_ & ~f);
  }

  bool protectedMode() const { return (cr0 & cr0::PE) != 0; }
  bool paging() const { return (cr0 & cr0::PG) != 0; }
  bool code32() const { return seg[SEG_CS].big(); }
  bool stack32() const { return seg[SEG_SS].big(); }

  // [pm] Load a segment cache (recomputes derived fields). seg index 0..5.
  void setSeg(int s, const Seg& v);
  // Real-mode style load: selector and base = sel*16; limit and attributes kept (unreal mode).
  void setSegReal(int s, uint16_t sel);
  void setCpl(uint8_t c);
  void setCr0(uint32_t v);
  void setCr3(uint32_t v);
  void setCr4(uint32_t v);
  void flushTlb(bool includingGlobal = true);
  void invlpg(uint32_t linear);
  void setA20(bool on);
  bool a20() const { return a20Mask_ == 0xFFFFFFFFu; }

  // ---- Faults [pm] ----
  // Records a pending fault and returns false, so handlers can `return cpu.raise(...)`. The reason is
  // printf-style, in words; a null format gives a default reason. The run loop delivers it (with the #DF
  // and triple-fault rules) after the handler returns.
  bool raise(uint8_t vector, uint32_t error = 0, const char* fmt = nullptr, ...) __attribute__((format(printf, 4, 5)));
  bool faultPending() const { return pending_.active; }

  // ---- Memory through segmentation [pm may use] ----
  // Offsets are already masked to the address size by the caller. False: a fault was raised.
  bool read8(int s, uint32_t off, uint8_t& v);
  bool read16(int s, uint32_t off, uint16_t& v);
  bool read32(int s, uint32_t off, uint32_t& v);
  bool write8(int s, uint32_t off, uint8_t v);
  bool write16(int s, uint32_t off, uint16_t v);
  bool write32(int s, uint32_t off, uint32_t v);
  bool readN(int s, uint32_t off, unsigned size, uint32_t& v);  // size 1, 2 or 4
  bool writeN(int s, uint32_t off, unsigned size, uint32_t v);
  // Checks limit/type for [off, off+size) without accessing (for read-modify-write and multi-part ops).
  bool checkSeg(int s, uint32_t off, unsigned size, bool write);

  // Linear accesses at the current CPL ("sys" = supervisor access regardless of CPL: descriptor tables,
  // TSS, IDT, as the SDM calls implicit supervisor accesses). [pm]
  bool readLin(uint32_t lin, unsigned size, uint32_t& v, bool sys = false);
  bool writeLin(uint32_t lin, unsigned size, uint32_t v, bool sys = false);
  // Physical accesses (page walker) with the A20 mask; beyond RAM they go to MMIO. [pm]
  uint32_t readPhys32(uint32_t pa);
  void writePhys32(uint32_t pa, uint32_t v);

  // ---- Stack [pm] ----
  // The stack's common case inline: the segment check passes and the TLB holds the page (else the general
  // path, which faults or goes slow, with nothing changed).
  template <int S>
  bool fastStackWrite(uint32_t off, uint32_t v) {
    const Seg& g = seg[SEG_SS];
    return int64_t(uint32_t(off - g.lo)) + (S - 1) <= g.writeSpan && fastWrite(g.base + off, S, v);
  }
  template <int S>
  bool fastStackRead(uint32_t off, uint32_t& v) {
    const Seg& g = seg[SEG_SS];
    return int64_t(uint32_t(off - g.lo)) + (S - 1) <= g.readSpan && fastRead(g.base + off, S, v);
  }
  bool push16(uint16_t v);
  bool push32(uint32_t v);
  bool pop16(uint16_t& v);
  bool pop32(uint32_t& v);
  bool push(bool op32, uint32_t v) { return op32 ? push32(v) : push16(uint16_t(v)); }
  bool pop(bool op32, uint32_t& v);
  uint32_t sp() const { return stack32() ? gpr[4] : (gpr[4] & 0xFFFF); }
  void setSp(uint32_t v) {
    if (stack32()) gpr[4] = v;
    else {
      uint32_t w = (gpr[4] & 0xFFFF0000u) | (v & 0xFFFF);
      asm("" : "+r"(w));  // a whole 32-bit store (see setGpr32 in exec.h)
      gpr[4] = w;
    }
  }

  // ---- System operations: pm/'s when CR0.PE is set and it registered, else real mode. [pm] ----
  SystemOps& sys();

  // ---- Ports ----
  bool portIn(uint16_t port, unsigned size, uint32_t& v);
  bool portOut(uint16_t port, unsigned size, uint32_t v);

  // ---- For the run loop (software_vcpu.cpp) and handlers; pm/ need not use these ----
  GuestMemory& mem;
  ExitHandler& io;
  uint32_t insnEip = 0;    // EIP of the executing instruction (faults restart here)
  uint32_t insnEsp = 0;    // ESP before it (restored on a fault)
  bool yield = false;      // an I/O handler asked to stop after this instruction
  Exit yieldExit;          // the Io/Memory exit to return then
  bool intShadow = false;  // no interrupt before the next instruction (STI, MOV SS, POP SS)
  bool halted = false;
  bool stopAfter = false;  // stop the run after this instruction (port 0xF4, watchpoint hit)
  Exit stopExit;
  uint64_t icount = 0;
  // Nonzero when the run loop must look after an instruction: set with a pending fault, an I/O yield,
  // stopAfter and halted, so the loop tests one byte instead of four.
  uint8_t events = 0;
  // Bumped whenever what EIP maps to may have changed (a CS load, a TLB flush, CR0/CR3/CR4, A20): the run
  // loop's cached successor of an instruction is valid only within one generation. The software vCPU also
  // bumps it whenever a decoded-instruction slot is refilled or dropped, so a link needs no other check.
  uint32_t codeGen = 0;
  uint64_t tscOffset = 0;  // RDTSC = icount + tscOffset (deterministic)

  // System-event breaks the debugger armed (SB_* of exit.h). The hooks sit in the handlers of the few
  // instructions concerned (MOV CRn, LGDT, INT n, CS loads, task switches), each behind one test of this byte.
  uint8_t sysBreaks = 0;
  uint8_t codeMode = MODE_REAL;  // the mode the last CS load left, kept while SB_MODE_SWITCH is armed
  uint8_t currentCodeMode() const;
  // A CS load with SB_MODE_SWITCH armed: reports a change of mode since the last one.
  __attribute__((cold, noinline)) void noteCodeMode();
  // Stops the run after this instruction with Exit::SystemEvent (a mode switch yields to any other event).
  __attribute__((cold, noinline)) void systemEvent(SystemEvent kind, uint8_t which, uint32_t a, uint32_t b,
                                                   uint32_t c = 0, uint32_t d = 0);

  struct Pending {
    bool active = false;
    uint8_t vector = 0;
    uint32_t error = 0;
    bool trap = false;                  // INT3/INTO/ICEBP: EIP stays after the instruction
    IntKind kind = IntKind::Exception;  // how to deliver it
    std::string reason;
  } pending_;
  std::vector<FaultRecord> chain;  // fault chain of the last fault (newest last)

  // Watchpoint hook: the software vCPU sets it; called on slow-path accesses to PAGE_WATCH pages.
  struct WatchHook {
    virtual ~WatchHook() = default;
    virtual void onAccess(uint32_t lin, uint64_t phys, unsigned size, uint8_t access) = 0;
  };
  WatchHook* watch = nullptr;
  bool watchAll = false;  // linear watchpoints under paging: every access takes the slow path
  // One bit per RAM byte that a decoded instruction may cover; a guest store to a PAGE_CODE page drops
  // decoded instructions (codeWrite) only when it touches such a byte, so data beside code costs nothing.
  uint64_t* codeBits = nullptr;
  struct CodeWriteHook {
    virtual ~CodeWriteHook() = default;
    virtual void onCodeWrite(uint32_t phys, unsigned len) = 0;
  };
  CodeWriteHook* codeWrite = nullptr;
  inline bool codeBitsHit(uint32_t pa, unsigned size) const {
    uint64_t w0 = codeBits[pa >> 6], w1 = codeBits[(pa + size - 1) >> 6];
    uint64_t m = (size >= 64 ? ~0ull : ((1ull << size) - 1));
    unsigned sh = pa & 63;
    return ((w0 >> sh) & m) != 0 || (sh + size > 64 && (w1 & ((1ull << (sh + size - 64)) - 1)) != 0);
  }

  // Linear -> physical with paging and the A20 mask (false: fault raised). access: ACCESS_* from exit.h.
  bool translate(uint32_t lin, uint8_t access, uint32_t& phys, bool sys = false);

  static constexpr uint32_t kFlagsWritable = 0x003F7FD5;  // CF PF AF ZF SF TF IF DF OF IOPL NT RF VM AC VIF VIP ID

 private:
  friend class JitCache;  // jit_x64.cpp: the offsets of the flags and their lazy record, for host code
  struct TlbEntry {
    uint32_t readTag = 1;   // linear page base when reads may use host; 1 = invalid
    uint32_t writeTag = 1;  // same for writes (translation writable and dirty)
    uint32_t physPage = 0;
    bool global = false;
  };
  static constexpr unsigned kTlbSize = 1024;

  bool slowRead(uint32_t lin, unsigned size, uint32_t& v, bool sys);
  bool slowWrite(uint32_t lin, unsigned size, uint32_t v, bool sys);
  bool fillTlb(uint32_t lin, uint8_t access, bool sys, TlbEntry*& out);
  bool segFault(int s, uint32_t error, const char* what, uint32_t off);
  bool physReadN(uint32_t pa, unsigned size, uint32_t& v);
  bool physWriteN(uint32_t pa, unsigned size, uint32_t v);

  mutable uint32_t flags_ = 2;
  // Lazy flags: lzOp_ = LZ_ADD / LZ_SUB / LZ_LOGIC | operand size (1, 2 or 4); 0 = none.
  mutable uint8_t lzOp_ = 0;
  uint32_t lzRes_ = 0, lzA_ = 0, lzB_ = 0;
  void materialize() const;
  uint32_t a20Mask_ = 0xFFFFFFFFu;
  uint8_t* ram_ = nullptr;     // mem.data(), cached for the fast paths
  uint8_t* pflags_ = nullptr;  // mem.pageFlags()
  TlbEntry tlb_[kTlbSize];

 public:
  // Fast paths inline (same-page accesses that hit the TLB).
  inline __attribute__((always_inline)) bool fastRead(uint32_t lin, unsigned size, uint32_t& v) {
    const TlbEntry& e = tlb_[(lin >> PAGE_SHIFT) & (kTlbSize - 1)];
    if (e.readTag != (lin & ~0xFFFu) || (lin & 0xFFF) > 0x1000 - size) return false;
    const uint8_t* p = ram_ + e.physPage + (lin & 0xFFF);
    switch (size) {
      case 1: v = *p; break;
      case 2: {
        uint16_t t;
        std::memcpy(&t, p, 2);
        v = t;
        break;
      }
      default: std::memcpy(&v, p, 4); break;
    }
    return true;
  }
  inline __attribute__((always_inline)) bool fastWrite(uint32_t lin, unsigned size, uint32_t v) {
    const TlbEntry& e = tlb_[(lin >> PAGE_SHIFT) & (kTlbSize - 1)];
    if (e.writeTag != (lin & ~0xFFFu) || (lin & 0xFFF) > 0x1000 - size) return false;
    const uint8_t f = pflags_[e.physPage >> PAGE_SHIFT];
    const uint32_t pa = e.physPage + (lin & 0xFFF);
    if (f != PAGE_WRITE_FAST) {
      if (f != (PAGE_WRITE_FAST | PAGE_CODE) || !codeBits) return false;
      std::memcpy(ram_ + pa, &v, size);
      if (codeBitsHit(pa, size)) codeWrite->onCodeWrite(pa, size);
      return true;
    }
    std::memcpy(ram_ + pa, &v, size);  // little-endian host
    return true;
  }
  // The block tier's page windows (block_exec.cpp): for each segment register, the 4 KiB of offsets that an
  // inline read (write) of the running block found wholly inside the segment's limits and rights and in one
  // linear page that the TLB maps to RAM, unwatched (for writes: PAGE_WRITE_FAST, no code). Only valid while
  // nothing that can change a segment, the TLB or a page's flags runs: execBlock forgets them on entry and
  // after every handler it calls (an inline store into code sets Cpu::events, which leaves the block).
  struct BlockPage {
    uint32_t lo = 0;   // the window's first offset
    int64_t lim = -1;  // 0xFFF when valid, -1 (nothing passes) when not
    uint8_t* host = nullptr;
  };
  BlockPage blockRd[6], blockWr[6];
  bool blockPagesSet = false;  // a window was opened since they were last forgotten
  // Bit s (reads) and 8 + s (writes) of segment s: a window may still be opened in the running block (only
  // a block that loops opens them, paying over several passes; a segment whose attempt failed stops trying).
  uint32_t blockPagesTry = 0;
  void forgetBlockPages() {
    if (!blockPagesSet) return;
    blockPagesSet = false;
    for (int s = 0; s < 6; ++s) blockRd[s].lim = blockWr[s].lim = -1;
  }
  // The host bytes of linear page `page` when the TLB maps it for an inline read (write) as fastRead
  // (fastWrite, without its code path) would use it, else null.
  uint8_t* hostPage(uint32_t page, bool write) const {
    const TlbEntry& e = tlb_[(page >> PAGE_SHIFT) & (kTlbSize - 1)];
    if (write ? e.writeTag != page || pflags_[e.physPage >> PAGE_SHIFT] != PAGE_WRITE_FAST : e.readTag != page)
      return nullptr;
    return ram_ + e.physPage;
  }
  // Instruction fetch: linear -> physical through the TLB when it holds the page (else false, no fault).
  inline bool fetchPhys(uint32_t lin, uint32_t& phys) const {
    const TlbEntry& e = tlb_[(lin >> PAGE_SHIFT) & (kTlbSize - 1)];
    if (e.readTag != (lin & ~0xFFFu)) return false;
    phys = e.physPage | (lin & 0xFFF);
    return true;
  }
  // Fills the TLB for an instruction fetch (false: a fault was raised).
  bool fetchFill(uint32_t lin, uint32_t& phys);
  // The flag bits the run loop needs quickly.
  uint32_t& flagsRef() {
    if (lzOp_) materialize();
    return flags_;
  }
  // CF and the non-arithmetic flags as they are (never lazy): for the TF and CF tests of the hot paths.
  uint32_t rawFlags() const { return flags_; }
  static constexpr uint32_t kLazyFlags = 0x8D4;               // OF SF ZF AF PF (CF is always kept exact)
  enum : uint8_t { LZ_ADD = 8, LZ_SUB = 16, LZ_LOGIC = 24 };  // | operand size (1, 2, 4)
  enum : uint8_t { LZ_KIND = 0x38, LZ_OF_EXACT = 0x40 };      // | LZ_OF_EXACT: OF in flags_ is exact
  // Sets CF and OF exactly, SF ZF AF PF untouched (lazy or not): rotates, which need not materialize.
  void setCO(bool cf, bool of) {
    flags_ = (flags_ & ~0x801u) | (cf ? 1u : 0u) | (of ? 0x800u : 0u);
    if (lzOp_) lzOp_ |= LZ_OF_EXACT;
  }
  // Sets all six arithmetic flags exactly.
  void setOSZAPC(uint32_t f) {
    lzOp_ = 0;
    flags_ = (flags_ & ~0x8D5u) | f;
  }
  // Records an ADD/SUB/logic result for lazy OF SF ZF AF PF; CF is given exactly.
  void setLazy(uint8_t kindSize, uint32_t res, uint32_t a, uint32_t b, bool cf) {
    lzOp_ = kindSize;
    lzRes_ = res;
    lzA_ = a;
    lzB_ = b;
    flags_ = (flags_ & ~1u) | (cf ? 1u : 0u);
  }
  bool zeroFlag() const { return lzOp_ ? lzRes_ == 0 : (flags_ & 0x40) != 0; }
  struct FlagSave {
    uint32_t flags;
    uint8_t op;
    uint32_t res, a, b;
  };
  FlagSave saveFlags() const { return {flags_, lzOp_, lzRes_, lzA_, lzB_}; }
  void restoreFlags(const FlagSave& f) {
    flags_ = f.flags;
    lzOp_ = f.op;
    lzRes_ = f.res;
    lzA_ = f.a;
    lzB_ = f.b;
  }
};

}  // namespace bv::cpu
