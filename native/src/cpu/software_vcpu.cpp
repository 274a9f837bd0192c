// The software vCPU's run loop: the decoded-instruction cache, exception delivery with the #DF/shutdown
// rules and the fault chain, interrupts, and the debug API (breakpoints, watchpoints, catch, history).
#include "bootvisor/software_vcpu.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cpu/block_cache.h"
#include "cpu/block_exec.h"
#include "cpu/exec.h"
#include "cpu/lazy_zero_array.h"

namespace bv {

namespace {

using namespace bv::cpu;

constexpr unsigned kCacheBits = 15;
constexpr uint32_t kCacheSize = 1u << kCacheBits;
// Instructions between looks at the stop flag: about 60 us at the interpreter's rate (the README's (a) with the
// tier off), a few ms only if nearly every one were a BIOS call (about 0.5 us each, the README's (d)); and few
// enough chunk ends (each leaves a looping block and writes its history) to cost nothing measurable.
constexpr uint64_t kStopCheckEvery = 16384;

// All zero bytes is an empty slot (the cache lives in lazily mapped zero pages: see lazy_zero_array.h).
struct CacheSlot {
  uint32_t phys;
  uint8_t mode;  // kSlotEmpty, or slotMode(code32)
  Insn insn;
  // The instruction that ran after this one last time (fall-through or branch target), valid for one
  // Cpu::codeGen: the next lookup is then a compare instead of a TLB walk and a hash, and the host CPU can
  // predict it. Zero is a generation no link can be made in (filling a slot ends the generation first).
  uint32_t succEip, succGen, succPhys;
  CacheSlot* succ;
};
constexpr uint8_t kSlotEmpty = 0;
inline uint8_t slotMode(bool code32) { return code32 ? 2 : 1; }

inline uint32_t cacheIndex(uint32_t pa) { return (pa ^ (pa >> kCacheBits)) & (kCacheSize - 1); }

struct Breakpoint {
  int id;
  uint64_t address;
  bool physical;
};

struct Watchpoint {
  int id;
  uint64_t address, length;
  uint8_t access;
  bool physical;
};

// One history entry is one 64-bit store; the code segment is logged apart (CsLog), only when it changes,
// and the length is found again by decoding when the history is asked for.
struct HistEntry {
  uint32_t eip, phys;
};
struct CsLog {
  uint64_t pos = 0;  // the history position from which this code segment applies
  uint32_t base = 0;
  uint16_t sel = 0;
  bool code32 = false;
};

class SoftwareVcpuImpl final : public SoftwareVcpu, private Cpu::WatchHook, private Cpu::CodeWriteHook {
 public:
  SoftwareVcpuImpl(GuestMemory& mem, ExitHandler& io)
      : mem_(mem), cpu_(mem, io), cache_(kCacheSize), codeBits_(mem.size() / 64 + 2), blocks_(mem.size()) {
    blocksOn_ = blockTierWanted() && blocks_.usable();
    jitOn_ = blocksOn_ && envOn("BOOTVISOR_JIT") && jit_.usable();
    cpu_.watch = this;
    cpu_.codeBits = codeBits_.data();
    cpu_.codeWrite = this;
    setHistorySize(64);
    mem_.setCodeWriteListener([this](uint64_t gpa, uint64_t len) { invalidate(gpa, len); });
    CpuState st = resetState();
    setState(st);
  }
  ~SoftwareVcpuImpl() override { mem_.setCodeWriteListener(nullptr); }

  const char* name() const override { return "software"; }
  VcpuCaps caps() const override {
    VcpuCaps c;
    c.singleStep = c.breakpoints = c.watchpoints = c.catchExceptions = c.instructionCount = true;
    return c;
  }

  void getState(CpuState& st) override;
  void setState(const CpuState& st) override;
  Exit run(uint64_t maxInstructions) override;
  void requestStop() override { stop_.store(true, std::memory_order_relaxed); }

  bool interruptsEnabled() override { return cpu_.flag(flags::IF); }
  bool canInjectInterrupt() override { return cpu_.flag(flags::IF) && !cpu_.intShadow && irq_ < 0; }
  void injectInterrupt(uint8_t vector) override { irq_ = vector; }
  void requestInterruptWindow(bool on) override { window_ = on; }
  uint64_t instructionCount() const override { return cpu_.icount; }
  bool blockTier() const override { return blocksOn_; }
  bool jitTier() const override { return jitOn_ && jit_.usable(); }  // false once the host refused code memory
  uint64_t jitLoops() const override { return jitLoops_; }

  int addBreakpoint(uint64_t address, bool physical) override {
    breaks_.push_back({nextId_, address, physical});
    hasBreaks_ = true;
    return nextId_++;
  }
  bool removeBreakpoint(int id) override {
    auto it = std::find_if(breaks_.begin(), breaks_.end(), [id](const Breakpoint& b) { return b.id == id; });
    if (it == breaks_.end()) return false;
    breaks_.erase(it);
    hasBreaks_ = !breaks_.empty();
    return true;
  }
  void clearBreakpoints() override {
    breaks_.clear();
    hasBreaks_ = false;
  }

  int addWatchpoint(uint64_t address, uint64_t length, uint8_t access, bool physical) override {
    if (length == 0) length = 1;
    watches_.push_back({nextId_, address, length, access, physical});
    rewatch();
    return nextId_++;
  }
  bool removeWatchpoint(int id) override {
    auto it = std::find_if(watches_.begin(), watches_.end(), [id](const Watchpoint& w) { return w.id == id; });
    if (it == watches_.end()) return false;
    watches_.erase(it);
    rewatch();
    return true;
  }
  void clearWatchpoints() override {
    watches_.clear();
    rewatch();
  }

  void setCatchException(uint8_t vector, bool on) override {
    if (vector < 32) catch_[vector] = on;
  }
  void discardCaughtException() override { caught_ = false; }
  void setSystemBreaks(uint8_t kinds) override {
    cpu_.sysBreaks = kinds;
    cpu_.codeMode = cpu_.currentCodeMode();  // a switch is measured from where the guest stands now
  }

  std::vector<InsnRecord> history(size_t newest) const override;
  void setHistorySize(size_t n) override {
    // Room for a block's worth beyond the entries reported: the block tier writes a block's entries before
    // running it, and those past a fault in the middle of it must not overwrite reported ones.
    size_t cap = 1;
    while (cap < n + BlockCache::kMaxOps) cap <<= 1;
    history_.assign(cap, HistEntry{});
    csLog_.assign(cap + 1, CsLog{});
    csLogPos_ = 0;
    histLimit_ = n;
    histPos_ = 0;
  }
  std::vector<FaultLink> faultChain() const override;

  void setA20(bool on) override { cpu_.setA20(on); }
  void advanceTsc(uint64_t ticks) override { cpu_.tscOffset += ticks; }
  bool a20() const override { return cpu_.a20(); }

 private:
  // WatchHook
  void onAccess(uint32_t lin, uint64_t phys, unsigned size, uint8_t access) override {
    for (const Watchpoint& w : watches_) {
      uint64_t a = w.physical ? phys : lin;
      if (!(w.access & access)) continue;
      if (a + size <= w.address || a >= w.address + w.length) continue;
      if (cpu_.stopAfter) return;
      cpu_.stopAfter = true;
      cpu_.events = 1;
      cpu_.stopExit = Exit{};
      cpu_.stopExit.reason = ExitReason::Debug;
      cpu_.stopExit.u.debug = {DebugKind::Watchpoint, access, w.id, a, uint8_t(size)};
      return;
    }
  }

  void onCodeWrite(uint32_t phys, unsigned len) override { invalidate(phys, len); }
  void rewatch();
  void invalidate(uint64_t gpa, uint64_t len);
  const Insn* fetchDecode(uint32_t lin, uint32_t phys, bool& ok);
  bool checkBreak(uint32_t lin, uint32_t phys);
  // The block tier (block_cache.h): BOOTVISOR_BLOCK_TIER=off (or 0) turns it off for the process.
  static bool blockTierWanted() { return envOn("BOOTVISOR_BLOCK_TIER"); }
  // BOOTVISOR_JIT_CODE_KIB: the JIT's code memory, for tests that make it fill up and start again.
  static size_t jitCodeBytes() {
    const char* v = std::getenv("BOOTVISOR_JIT_CODE_KIB");
    const long kib = v ? std::strtol(v, nullptr, 10) : 0;
    return kib > 0 && kib < (1L << 20) ? size_t(kib) << 10 : JitCache::kDefaultBytes;
  }
  static bool envOn(const char* name) {
    const char* v = std::getenv(name);
    return !(v && (std::strcmp(v, "0") == 0 || std::strcmp(v, "off") == 0));
  }
  // The loop's host code (JIT, jit_x64.h), compiled on the block's first loop in each code epoch.
  JitFn jitFor(Block& b) {
    if (b.jitEpoch != jit_.epoch()) {
      b.jit = jit_.compile(b.ops, b.count);
      if (b.jit) ++jitLoops_;
      b.jitEpoch = jit_.epoch();  // after compile(), which may have begun a new epoch
    }
    return b.jit;
  }
  Block* enterBlock(uint32_t eip);
  unsigned breakFree(const Block& b, uint32_t eip, unsigned n) const;
  void logCs(uint64_t pos) {
    const Seg& cs = cpu_.seg[SEG_CS];
    const CsLog* last = csLogPos_ ? &csLog_[(csLogPos_ - 1) % csLog_.size()] : nullptr;
    if (!last || last->sel != cs.sel || last->base != cs.base || last->code32 != cs.big())
      csLog_[csLogPos_++ % csLog_.size()] = CsLog{pos, cs.base, cs.sel, cs.big()};
  }
  enum class Linked { Broken, ChunkEnd, Event };
  struct LinkedStop {
    uint32_t esp0, flags0;
    const Insn* in;
  };
  template <bool HIST>
  Linked runBlocks(uint64_t chunkEnd, HistEntry* buf, size_t mask, uint64_t& pos, uint32_t stopFlags, LinkedStop& st);
  Linked runLinked(CacheSlot*& prev, uint64_t chunkEnd, HistEntry* buf, size_t mask, uint64_t& pos, uint32_t stopFlags,
                   LinkedStop& st);
  // A DR0-DR3 instruction breakpoint at lin (unless RF): raises the #DB fault with DR6's B0-B3 and says true.
  bool guestExecBreak(uint32_t lin, uint32_t flags0) {
    if (!cpu_.drExec || (flags0 & flags::RF)) return false;
    uint8_t hit = 0;
    for (unsigned n = 0; n < 4; ++n)
      if ((cpu_.drExec & (1u << n)) && cpu_.dr[n] == lin) hit |= uint8_t(1u << n);
    if (!hit) return false;
    cpu_.dr[6] = (cpu_.dr[6] & ~0xFu) | hit;
    cpu_.raise(VEC_DB, 0, "instruction breakpoint at 0x%08X (DR6=0x%08X)", lin, cpu_.dr[6]);
    return true;
  }
  // After an IRQ's delivery with system-event breaks armed: the IRQ (or the mode switch its delivery made)
  // stops the run at the handler's first instruction.
  bool deliveredBreak(uint8_t vector, Exit& out) {
    if (cpu_.sysBreaks & SB_IRQ) cpu_.systemEvent(SystemEvent::Irq, vector, 0, 0);
    if (!cpu_.stopAfter || cpu_.stopExit.reason != ExitReason::SystemEvent) return false;
    out = cpu_.stopExit;
    cpu_.stopAfter = false;
    cpu_.events = 0;
    return true;
  }
  // Handles a pending fault: returns true with `out` set when run() must return.
  bool handleFault(Exit& out);
  bool deliver(uint8_t vector, IntKind kind, uint32_t error, Exit& out);
  void recordFault(uint8_t vector, bool hasError, uint32_t error, std::string reason, bool shutdown);
  // Handlers change the flags only once their stores have succeeded, so a fault restores EIP and ESP only.
  void restoreInsnState() {
    cpu_.eip = cpu_.insnEip;
    cpu_.gpr[4] = cpu_.insnEsp;
  }
  bool readInsnBytes(uint32_t lin, uint8_t* out, unsigned n) const;

  GuestMemory& mem_;
  Cpu cpu_;
  LazyZeroArray<CacheSlot> cache_;
  LazyZeroArray<uint64_t> codeBits_;  // one bit per byte of RAM: 96 MiB for 3 GiB, so only touched pages may cost
  Insn scratch_;
  BlockCache blocks_;
  bool blocksOn_ = true;
  JitCache jit_{cpu_, jitCodeBytes()};
  bool jitOn_ = false;
  uint64_t jitLoops_ = 0;
  std::atomic<bool> stop_{false};
  int irq_ = -1;
  bool window_ = false;
  uint32_t insnFlags_ = 2;

  std::vector<Breakpoint> breaks_;
  bool hasBreaks_ = false;
  bool skipBreakOnce_ = false;
  uint32_t skipBreakAt_ = 0;
  std::vector<Watchpoint> watches_;
  std::vector<uint32_t> watchedPages_;
  uint32_t deviceGen_ = 0;  // the memory's device map the TLB was filled under
  int nextId_ = 1;

  bool catch_[32] = {};
  bool caught_ = false;
  Cpu::Pending caughtFault_;

  std::vector<HistEntry> history_;  // a power of two long; the last histLimit_ entries are reported
  std::vector<CsLog> csLog_;        // ring of code-segment changes, as long as the history (+1)
  uint64_t csLogPos_ = 0;
  size_t histLimit_ = 0;
  uint64_t histPos_ = 0;  // instructions recorded so far (the next slot is histPos_ & (size - 1))

  // What the last getState gave, for setState to recognise it: the segments (valid until a run or a
  // setState) and the x87 with the Fpu it was saved from (valid while the Fpu's bytes are the same).
  SegState segsOut_[SEG_TR + 1];
  bool segsOutValid_ = false;
  FpuState fpuOut_;
  Fpu fpuSeen_;
  bool fpuUnchanged() const {
    return std::memcmp(&cpu_.fpu, &fpuSeen_, sizeof(Fpu)) == 0;  // NOLINT(bugprone-suspicious-memory-comparison)
  }
  bool fpuOutValid_ = false;
};

void SoftwareVcpuImpl::invalidate(uint64_t gpa, uint64_t len) {
  if (len >= kCacheSize) {
    // Pages no slot was ever filled in are only read (the kernel's zero page), never allocated.
    for (auto& s : cache_)
      if (s.mode != kSlotEmpty) s.mode = kSlotEmpty;
    codeBits_.clear();
    blocks_.clear();
    ++cpu_.codeGen;   // successor links may point at emptied slots
    cpu_.events = 1;  // a block in progress may be stale: leave it after this instruction
    return;
  }
  uint64_t from = gpa >= 14 ? gpa - 14 : 0;
  const uint64_t end = gpa + len < mem_.size() ? gpa + len : mem_.size();
  // A page whose written bytes a decoded instruction covers loses its blocks (the bits are exact to the
  // byte: a store beside code drops nothing), and a block in progress is left after this instruction.
  for (uint64_t a = gpa; a < end;) {
    const uint64_t pageEnd = std::min<uint64_t>(end, (a | 0xFFF) + 1);
    bool hit = false;
    for (uint64_t x = a; x < pageEnd && !hit;) {
      const uint64_t upto = std::min<uint64_t>(pageEnd, (x | 63) + 1);
      const uint64_t w = codeBits_[x >> 6];
      const unsigned cnt = unsigned(upto - x);
      hit = w != 0 && (cnt >= 64 || ((w >> (x & 63)) & ((1ull << cnt) - 1)) != 0);
      x = upto;
    }
    if (hit) {
      blocks_.pageWritten(uint32_t(a >> PAGE_SHIFT));
      ++cpu_.codeGen;
      cpu_.events = 1;
    }
    a = pageEnd;
  }
  for (uint64_t a = from; a < gpa + len; ++a) {
    // A valid decoded instruction has the bits of all its bytes set: where a word of them is clear, none
    // starts in those 64 bytes (a page written back by a snapshot restore skips most of its 4,096 slots).
    if (a < end && codeBits_[a >> 6] == 0) {
      a |= 63;
      continue;
    }
    CacheSlot& s = cache_[cacheIndex(uint32_t(a))];
    if (s.mode != kSlotEmpty && s.phys == a && a + s.insn.len > gpa) {
      s.mode = kSlotEmpty;
      ++cpu_.codeGen;
    }
  }
  // No valid decoded instruction covers the written bytes any more. Whole words at once, and only words
  // with bits set are written (the bitmap's untouched pages stay unallocated).
  for (uint64_t a = gpa; a < end;) {
    uint64_t& w = codeBits_[a >> 6];
    if ((a & 63) == 0 && end - a >= 64) {
      if (w) w = 0;
      a += 64;
    } else {
      w &= ~(1ull << (a & 63));
      ++a;
    }
  }
}

void SoftwareVcpuImpl::rewatch() {
  if (watches_.empty() && watchedPages_.empty() && !cpu_.watchAll) return;  // nothing was or is watched
  uint8_t* fl = mem_.pageFlags();
  for (uint32_t p : watchedPages_) fl[p] &= ~PAGE_WATCH;
  watchedPages_.clear();
  cpu_.watchAll = false;
  uint64_t pages = mem_.size() >> PAGE_SHIFT;
  for (const Watchpoint& w : watches_) {
    // A linear watchpoint under paging cannot be pinned to physical pages: watch every access instead.
    if (!w.physical && cpu_.paging()) cpu_.watchAll = true;
    uint64_t first = w.address >> PAGE_SHIFT, last = (w.address + w.length - 1) >> PAGE_SHIFT;
    if (!w.physical && !cpu_.a20()) cpu_.watchAll = true;  // wrapped aliases: be safe
    for (uint64_t p = first; p <= last && p < pages; ++p) {
      if (!(fl[p] & PAGE_WATCH)) {
        fl[p] |= PAGE_WATCH;
        watchedPages_.push_back(uint32_t(p));
      }
    }
  }
  cpu_.flushTlb(true);
}

bool SoftwareVcpuImpl::checkBreak(uint32_t lin, uint32_t phys) {
  if (skipBreakOnce_) {
    skipBreakOnce_ = false;
    if (lin == skipBreakAt_) return false;
  }
  for (const Breakpoint& b : breaks_)
    if ((b.physical ? phys : lin) == b.address) return true;
  return false;
}

bool SoftwareVcpuImpl::readInsnBytes(uint32_t lin, uint8_t* out, unsigned n) const {
  // Debug read of code bytes without side effects: through the current translation when paging is off.
  for (unsigned k = 0; k < n; ++k) {
    uint32_t pa = cpu_.paging() ? 0xFFFFFFFFu : ((lin + k) & (cpu_.a20() ? 0xFFFFFFFFu : ~(1u << 20)));
    if (cpu_.paging() && !const_cast<Cpu&>(cpu_).fetchPhys(lin + k, pa)) pa = 0xFFFFFFFFu;
    out[k] = mem_.read8(pa);
  }
  return true;
}

// Decodes the instruction at lin (phys is its translation). Cached when it lies in one RAM page.
const Insn* SoftwareVcpuImpl::fetchDecode(uint32_t lin, uint32_t phys, bool& ok) {
  const uint8_t mode = slotMode(cpu_.code32());
  CacheSlot& slot = cache_[cacheIndex(phys)];
  if (slot.mode == mode && slot.phys == phys) {
    ok = true;
    return &slot.insn;
  }
  // The slot's contents change: successor links of this generation may point at it, so end the generation
  // (the run loop's link test is then just EIP and generation).
  ++cpu_.codeGen;
  const uint32_t eip = cpu_.eip;
  const Seg& cs = cpu_.seg[SEG_CS];
  const uint32_t pageEnd = 0x1000 - (lin & 0xFFF);
  bool inRam = mem_.contains(phys, 1);
  bool crossed = false;
  auto fetch = [&](unsigned n, uint8_t& v) -> bool {
    uint32_t off = eip + n;
    if (off > cs.limit || (!cpu_.code32() && off > 0xFFFF)) {
      cpu_.raise(VEC_GP, 0, "instruction at CS:0x%X runs past the CS limit 0x%X", eip, cs.limit);
      return false;
    }
    if (n < pageEnd && inRam) {
      v = mem_.data()[phys + n];
      return true;
    }
    crossed = true;
    uint32_t pa;
    if (!cpu_.fetchPhys(lin + n, pa) && !cpu_.fetchFill(lin + n, pa)) return false;
    if (mem_.contains(pa, 1)) {
      v = mem_.data()[pa];
    } else {
      uint64_t val = 0xFF;
      cpu_.io.mmioRead(pa, 1, val, eip);
      v = uint8_t(val);
    }
    return true;
  };
  Insn& d = (inRam) ? slot.insn : scratch_;
  if (!decodeInsn(d, cpu_.code32(), fetch)) {
    if (inRam) slot.mode = kSlotEmpty;
    ok = false;
    return nullptr;
  }
  ok = true;
  if (!inRam) return &d;
  if (crossed) {
    scratch_ = d;
    slot.mode = kSlotEmpty;
    return &scratch_;
  }
  slot.phys = phys;
  slot.mode = mode;
  mem_.pageFlags()[phys >> PAGE_SHIFT] |= PAGE_CODE;
  for (uint32_t a = phys; a < phys + d.len; ++a) codeBits_[a >> 6] |= 1ull << (a & 63);
  return &slot.insn;
}

void SoftwareVcpuImpl::recordFault(uint8_t vector, bool hasError, uint32_t error, std::string reason, bool shutdown) {
  FaultRecord r;
  r.vector = vector;
  r.hasError = hasError;
  r.error = error;
  r.cs = cpu_.seg[SEG_CS].sel;
  r.eip = cpu_.insnEip;
  r.linear = cpu_.seg[SEG_CS].base + cpu_.insnEip;
  r.length = 8;
  readInsnBytes(r.linear, r.bytes, r.length);
  r.shutdown = shutdown;
  r.reason = std::move(reason);
  if (cpu_.chain.size() < 16) cpu_.chain.push_back(std::move(r));
}

// Delivers vector with the #DF and triple-fault rules. False: delivered. True: run() must return (out).
bool SoftwareVcpuImpl::deliver(uint8_t vector, IntKind kind, uint32_t error, Exit& out) {
  for (int attempt = 0;; ++attempt) {
    if (attempt == 8) {  // faults that keep handing over serially: give up as the CPU would, by shutting down
      recordFault(0xFF, false, 0, "exception delivery keeps faulting; the processor shuts down", true);
      out = Exit{};
      out.reason = ExitReason::Shutdown;
      return true;
    }
    // CR0.PE alone decides: exceptions raised in virtual-8086 mode push their error code too (SDM 20.3.1).
    const bool pm = cpu_.protectedMode();
    const bool hasErr = kind == IntKind::Exception && pm && exceptionInfo(vector).errorCode;
    // What delivery may change before it fails is undone, so a nested fault sees the faulting state.
    uint32_t eip = cpu_.eip, esp = cpu_.gpr[4], fl = cpu_.eflags();
    Seg ss = cpu_.seg[SEG_SS];
    uint8_t cpl = cpu_.cpl;
    if (cpu_.sys().deliverInterrupt(cpu_, vector, kind, hasErr, hasErr ? error : 0)) {
      cpu_.halted = false;
      return false;
    }
    Cpu::Pending second = cpu_.pending_;
    cpu_.pending_.active = false;
    // A fault while delivering INT n / INT3 / INTO / INT1 is reported at that instruction, not after it.
    cpu_.eip = kind == IntKind::Exception || kind == IntKind::External ? eip : cpu_.insnEip;
    cpu_.gpr[4] = esp;
    cpu_.setEflags(fl);
    cpu_.setSeg(SEG_SS, ss);
    cpu_.setCpl(cpl);
    const bool pm2 = cpu_.protectedMode();
    const char* firstName = exceptionInfo(vector).mnemonic;
    const char* secondName = exceptionInfo(second.vector).mnemonic;
    std::string why =
        second.reason.empty() ? std::string(secondName) + " while delivering " + firstName : second.reason;
    recordFault(second.vector, pm2 && exceptionInfo(second.vector).errorCode, second.error,
                std::string("while delivering ") + firstName + ": " + why, false);
    const SecondFault next = kind == IntKind::Exception ? secondFault(vector, second.vector) : SecondFault::Serial;
    if (next == SecondFault::TripleFault) {
      recordFault(0xFF, false, 0,
                  std::string("triple fault: ") + secondName + " while delivering #DF; the processor shuts down", true);
      out = Exit{};
      out.reason = ExitReason::Shutdown;
      return true;
    }
    if (next == SecondFault::DoubleFault) {
      recordFault(VEC_DF, pm2, 0, std::string("double fault: ") + secondName + " while delivering " + firstName, false);
      vector = VEC_DF;
      error = 0;
      kind = IntKind::Exception;
      continue;
    }
    // Otherwise the second fault is handled serially (the first is lost, as on hardware).
    vector = second.vector;
    error = second.error;
    kind = IntKind::Exception;
  }
}

// Runs instructions along successor links (each one ran after its predecessor last time, in this code
// generation) with debug features off and TF clear: a small loop whose state stays in host registers. Stops
// before an instruction whose link does not hold, or when a flag of stopFlags is set (Broken; TF always, IF
// too while an interrupt or window waits for it, so a CLI'd guest with IRQ0 pending stays here), at chunkEnd,
// or after one that set Cpu::events (Event: st says what the run loop's post-instruction step needs).
__attribute__((noinline)) SoftwareVcpuImpl::Linked SoftwareVcpuImpl::runLinked(CacheSlot*& prevRef, uint64_t chunkEnd,
                                                                               HistEntry* buf, size_t mask,
                                                                               uint64_t& posRef, uint32_t stopFlags,
                                                                               LinkedStop& st) {
  // Few values live across the handler call, so all of them fit in callee-saved registers: ESP at the start
  // goes to Cpu::insnEsp at once, EFLAGS.TF is known clear, and the instruction count lives in the Cpu.
  Cpu& c = cpu_;
  CacheSlot* prev = prevRef;
  uint64_t pos = posRef;
  uint64_t left = chunkEnd > c.icount ? chunkEnd - c.icount : 0;
  Linked r;
  for (;;) {
    if (left == 0) {
      r = Linked::ChunkEnd;
      break;
    }
    const uint32_t eip = c.eip;
    if (prev->succEip != eip || prev->succGen != c.codeGen || (c.rawFlags() & stopFlags)) {
      r = Linked::Broken;
      break;
    }
    --left;
    buf[pos++ & mask] = HistEntry{eip, prev->succPhys};
    prev = prev->succ;
    const Insn& in = prev->insn;
    c.insnEip = eip;
    c.insnEsp = c.gpr[4];
    c.intShadow = false;
    c.eip = (eip + in.len) & in.ipMask;
    in.fn(c, in);
    ++c.icount;
    if (__builtin_expect(c.events, 0)) {
      st = LinkedStop{c.insnEsp, 0, &in};  // flags0 only matters for TF, which was clear
      r = Linked::Event;
      break;
    }
  }
  prevRef = prev;
  posRef = pos;
  return r;
}

// The block at CS:eip, decoded now if need be, when the whole of it lies inside the CS limit (and, in 16-bit
// code, below 64 KiB, so EIP cannot wrap inside it). Null: the general path runs the next instruction (a
// translation to fill or fault, code outside RAM, an instruction across a page boundary, the limit).
Block* SoftwareVcpuImpl::enterBlock(uint32_t eip) {
  Cpu& c = cpu_;
  const Seg& cs = c.seg[SEG_CS];
  uint32_t phys;
  if (!c.fetchPhys(cs.base + eip, phys)) return nullptr;
  const uint8_t mode = cs.big() ? 1 : 0;
  Block* b = blocks_.find(phys, mode);
  if (!b) {
    if (!mem_.contains(phys & ~0xFFFu, 0x1000)) return nullptr;
    bool replaced = false;
    b = blocks_.build(mem_.data(), phys, mode, replaced);
    if (replaced) ++c.codeGen;  // links to the slot's old block die
    if (!b) return nullptr;
    // Stores into these bytes must find them (Cpu::fastWrite, GuestMemory::noteWrite -> invalidate).
    mem_.pageFlags()[phys >> PAGE_SHIFT] |= PAGE_CODE;
    for (uint32_t a = phys; a < phys + b->bytes; ++a) codeBits_[a >> 6] |= 1ull << (a & 63);
  }
  const uint64_t last = uint64_t(eip) + b->bytes - 1;
  if (last > cs.limit || (mode == 0 && last > 0xFFFF)) return nullptr;
  return b;
}

// How many of the block's first n instructions run before one with a host breakpoint (0: the first has one).
unsigned SoftwareVcpuImpl::breakFree(const Block& b, uint32_t eip, unsigned n) const {
  const uint32_t lin = cpu_.seg[SEG_CS].base + eip;
  uint32_t off = 0;
  for (unsigned k = 0; k < n; ++k) {
    for (const Breakpoint& bp : breaks_)
      if ((bp.physical ? b.phys + off : lin + off) == bp.address) return k;
    off += b.ops[k].len;
  }
  return n;
}

// Runs [op, end) from EIP eip, with the per-instruction state that stays exact (the fault-restart EIP and ESP,
// EIP, the instruction count); stops after an instruction that set Cpu::events. Returns that instruction, or
// end. Few values live across the handler call, so all stay in callee-saved registers.
static inline __attribute__((always_inline)) const Insn* runOps(Cpu& c, const Insn* op, const Insn* const end,
                                                                uint32_t eip) {
  do {
    c.insnEip = eip;
    c.insnEsp = c.gpr[4];
    eip += op->len;
    c.eip = eip;
    op->fn(c, *op);
    ++c.icount;
    if (__builtin_expect(c.events, 0)) return op;
  } while (++op != end);
  return end;
}

// The block tier: runs whole blocks (block_cache.h), following the links between them, with TF clear and no
// guest instruction breakpoints (the caller's conditions, as for runLinked). Per instruction only what stays
// exact needs doing: the history entry, the fault-restart state, EIP, the count, and one test of Cpu::events
// (a fault, an I/O yield, a watchpoint, a store into a block's bytes: the block is left after that one).
// Host breakpoints end a block's run before them. Returns Broken when the general path must run the next
// instruction (no block there, a flag of stopFlags set, a breakpoint on it), ChunkEnd at chunkEnd, Event as
// runLinked does.
template <bool HIST>
__attribute__((noinline)) SoftwareVcpuImpl::Linked SoftwareVcpuImpl::runBlocks(uint64_t chunkEnd, HistEntry* buf,
                                                                               size_t mask, uint64_t& posRef,
                                                                               uint32_t stopFlags, LinkedStop& st) {
  if (skipBreakOnce_) return Linked::Broken;  // the general path steps off the breakpoint the run starts on
  Cpu& c = cpu_;
  uint64_t pos = posRef;
  if (HIST) logCs(pos);
  Block* b = nullptr;
  Linked r;
  for (;;) {
    if (c.icount >= chunkEnd) {
      r = Linked::ChunkEnd;
      break;
    }
    if (c.rawFlags() & stopFlags) {
      r = Linked::Broken;
      break;
    }
    const uint32_t eip = c.eip;
    Block* nb;
    if (b && b->linkEip[0] == eip && b->linkGen[0] == c.codeGen) {
      nb = b->link[0];
    } else if (b && b->linkEip[1] == eip && b->linkGen[1] == c.codeGen) {
      nb = b->link[1];
    } else {
      nb = enterBlock(eip);
      if (!nb) {
        r = Linked::Broken;
        break;
      }
      if (HIST) logCs(pos);
      if (b) {
        const int k = b->linkGen[0] != c.codeGen ? 0 : 1;
        b->linkEip[k] = eip;
        b->linkGen[k] = c.codeGen;
        b->link[k] = nb;
      }
    }
    unsigned n = nb->count;
    if (n > chunkEnd - c.icount) n = unsigned(chunkEnd - c.icount);
    if (hasBreaks_ && (n = breakFree(*nb, eip, n)) == 0) {
      r = Linked::Broken;
      break;
    }
    b = nb;
    c.intShadow = false;  // an instruction that sets it (STI, MOV SS, POP SS) ends its block
    const Insn* const first = nb->ops;
    if (HIST) {
      // The block's history entries at once (a loop without calls); those past an instruction that leaves
      // the block early are taken back below (setHistorySize leaves room for them).
      // An entry is {eip, phys} as one little-endian word: entry k is entry 0 plus Block::histOff[k]. Where
      // the ring has room for all kMaxOps of them, they are written two at a time (one past n, harmlessly).
      static_assert(sizeof(HistEntry) == 8 && offsetof(HistEntry, eip) == 0, "HistEntry is {eip, phys}");
      uint64_t* const ring = reinterpret_cast<uint64_t*>(buf);
      const uint64_t base = uint64_t(eip) | (uint64_t(nb->phys) << 32);
      const size_t at = pos & mask;
      if (at + BlockCache::kMaxOps <= mask + 1) {
        using Pair = uint64_t __attribute__((vector_size(16)));
        const Pair b2 = {base, base};
        for (unsigned k = 0; k < n; k += 2) {
          Pair o, v;
          std::memcpy(&o, nb->histOff + k, sizeof o);
          v = o + b2;
          std::memcpy(ring + at + k, &v, sizeof v);
        }
      } else {
        for (unsigned k = 0; k < n; ++k) ring[(pos + k) & mask] = base + nb->histOff[k];
      }
    }
    // A whole block runs as threaded code (block_exec.h), again in place while it loops on itself and the
    // chunk has room for whole passes; one cut short by a breakpoint or the chunk's end runs its first n
    // instructions one by one.
    const uint64_t count0 = c.icount;
    const Insn* op;
    if (n == nb->count && !nb->selfLoop) {
      op = execBlock(c, first, n, nb->histOff, eip, nullptr);
    } else if (n == nb->count) {
      BlockLoop loop;
      loop.passes = unsigned(std::min<uint64_t>((chunkEnd - count0) / n - 1, ~0u));
      loop.stopFlags = stopFlags;
      if (jitOn_) loop.jit = jitFor(*nb);
      if (HIST) {
        loop.ring = reinterpret_cast<uint64_t*>(buf);
        loop.mask = mask;
        loop.pos = pos + n;
        loop.base = uint64_t(eip) | (uint64_t(nb->phys) << 32);
      }
      op = execBlock(c, first, n, nb->histOff, eip, &loop);
    } else {
      op = runOps(c, first, first + n, eip);
    }
    if (HIST) pos += c.icount - count0;
    if (__builtin_expect(op != first + n, 0)) {
      st = LinkedStop{c.insnEsp, 0, op};
      posRef = pos;
      return Linked::Event;
    }
  }
  posRef = pos;
  return r;
}

bool SoftwareVcpuImpl::handleFault(Exit& out) {
  // Moved, not copied: a guest that faults in a loop (the fuzzer's do) pays for its reason string once.
  Cpu::Pending p = std::move(cpu_.pending_);
  cpu_.pending_.active = false;
  cpu_.pending_.reason.clear();
  if (!p.trap) restoreInsnState();
  const bool pm = cpu_.protectedMode();  // V86 included: its exceptions push error codes
  cpu_.chain.clear();
  const bool hasError = pm && exceptionInfo(p.vector).errorCode;
  recordFault(p.vector, hasError && p.kind == IntKind::Exception, p.error,
              p.reason.empty() ? std::string(exceptionInfo(p.vector).mnemonic) : p.reason, false);
  if (p.vector < 32 && catch_[p.vector]) {
    caught_ = true;
    caughtFault_ = p;
    out = Exit{};
    out.reason = ExitReason::Exception;
    out.u.exception = {p.vector, hasError, p.error, cpu_.cr2};
    return true;
  }
  return deliver(p.vector, p.kind, p.error, out);
}

Exit SoftwareVcpuImpl::run(uint64_t maxInstructions) {
  Exit ex;
  segsOutValid_ = false;  // the segments may change from here on (an interrupt's delivery counts none)
  cpu_.yield = false;
  cpu_.stopAfter = false;
  if (hasBreaks_) {
    skipBreakOnce_ = true;
    skipBreakAt_ = cpu_.seg[SEG_CS].base + cpu_.eip;
  }
  if (mem_.deviceGeneration() != deviceGen_) {
    // Pages became device memory or RAM again (a VGA mode set): no cached translation may bypass that.
    deviceGen_ = mem_.deviceGeneration();
    cpu_.flushTlb(true);
  }
  uint64_t end = cpu_.icount + maxInstructions;
  if (caught_) {
    caught_ = false;
    if (deliver(caughtFault_.vector, caughtFault_.kind, caughtFault_.error, ex)) return ex;
    // The delivery is the step: run(1) stops at the handler's first instruction.
    if (maxInstructions > 0) --end;
  }
  const bool hist = histLimit_ != 0;
  // The ring's position lives in a register during the run and is written back on every return.
  struct HistSync {
    SoftwareVcpuImpl* self;
    HistEntry* buf;
    size_t mask;
    uint64_t pos;
    ~HistSync() { self->histPos_ = pos; }
  } hs{this, history_.data(), history_.size() - 1, histPos_};
  // Every instruction goes the long way (no successor links) while host breakpoints, guest instruction
  // breakpoints or EFLAGS.RF need a look before it executes; re-derived after any instruction with events.
  bool slow = hasBreaks_ || cpu_.drExec || (cpu_.rawFlags() & flags::RF);
  cpu_.events = 0;
  CacheSlot* prev = nullptr;
  HistEntry histSink;
  uint64_t sinkPos = 0;
  // A pending interrupt or window request (only run() and the API change them; HLT leaves the loop).
  bool attention = irq_ >= 0 || window_ || cpu_.halted;
  for (;;) {
    if (stop_.exchange(false, std::memory_order_relaxed)) {
      ex.reason = ExitReason::Stopped;
      return ex;
    }
    if (cpu_.icount >= end) {
      ex.reason = ExitReason::None;
      return ex;
    }
    const uint64_t chunkEnd = std::min(end, cpu_.icount + kStopCheckEvery);
    while (cpu_.icount < chunkEnd) {
      // Interrupts, the window, HLT: one predictable branch when none applies.
      if (__builtin_expect(attention, 0)) {
        const bool open = cpu_.flag(flags::IF) && !cpu_.intShadow;
        if (irq_ >= 0 && open) {
          uint8_t v = uint8_t(irq_);
          irq_ = -1;
          attention = window_;
          cpu_.insnEip = cpu_.eip;
          cpu_.insnEsp = cpu_.gpr[4];
          prev = nullptr;
          if (deliver(v, IntKind::External, 0, ex)) return ex;
          if (cpu_.faultPending() && handleFault(ex)) return ex;
          if (__builtin_expect(cpu_.sysBreaks, 0) && deliveredBreak(v, ex)) return ex;
          continue;
        }
        if (window_ && open && irq_ < 0) {
          ex.reason = ExitReason::InterruptWindow;
          return ex;
        }
        if (cpu_.halted) {
          ex.reason = ExitReason::Halted;
          return ex;
        }
      }
      // ESP and EFLAGS at the start are kept in registers and stored only when a fault needs them.
      uint32_t esp0, flags0;
      const Insn* in;
      // An interrupt or window that waits for IF=1 while IF=0 (interrupts off) needs no look per instruction:
      // the block tier and the linked runner stop as soon as IF is set.
      const bool noLookNeeded = !attention || (!cpu_.halted && !(cpu_.rawFlags() & flags::IF));
      const uint32_t stopFlags = attention ? flags::TF | flags::IF : flags::TF;
      LinkedStop st;
      Linked ran = Linked::Broken;
      bool fast = false;
      if (__builtin_expect(blocksOn_ && !cpu_.drExec && !(cpu_.rawFlags() & flags::RF) && noLookNeeded, 1)) {
        ran = hist ? runBlocks<true>(chunkEnd, hs.buf, hs.mask, hs.pos, stopFlags, st)
                   : runBlocks<false>(chunkEnd, nullptr, 0, sinkPos, stopFlags, st);
        prev = nullptr;  // the general path below runs the next instruction on its own
        fast = true;
      } else if (__builtin_expect(!slow && prev != nullptr && noLookNeeded, 1)) {
        // With the history off the linked runner writes to a one-entry sink instead of testing a flag.
        ran = hist ? runLinked(prev, chunkEnd, hs.buf, hs.mask, hs.pos, stopFlags, st)
                   : runLinked(prev, chunkEnd, &histSink, 0, sinkPos, stopFlags, st);
        fast = true;
      }
      if (fast) {
        switch (ran) {
          case Linked::Broken:
            // IF was set: the interrupt or window is looked at before the next instruction.
            if (attention && (cpu_.rawFlags() & flags::IF)) continue;
            break;  // the next instruction takes the general path below
          case Linked::ChunkEnd: continue;
          case Linked::Event:
            esp0 = st.esp0;
            flags0 = st.flags0;
            in = st.in;
            goto post;
        }
      }
      {  // the general path: lookup, decode, breakpoints, limit check
        const uint32_t eip = cpu_.eip;
        cpu_.insnEip = eip;
        esp0 = cpu_.gpr[4];
        flags0 = cpu_.rawFlags();
        CacheSlot* cur = nullptr;
        uint32_t histPhys;
        if (__builtin_expect(!slow && prev != nullptr && prev->succEip == eip && prev->succGen == cpu_.codeGen, 1)) {
          // Same instruction as last time after prev: the limit check and the translation still hold (a CS
          // load, TLB flush, A20 change or any change to a cache slot ends the generation).
          cur = prev->succ;
          in = &cur->insn;
          histPhys = prev->succPhys;
        } else {
          const uint32_t lin = cpu_.seg[SEG_CS].base + eip;
          if (__builtin_expect(slow, 0) && guestExecBreak(lin, flags0)) {
            cpu_.icount++;
            cpu_.events = 0;
            cpu_.insnEsp = esp0;
            prev = nullptr;
            if (handleFault(ex)) return ex;
            slow = hasBreaks_ || cpu_.drExec || (cpu_.rawFlags() & flags::RF);
            continue;
          }
          uint32_t phys;
          bool ok = true;
          if (__builtin_expect(!cpu_.fetchPhys(lin, phys), 0) && !cpu_.fetchFill(lin, phys)) {
            ok = false;
            in = nullptr;
          } else {
            CacheSlot& slot = cache_[cacheIndex(phys)];
            if (__builtin_expect(slot.phys == phys && slot.mode == slotMode(cpu_.code32()), 1)) in = &slot.insn;
            else in = fetchDecode(lin, phys, ok);
            if (ok && in == &slot.insn) cur = &slot;
          }
          if (__builtin_expect(!ok, 0)) {
            cpu_.icount++;
            cpu_.events = 0;
            cpu_.insnEsp = esp0;
            prev = nullptr;
            if (handleFault(ex)) return ex;
            continue;
          }
          if (__builtin_expect(slow, 0) && checkBreak(lin, phys)) {
            ex.reason = ExitReason::Debug;
            ex.u.debug = {DebugKind::Breakpoint, ACCESS_EXEC, 0, lin};
            for (const Breakpoint& b : breaks_)
              if ((b.physical ? phys : lin) == b.address) ex.u.debug.id = b.id;
            return ex;
          }
          histPhys = phys;
          if (hist) {
            const Seg& cs = cpu_.seg[SEG_CS];
            const CsLog* last = csLogPos_ ? &csLog_[(csLogPos_ - 1) % csLog_.size()] : nullptr;
            if (!last || last->sel != cs.sel || last->base != cs.base || last->code32 != cs.big())
              csLog_[csLogPos_++ % csLog_.size()] = CsLog{hs.pos, cs.base, cs.sel, cs.big()};
          }
          if (__builtin_expect(eip + in->len - 1 > cpu_.seg[SEG_CS].limit, 0)) {
            cpu_.raise(VEC_GP, 0, "instruction at CS:0x%X runs past the CS limit 0x%X", eip, cpu_.seg[SEG_CS].limit);
            cpu_.icount++;
            cpu_.events = 0;
            cpu_.insnEsp = esp0;
            prev = nullptr;
            if (handleFault(ex)) return ex;
            continue;
          }
          // Breakpoints need every instruction on this path: no successor links then.
          if (prev && cur && !slow) {
            prev->succEip = eip;
            prev->succGen = cpu_.codeGen;
            prev->succPhys = phys;
            prev->succ = cur;
          }
          // RF lets this one instruction past its instruction breakpoint; it clears once the instruction runs
          // (IRET may set it again). Only here: RF set means slow.
          if (__builtin_expect(flags0 & flags::RF, 0)) cpu_.setFlag(flags::RF, false);
        }
        prev = cur;
        if (hist) {
          hs.buf[hs.pos & hs.mask] = HistEntry{eip, histPhys};
          ++hs.pos;
        }
        cpu_.intShadow = false;
        cpu_.eip = (eip + in->len) & in->ipMask;
        in->fn(cpu_, *in);
        cpu_.icount++;
      }
    post:
      if (__builtin_expect(cpu_.events | (flags0 & flags::TF), 0)) {
        cpu_.events = 0;
        prev = nullptr;
        cpu_.insnEsp = esp0;
        if (cpu_.faultPending()) {
          cpu_.drHits = 0;
          if (handleFault(ex)) return ex;
        } else {
          // MOV SS / POP SS hold back a single-step trap as they hold back interrupts (SDM 6.8.3).
          const bool ssShadow = cpu_.intShadow && (in->op == 0x8E || in->op == 0x17);
          const bool step = (flags0 & flags::TF) && !ssShadow;
          if (step || cpu_.drHits) {
            // Data breakpoints and the single step: one trap after the instruction (not after a fault).
            if (cpu_.drHits) cpu_.dr[6] = (cpu_.dr[6] & ~0xFu) | cpu_.drHits;
            if (step) cpu_.dr[6] |= 0x4000;
            if (cpu_.drHits) cpu_.raise(VEC_DB, 0, "data breakpoint (DR6=0x%08X)", cpu_.dr[6]);
            else cpu_.raise(VEC_DB, 0, "single-step trap (EFLAGS.TF)");
            cpu_.drHits = 0;
            cpu_.pending_.trap = true;
            cpu_.events = 0;
            if (handleFault(ex)) return ex;
          }
        }
        cpu_.events = 0;
        slow = hasBreaks_ || cpu_.drExec || (cpu_.rawFlags() & flags::RF);
        if (cpu_.yield) {
          ex = cpu_.yieldExit;
          return ex;
        }
        if (cpu_.stopAfter) {
          ex = cpu_.stopExit;
          return ex;
        }
        if (cpu_.halted) {
          ex.reason = ExitReason::Halted;
          return ex;
        }
      }
    }
  }
}

std::vector<InsnRecord> SoftwareVcpuImpl::history(size_t newest) const {
  std::vector<InsnRecord> out;
  // Each entry is decoded again here: a debugger after a step asks for one, not the whole ring.
  size_t n = size_t(std::min<uint64_t>(std::min<uint64_t>(histPos_, histLimit_), newest));
  out.reserve(n);
  const size_t mask = history_.size() - 1;
  for (size_t k = 0; k < n; ++k) {
    const uint64_t pos = histPos_ - n + k;
    const HistEntry& h = history_[pos & mask];
    // The code segment in force: the newest log entry at or before pos.
    CsLog cs;
    for (uint64_t j = csLogPos_; j > 0 && j + csLog_.size() > csLogPos_; --j) {
      const CsLog& c = csLog_[(j - 1) % csLog_.size()];
      if (c.pos <= pos) {
        cs = c;
        break;
      }
    }
    InsnRecord r;
    r.linear = cs.base + h.eip;
    r.cs = cs.sel;
    r.eip = h.eip;
    r.code32 = cs.code32;
    Insn d;
    auto fetch = [&](unsigned i, uint8_t& v) {
      v = mem_.read8(uint64_t(h.phys) + i);
      return true;
    };
    unsigned len = decodeInsn(d, cs.code32, fetch) ? d.len : 1;
    for (unsigned b = 0; b < len; ++b) r.bytes.push_back(mem_.read8(uint64_t(h.phys) + b));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<FaultLink> SoftwareVcpuImpl::faultChain() const {
  std::vector<FaultLink> out;
  for (const FaultRecord& r : cpu_.chain) {
    FaultLink l;
    l.vector = r.vector;
    l.name = r.shutdown ? "shutdown" : exceptionInfo(r.vector).mnemonic;
    l.hasError = r.hasError;
    l.error = r.error;
    l.cs = r.cs;
    l.eip = r.eip;
    l.linear = r.linear;
    l.bytes.assign(r.bytes, r.bytes + r.length);
    l.reason = r.reason;
    l.shutdown = r.shutdown;
    out.push_back(std::move(l));
  }
  return out;
}

Seg toSeg(const SegState& s) {
  Seg g;
  g.sel = s.selector;
  g.attr = uint16_t(s.attrib.type | (s.attrib.s << 4) | (s.attrib.dpl << 5) | (s.attrib.p << 7) | (s.attrib.avl << 8) |
                    (s.attrib.l << 9) | (s.attrib.def << 10) | (s.attrib.g << 11));
  g.base = uint32_t(s.base);
  g.limit = s.limit;
  return g;
}

SegState fromSeg(const Seg& g) {
  SegState s;
  s.selector = g.sel;
  s.attrib.type = g.attr & 0xF;
  s.attrib.s = (g.attr >> 4) & 1;
  s.attrib.dpl = (g.attr >> 5) & 3;
  s.attrib.p = (g.attr >> 7) & 1;
  s.attrib.avl = (g.attr >> 8) & 1;
  s.attrib.l = (g.attr >> 9) & 1;
  s.attrib.def = (g.attr >> 10) & 1;
  s.attrib.g = (g.attr >> 11) & 1;
  s.base = g.base;
  s.limit = g.limit;
  return s;
}

void SoftwareVcpuImpl::getState(CpuState& st) {
  for (int i = 0; i < 6; ++i) st.segs[i] = fromSeg(cpu_.seg[i]);
  st.segs[SEG_LDT] = fromSeg(cpu_.ldtr);
  st.segs[SEG_TR] = fromSeg(cpu_.tr);
  std::memcpy(segsOut_, st.segs, sizeof segsOut_);
  segsOutValid_ = true;
  st.segs[SEG_GDT] = SegState{};
  st.segs[SEG_GDT].base = cpu_.gdtr.base;
  st.segs[SEG_GDT].limit = cpu_.gdtr.limit;
  st.segs[SEG_IDT] = SegState{};
  st.segs[SEG_IDT].base = cpu_.idtr.base;
  st.segs[SEG_IDT].limit = cpu_.idtr.limit;
  for (int i = 0; i < 8; ++i) st.gprs[i] = cpu_.gpr[i];
  for (int i = 8; i < 16; ++i) st.gprs[i] = 0;
  st.gprs[GPR_RIP] = cpu_.eip;
  st.gprs[GPR_RFLAGS] = cpu_.eflags();
  st.crs[CR_CR0] = cpu_.cr0;
  st.crs[CR_CR2] = cpu_.cr2;
  st.crs[CR_CR3] = cpu_.cr3;
  st.crs[CR_CR4] = cpu_.cr4;
  st.drs[DR_DR0] = cpu_.dr[0];
  st.drs[DR_DR1] = cpu_.dr[1];
  st.drs[DR_DR2] = cpu_.dr[2];
  st.drs[DR_DR3] = cpu_.dr[3];
  st.drs[DR_DR6] = cpu_.dr[6];
  st.drs[DR_DR7] = cpu_.dr[7];
  st.msrs[MSR_EFER] = cpu_.efer;
  st.msrs[MSR_SYSENTER_CS] = cpu_.sysenter[0];
  st.msrs[MSR_SYSENTER_ESP] = cpu_.sysenter[1];
  st.msrs[MSR_SYSENTER_EIP] = cpu_.sysenter[2];
  st.msrs[MSR_TSC] = cpu_.icount + cpu_.tscOffset;
  st.intr.int_shadow = cpu_.intShadow;
  st.intr.int_window_exiting = window_;
  st.intr.evt_pending = irq_ >= 0;
  st.intr.irq_vector = int16_t(irq_);
  st.halted = cpu_.halted;
  // The x87 is saved again only when it changed since the last save (a paravirtual BIOS call reads and sets
  // the state back every time; the guest's x87 seldom changes in between).
  // Bytes equal means every member equal; padding that differs only costs a save (NOLINT below).
  if (!fpuOutValid_ || !fpuUnchanged()) {
    cpu_.fpu.save(fpuOut_);
    std::memcpy(&fpuSeen_, &cpu_.fpu, sizeof(Fpu));
    fpuOutValid_ = true;
  }
  st.fpu = fpuOut_;
}

void SoftwareVcpuImpl::setState(const CpuState& st) {
  const uint32_t oldCr3 = cpu_.cr3, oldCr4 = cpu_.cr4;
  const uint8_t oldCpl = cpu_.cpl;
  cpu_.setEflags(uint32_t(st.gprs[GPR_RFLAGS]));
  cpu_.cr2 = uint32_t(st.crs[CR_CR2]);
  cpu_.cr3 = uint32_t(st.crs[CR_CR3]);
  cpu_.cr4 = uint32_t(st.crs[CR_CR4]);
  cpu_.setCr0(uint32_t(st.crs[CR_CR0]));
  // A segment given back as getState gave it, with no run since (segsOutValid_), is the one the vCPU holds.
  auto given = [&](int i) { return segsOutValid_ && std::memcmp(&st.segs[i], &segsOut_[i], sizeof(SegState)) == 0; };
  for (int i = 0; i < 6; ++i) {
    // An unchanged segment keeps its derived checks (setCr0 re-derived them if PE changed) and, for CS, the
    // successor links: a BIOS call sets the state back with most segments as they were.
    if (given(i)) continue;
    const Seg g = toSeg(st.segs[i]), &cur = cpu_.seg[i];
    if (g.sel != cur.sel || g.attr != cur.attr || g.base != cur.base || g.limit != cur.limit) cpu_.setSeg(i, g);
  }
  if (!given(SEG_LDT)) cpu_.ldtr = toSeg(st.segs[SEG_LDT]);
  if (!given(SEG_TR)) cpu_.tr = toSeg(st.segs[SEG_TR]);
  segsOutValid_ = false;
  cpu_.gdtr.base = uint32_t(st.segs[SEG_GDT].base);
  cpu_.gdtr.limit = uint16_t(st.segs[SEG_GDT].limit);
  cpu_.idtr.base = uint32_t(st.segs[SEG_IDT].base);
  cpu_.idtr.limit = uint16_t(st.segs[SEG_IDT].limit);
  for (int i = 0; i < 8; ++i) cpu_.gpr[i] = uint32_t(st.gprs[i]);
  cpu_.eip = uint32_t(st.gprs[GPR_RIP]);
  cpu_.dr[0] = uint32_t(st.drs[DR_DR0]);
  cpu_.dr[1] = uint32_t(st.drs[DR_DR1]);
  cpu_.dr[2] = uint32_t(st.drs[DR_DR2]);
  cpu_.dr[3] = uint32_t(st.drs[DR_DR3]);
  cpu_.dr[4] = cpu_.dr[6] = uint32_t(st.drs[DR_DR6]);
  cpu_.dr[5] = cpu_.dr[7] = uint32_t(st.drs[DR_DR7]);
  cpu_.updateDebugRegs();
  cpu_.efer = st.msrs[MSR_EFER];
  cpu_.sysenter[0] = st.msrs[MSR_SYSENTER_CS];
  cpu_.sysenter[1] = st.msrs[MSR_SYSENTER_ESP];
  cpu_.sysenter[2] = st.msrs[MSR_SYSENTER_EIP];
  cpu_.tscOffset = st.msrs[MSR_TSC] - cpu_.icount;
  cpu_.intShadow = st.intr.int_shadow;
  window_ = st.intr.int_window_exiting;
  // The injection belongs to the state: a restore (or a host's setState) must not keep one made in another
  // timeline, which a halted machine would never deliver and the PIC would keep waking it for, forever.
  irq_ = st.intr.irq_vector >= 0 && st.intr.irq_vector <= 0xFF ? st.intr.irq_vector : -1;
  cpu_.halted = st.halted;
  // The x87 as the last getState saved it, unchanged since: loading it back would change nothing.
  const bool fpuSame = fpuOutValid_ && std::memcmp(&st.fpu, &fpuOut_, sizeof(FpuState)) == 0 && fpuUnchanged();
  if (!fpuSame) {
    cpu_.fpu.load(st.fpu);
    fpuOutValid_ = false;
  }
  uint8_t cpl = 0;
  if (cpu_.eflags() & flags::VM) cpl = 3;
  else if (cpu_.protectedMode()) cpl = cpu_.seg[SEG_SS].dpl();
  cpu_.cpl = cpl;
  // setCr0, setA20 and updateDebugRegs flush for their own changes. Without paging a TLB entry depends on none
  // of the rest, so the state set by every BIOS call keeps the TLB (and the successor links); under paging
  // the page tables may have been written by the host, so it is flushed as before.
  if (cpu_.paging() || cpu_.cr3 != oldCr3 || cpu_.cr4 != oldCr4 || (cpl == 3) != (oldCpl == 3)) cpu_.flushTlb(true);
  caught_ = false;
  cpu_.pending_.active = false;
  cpu_.stopAfter = false;  // a CS load above is no mode switch of the guest's
  cpu_.codeMode = cpu_.currentCodeMode();
  rewatch();
}

}  // namespace

std::unique_ptr<SoftwareVcpu> createSoftwareVcpu(GuestMemory& mem, ExitHandler& io) {
  return std::make_unique<SoftwareVcpuImpl>(mem, io);
}

}  // namespace bv
