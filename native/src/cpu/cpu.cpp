// Cpu: segment caches, the TLB, memory and port access slow paths, faults.
#include "cpu/cpu.h"

#include <cstdio>

#include "cpu/system_ops.h"

namespace bv::cpu {

Cpu::Cpu(GuestMemory& m, ExitHandler& h) : mem(m), io(h), ram_(m.data()), pflags_(m.pageFlags()) {
  for (int i = 0; i < 6; ++i) {
    Seg s;
    s.limit = 0xFFFF;
    s.attr = attr::S | attr::P | (i == SEG_CS ? 0xB : 0x3);
    setSeg(i, s);
  }
  chain.reserve(8);
}

Cpu::~Cpu() = default;

void Cpu::setSeg(int s, const Seg& v) {
  Seg g = v;
  const bool pm = protectedMode() && !(flags_ & flags::VM);
  const bool data = (g.attr & attr::S) && !(g.attr & attr::T_CODE);
  if (pm && data && (g.attr & attr::T_CONF_EXPDOWN)) {
    g.lo = g.limit + 1;
    g.hi = g.big() ? 0xFFFFFFFFu : 0xFFFFu;
    if (g.limit >= g.hi) g.lo = 1, g.hi = 0;  // empty segment: every access faults
  } else {
    g.lo = 0;
    g.hi = g.limit;
  }
  if (!pm) {
    g.canRead = g.canWrite = true;
  } else if (!(g.attr & attr::P) || !(g.attr & attr::S)) {
    g.canRead = g.canWrite = false;
  } else if (g.attr & attr::T_CODE) {
    g.canRead = (g.attr & attr::T_RW) != 0;
    g.canWrite = false;
  } else {
    g.canRead = true;
    g.canWrite = (g.attr & attr::T_RW) != 0;
  }
  const int64_t span = g.hi >= g.lo ? int64_t(g.hi - g.lo) : -1;
  g.readSpan = g.canRead ? span : -1;
  g.writeSpan = g.canWrite ? span : -1;
  seg[s] = g;
  if (s == SEG_CS) {
    ++codeGen;
    if (__builtin_expect(sysBreaks & SB_MODE_SWITCH, 0)) noteCodeMode();
  }
}

void Cpu::noteCodeMode() {
  const uint8_t now = currentCodeMode();
  if (now != codeMode) systemEvent(SystemEvent::ModeSwitch, 0, codeMode, now, seg[SEG_CS].sel);
  codeMode = now;
}

uint8_t Cpu::currentCodeMode() const {
  if (!protectedMode()) return MODE_REAL;
  if (flags_ & flags::VM) return MODE_V86;
  return code32() ? MODE_PM32 : MODE_PM16;
}

void Cpu::systemEvent(SystemEvent kind, uint8_t which, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  const bool replaceable = stopExit.reason == ExitReason::SystemEvent && stopExit.u.sys.kind == SystemEvent::ModeSwitch;
  if (stopAfter && !(replaceable && kind != SystemEvent::ModeSwitch)) return;
  stopAfter = true;
  events = 1;
  stopExit = Exit{};
  stopExit.reason = ExitReason::SystemEvent;
  stopExit.u.sys = {kind, which, a, b, c, d};
}

void Cpu::materialize() const {
  const unsigned size = lzOp_ & 7;
  const uint32_t sign = size == 1 ? 0x80u : size == 2 ? 0x8000u : 0x80000000u;
  const uint32_t r = lzRes_, a = lzA_, b = lzB_;
  uint32_t f = (r == 0 ? 0x40u : 0) | ((r & sign) ? 0x80u : 0);
  uint32_t x = r & 0xFF;
  x ^= x >> 4;
  x ^= x >> 2;
  x ^= x >> 1;
  if (!(x & 1)) f |= 0x04;  // PF: even number of ones in the low byte
  switch (lzOp_ & LZ_KIND) {
    case LZ_ADD: f |= ((a ^ b ^ r) & 0x10) | (((a ^ r) & (b ^ r) & sign) ? 0x800u : 0); break;
    case LZ_SUB: f |= ((a ^ b ^ r) & 0x10) | (((a ^ b) & (a ^ r) & sign) ? 0x800u : 0); break;
    default: break;
  }
  const uint32_t lazy = (lzOp_ & LZ_OF_EXACT) ? (kLazyFlags & ~0x800u) : kLazyFlags;  // a rotate set OF
  flags_ = (flags_ & ~lazy) | (f & lazy);
  lzOp_ = 0;
}

void Cpu::setSegReal(int s, uint16_t sel) {
  Seg g = seg[s];
  g.sel = sel;
  g.base = uint32_t(sel) << 4;
  if (flags_ & flags::VM) {  // virtual-8086: the cache is that of a real-mode segment, DPL 3
    g.limit = 0xFFFF;
    g.attr = attr::S | attr::P | (3u << attr::DPL_SHIFT) | (s == SEG_CS ? 0xB : 0x3);
  }
  setSeg(s, g);
}

void Cpu::setCpl(uint8_t c) {
  if ((c == 3) != (cpl == 3)) flushTlb(true);  // TLB entries were filled for one privilege
  cpl = c;
}

void Cpu::setCr0(uint32_t v) {
  uint32_t old = cr0;
  cr0 = v | cr0::ET;
  if ((old ^ cr0) & (cr0::PG | cr0::PE | cr0::WP)) flushTlb(true);
  if ((old ^ cr0) & cr0::PE) {
    if (!(cr0 & cr0::PE)) cpl = 0;
    // Type checks apply in protected mode only. This is no CS load: the code's mode changes with the far
    // jump that follows, so the mode-switch break waits for it.
    const uint8_t armed = sysBreaks;
    sysBreaks &= uint8_t(~SB_MODE_SWITCH);
    for (int i = 0; i < 6; ++i) setSeg(i, seg[i]);
    sysBreaks = armed;
  }
}

void Cpu::setCr3(uint32_t v) {
  cr3 = v;
  flushTlb(false);
}

void Cpu::setCr4(uint32_t v) {
  uint32_t old = cr4;
  cr4 = v;
  if ((old ^ v) & (0x10 | 0x80 | 0x20)) flushTlb(true);  // PSE, PGE, PAE
}

void Cpu::flushTlb(bool includingGlobal) {
  ++codeGen;
  for (auto& e : tlb_) {
    if (!includingGlobal && e.global && (cr4 & 0x80)) continue;
    e = TlbEntry{};
  }
}

void Cpu::invlpg(uint32_t linear) {
  // A 4 MiB page is cached here as 4 KiB pieces; dropping all of them is simplest and architecturally
  // allowed (the TLB may always hold less).
  (void)linear;
  flushTlb(true);
}

void Cpu::setA20(bool on) {
  uint32_t m = on ? 0xFFFFFFFFu : ~(1u << 20);
  if (m != a20Mask_) {
    a20Mask_ = m;
    flushTlb(true);
  }
}

bool Cpu::raise(uint8_t vector, uint32_t error, const char* fmt, ...) {
  if (pending_.active) return false;  // the first fault of an instruction wins
  pending_.active = true;
  events = 1;
  pending_.vector = vector;
  pending_.error = error;
  pending_.trap = false;
  pending_.kind = IntKind::Exception;
  if (fmt) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pending_.reason = buf;
  } else {
    pending_.reason.clear();
  }
  return false;
}

static const char* segName(int s) {
  static const char* const n[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};
  return s >= 0 && s < 6 ? n[s] : "?";
}

bool Cpu::segFault(int s, uint32_t error, const char* what, uint32_t off) {
  const Seg& g = seg[s];
  uint8_t v = s == SEG_SS ? VEC_SS : VEC_GP;
  if (!g.canRead && !g.canWrite && protectedMode())
    return raise(v, error, "%s through %s, which holds a null or unusable selector 0x%04X", what, segName(s), g.sel);
  return raise(v, error, "%s at %s:0x%X is outside the segment (limit 0x%X) or not allowed by its type", what,
               segName(s), off, g.limit);
}

bool Cpu::checkSeg(int s, uint32_t off, unsigned size, bool write) {
  const Seg& g = seg[s];
  uint32_t end = off + size - 1;
  if ((write ? g.canWrite : g.canRead) && off >= g.lo && end <= g.hi && end >= off) return true;
  return segFault(s, 0, write ? "write" : "read", off);
}

bool Cpu::translate(uint32_t lin, uint8_t access, uint32_t& phys, bool isSys) {
  if (!paging()) {
    phys = lin & a20Mask_;
    return true;
  }
  PageWalk w = sys().pageWalk(*this, lin, access, cpl == 3 && !isSys);
  if (!w.ok) {
    if (!pending_.active) raise(VEC_PF, 0, "page walk for 0x%08X failed", lin);
    return false;
  }
  phys = w.phys & a20Mask_;
  return true;
}

bool Cpu::fillTlb(uint32_t lin, uint8_t access, bool isSys, TlbEntry*& out) {
  out = nullptr;
  if (isSys && cpl == 3) return true;  // implicit supervisor access: not cached for user mode
  uint32_t page = lin & ~0xFFFu;
  TlbEntry& e = tlb_[(lin >> PAGE_SHIFT) & (kTlbSize - 1)];
  uint32_t physPage;
  bool canWrite = true, global = false;
  if (paging()) {
    PageWalk w = sys().pageWalk(*this, lin, access, cpl == 3);
    if (!w.ok) {
      if (!pending_.active) raise(VEC_PF, 0, "page walk for 0x%08X failed", lin);
      return false;
    }
    physPage = (w.phys & a20Mask_) & ~0xFFFu;
    canWrite = w.writable && w.dirtySet;
    global = w.global;
  } else {
    physPage = page & a20Mask_;
  }
  bool ram = mem.contains(physPage, PAGE_SIZE);
  // Device pages are never cached: their every access takes the slow path to the device.
  bool watched = watchAll || drData || (ram && (mem.pageFlags()[physPage >> PAGE_SHIFT] & (PAGE_WATCH | PAGE_DEVICE)));
  e.physPage = physPage;
  e.global = global;
  e.readTag = (ram && !watched) ? page : 1;
  e.writeTag = (ram && !watched && canWrite) ? page : 1;
  out = &e;
  return true;
}

bool Cpu::fetchFill(uint32_t lin, uint32_t& phys) {
  TlbEntry* e;
  if (!fillTlb(lin, ACCESS_EXEC, false, e)) return false;
  if (e) {
    phys = e->physPage | (lin & 0xFFF);
    return true;
  }
  return translate(lin, ACCESS_EXEC, phys, false);
}

bool Cpu::physReadN(uint32_t pa, unsigned size, uint32_t& v) {
  if (mem.contains(pa, size) && !(mem.pageFlags()[pa >> PAGE_SHIFT] & PAGE_DEVICE)) {
    v = 0;
    std::memcpy(&v, mem.data() + pa, size);
    return true;
  }
  uint64_t val = 0;
  IoAction a = io.mmioRead(pa, size, val, insnEip);
  v = uint32_t(val);
  if (a == IoAction::Yield && !yield) {
    yield = true;
    events = 1;
    yieldExit = Exit{};
    yieldExit.reason = ExitReason::Memory;
    yieldExit.u.mem = {ACCESS_READ, uint8_t(size), pa, val};
  }
  return true;
}

bool Cpu::physWriteN(uint32_t pa, unsigned size, uint32_t v) {
  uint8_t f = mem.contains(pa, size) ? mem.pageFlags()[pa >> PAGE_SHIFT] : uint8_t(PAGE_DEVICE);
  if (!(f & PAGE_DEVICE)) {
    if (f & PAGE_ROM) return true;
    std::memcpy(mem.data() + pa, &v, size);
    if (f != PAGE_WRITE_FAST) mem.noteWrite(pa, size);
    return true;
  }
  IoAction a = io.mmioWrite(pa, size, v, insnEip);
  if (a == IoAction::Yield && !yield) {
    yield = true;
    events = 1;
    yieldExit = Exit{};
    yieldExit.reason = ExitReason::Memory;
    yieldExit.u.mem = {ACCESS_WRITE, uint8_t(size), pa, v};
  }
  return true;
}

bool Cpu::slowRead(uint32_t lin, unsigned size, uint32_t& v, bool isSys) {
  if ((lin & 0xFFF) > 0x1000 - size) {  // crosses a page: byte by byte, each translated
    uint32_t r = 0;
    for (unsigned i = 0; i < size; ++i) {
      uint32_t b;
      if (!slowRead(lin + i, 1, b, isSys)) return false;
      r |= (b & 0xFF) << (8 * i);
    }
    v = r;
    return true;
  }
  TlbEntry* e;
  if (!fillTlb(lin, ACCESS_READ, isSys, e)) return false;
  uint32_t pa;
  if (e) pa = e->physPage | (lin & 0xFFF);
  else if (!translate(lin, ACCESS_READ, pa, isSys)) return false;
  if (watch && (watchAll || (mem.contains(pa, 1) && (mem.pageFlags()[pa >> PAGE_SHIFT] & PAGE_WATCH))))
    watch->onAccess(lin, pa, size, ACCESS_READ);
  if (drData) dataBreakCheck(lin, size, false);
  return physReadN(pa, size, v);
}

bool Cpu::slowWrite(uint32_t lin, unsigned size, uint32_t v, bool isSys) {
  if ((lin & 0xFFF) > 0x1000 - size) {
    // Both pages must be writable before any byte is written (a #PF on the second page leaves memory alone).
    uint32_t pa;
    if (!translate(lin, ACCESS_WRITE, pa, isSys) || !translate(lin + size - 1, ACCESS_WRITE, pa, isSys)) return false;
    for (unsigned i = 0; i < size; ++i)
      if (!slowWrite(lin + i, 1, (v >> (8 * i)) & 0xFF, isSys)) return false;
    return true;
  }
  TlbEntry* e;
  if (!fillTlb(lin, ACCESS_WRITE, isSys, e)) return false;
  uint32_t pa;
  if (e) pa = e->physPage | (lin & 0xFFF);
  else if (!translate(lin, ACCESS_WRITE, pa, isSys)) return false;
  if (watch && (watchAll || (mem.contains(pa, 1) && (mem.pageFlags()[pa >> PAGE_SHIFT] & PAGE_WATCH))))
    watch->onAccess(lin, pa, size, ACCESS_WRITE);
  if (drData) dataBreakCheck(lin, size, true);
  return physWriteN(pa, size, v);
}

bool Cpu::readLin(uint32_t lin, unsigned size, uint32_t& v, bool isSys) {
  if (!isSys && fastRead(lin, size, v)) return true;
  return slowRead(lin, size, v, isSys);
}

bool Cpu::writeLin(uint32_t lin, unsigned size, uint32_t v, bool isSys) {
  if (!isSys && fastWrite(lin, size, v)) return true;
  return slowWrite(lin, size, v, isSys);
}

uint32_t Cpu::readPhys32(uint32_t pa) {
  uint32_t v = 0;
  physReadN(pa & a20Mask_, 4, v);
  return v;
}

void Cpu::writePhys32(uint32_t pa, uint32_t v) { physWriteN(pa & a20Mask_, 4, v); }

bool Cpu::readN(int s, uint32_t off, unsigned size, uint32_t& v) {
  if (!checkSeg(s, off, size, false)) return false;
  return readLin(seg[s].base + off, size, v);
}

bool Cpu::writeN(int s, uint32_t off, unsigned size, uint32_t v) {
  if (!checkSeg(s, off, size, true)) return false;
  return writeLin(seg[s].base + off, size, v);
}

bool Cpu::read8(int s, uint32_t off, uint8_t& v) {
  uint32_t t;
  if (!readN(s, off, 1, t)) return false;
  v = uint8_t(t);
  return true;
}
bool Cpu::read16(int s, uint32_t off, uint16_t& v) {
  uint32_t t;
  if (!readN(s, off, 2, t)) return false;
  v = uint16_t(t);
  return true;
}
bool Cpu::read32(int s, uint32_t off, uint32_t& v) { return readN(s, off, 4, v); }
bool Cpu::write8(int s, uint32_t off, uint8_t v) { return writeN(s, off, 1, v); }
bool Cpu::write16(int s, uint32_t off, uint16_t v) { return writeN(s, off, 2, v); }
bool Cpu::write32(int s, uint32_t off, uint32_t v) { return writeN(s, off, 4, v); }

bool Cpu::push16(uint16_t v) {
  uint32_t nsp = (sp() - 2) & (stack32() ? 0xFFFFFFFFu : 0xFFFFu);
  if (!fastStackWrite<2>(nsp, v) && !write16(SEG_SS, nsp, v)) return false;
  setSp(nsp);
  return true;
}

bool Cpu::push32(uint32_t v) {
  uint32_t nsp = (sp() - 4) & (stack32() ? 0xFFFFFFFFu : 0xFFFFu);
  if (!fastStackWrite<4>(nsp, v) && !write32(SEG_SS, nsp, v)) return false;
  setSp(nsp);
  return true;
}

bool Cpu::pop16(uint16_t& v) {
  uint32_t t;
  if (fastStackRead<2>(sp(), t)) v = uint16_t(t);
  else if (!read16(SEG_SS, sp(), v)) return false;
  setSp(sp() + 2);
  return true;
}

bool Cpu::pop32(uint32_t& v) {
  if (!fastStackRead<4>(sp(), v) && !read32(SEG_SS, sp(), v)) return false;
  setSp(sp() + 4);
  return true;
}

bool Cpu::pop(bool op32, uint32_t& v) {
  if (op32) return pop32(v);
  uint16_t t;
  if (!pop16(t)) return false;
  v = t;
  return true;
}

SystemOps& Cpu::sys() { return protectedMode() ? protectedModeOps() : realModeOps(); }

bool Cpu::portIn(uint16_t port, unsigned size, uint32_t& v) {
  uint32_t val = size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFFu;
  IoAction a = io.portIn(port, size, val, insnEip);
  v = val;
  if (a == IoAction::Yield && !yield) {
    yield = true;
    events = 1;
    yieldExit = Exit{};
    yieldExit.reason = ExitReason::Io;
    yieldExit.u.io = {true, port, uint8_t(size), val};
  }
  return true;
}

bool Cpu::portOut(uint16_t port, unsigned size, uint32_t v) {
  IoAction a = io.portOut(port, size, v, insnEip);
  if (a == IoAction::Yield && !yield) {
    yield = true;
    events = 1;
    yieldExit = Exit{};
    yieldExit.reason = ExitReason::Io;
    yieldExit.u.io = {false, port, uint8_t(size), v};
  }
  return true;
}

}  // namespace bv::cpu
