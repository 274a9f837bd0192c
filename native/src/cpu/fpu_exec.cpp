// The x87 instructions D8-DF and WAIT on the software vCPU: decoding of the escape's ModRM into the 387/486
// instruction set (plus the P6's FCMOVcc and FCOMI/FUCOMI, which CPUID's CMOV bit promises), the stack with
// its overflow and underflow faults, the masked responses, and the pending-exception rules: a waiting x87
// instruction with an unmasked exception pending raises #MF when CR0.NE = 1; with CR0.NE = 0 the exception
// asserted FERR# (IRQ13 through the slave PIC, cleared by a write to port F0h) when it was flagged, and the
// instruction goes on as if IGNNE# were asserted.
#include <cstring>

#include "cpu/fpu.h"

namespace bv::cpu {

using namespace fpu;

namespace x87 {

F80 loadRaw(const uint8_t b[10]) {
  F80 v;
  std::memcpy(&v.sig, b, 8);
  std::memcpy(&v.se, b + 8, 2);
  return v;
}

void storeRaw(F80 v, uint8_t b[10]) {
  std::memcpy(b, &v.sig, 8);
  std::memcpy(b + 8, &v.se, 2);
}

bool readMem(Cpu& c, const Insn& i, uint32_t off, void* dst, unsigned n) {
  auto* p = static_cast<uint8_t*>(dst);
  for (unsigned k = 0; k < n;) {
    const unsigned step = n - k >= 4 ? 4 : n - k >= 2 ? 2 : 1;
    uint32_t v;
    if (!c.readN(i.seg, (off + k) & i.amask, step, v)) return false;
    std::memcpy(p + k, &v, step);
    k += step;
  }
  return true;
}

bool writeMem(Cpu& c, const Insn& i, uint32_t off, const void* src, unsigned n) {
  if (!c.checkSeg(i.seg, off, n, true)) return false;
  const uint32_t lin = c.seg[i.seg].base + off;
  uint32_t phys;
  if (!c.translate(lin, ACCESS_WRITE, phys) || !c.translate(lin + n - 1, ACCESS_WRITE, phys)) return false;
  const auto* p = static_cast<const uint8_t*>(src);
  for (unsigned k = 0; k < n;) {
    const unsigned step = n - k >= 4 ? 4 : n - k >= 2 ? 2 : 1;
    uint32_t v = 0;
    std::memcpy(&v, p + k, step);
    if (!c.writeN(i.seg, (off + k) & i.amask, step, v)) return false;
    k += step;
  }
  return true;
}

void errorSignal(Cpu& c, bool wasSet) {
  const bool now = (c.fpu.sw & Fpu::ES) != 0;
  if (now == wasSet || (c.cr0 & cr0::NE)) return;
  if (c.io.fpuError(now) == IoAction::Yield && !c.yield) {
    c.yield = true;  // IRQ13 became pending: stop after this instruction so the machine delivers it
    c.events = 1;
    c.yieldExit = Exit{};
    c.yieldExit.reason = ExitReason::None;
  }
}

bool commit(Cpu& c, const Ctx& x, bool memoryStore) {
  Fpu& f = c.fpu;
  const bool was = (f.sw & Fpu::ES) != 0;
  const uint16_t unmasked = x.flags & ~f.cw & 0x3F;
  // An unmasked IE, DE or ZE stops the operation before it computes anything, and an unmasked OE or UE stops a
  // store to memory: what computing the result raised besides (PE, OE, UE) is not reported. The host x87
  // agrees (fpu_oracle --unmasked: DE on FADD, OE on FST m32).
  const bool noResult = (unmasked & (IE | DE | ZE)) || (memoryStore && (unmasked & (OE | UE)));
  uint16_t flags = x.flags;
  if (unmasked & (IE | DE | ZE)) flags &= uint16_t(~(PE | OE | UE));
  else if (noResult) flags &= uint16_t(~PE);
  f.sw = uint16_t((f.sw & ~Fpu::C1) | (flags & (0x7F | C1)));
  f.updateSummary();
  errorSignal(c, was);
  return !noResult;
}

}  // namespace x87

namespace {

using x87::commit;
using x87::ctx;
using x87::stackFault;

// Waiting instructions first deliver a pending unmasked exception.
bool errorPending(Cpu& c) {
  if (!(c.fpu.sw & Fpu::ES) || !(c.cr0 & cr0::NE)) return false;
  return !c.raise(VEC_MF, 0, "x87 floating-point error pending (status word 0x%04X, control word 0x%04X)", c.fpu.sw,
                  c.fpu.cw);
}

void notePointers(Cpu& c, const Insn& i) {
  Fpu& f = c.fpu;
  f.fop = uint16_t(((i.op & 7) << 8) | i.modrm);
  f.fip = c.insnEip;
  f.fcs = c.seg[SEG_CS].sel;
  if (i.mod != 3) {
    f.fdp = ea(c, i);
    f.fds = c.seg[i.seg].sel;
  }
}

// The eight arithmetic operations of D8/DC/DA/DE by ModRM.reg: x op y (x = the destination's old value).
F80 arith(Ctx& t, unsigned k, F80 x, F80 y) {
  switch (k) {
    case 0: return add(t, x, y);
    case 1: return mul(t, x, y);
    case 4: return sub(t, x, y);
    case 5: return sub(t, y, x);
    case 6: return div(t, x, y);
    default: return div(t, y, x);
  }
}

// Arithmetic into ST(dst) from ST(0) (or ST(dst)) and a source value; pops when asked.
void arithInto(Cpu& c, unsigned k, unsigned dst, F80 x, F80 y, bool xEmpty, bool yEmpty, Ctx& t, bool pop) {
  Fpu& f = c.fpu;
  F80 r;
  if (xEmpty || yEmpty) {
    stackFault(t, false);
    r = indefinite();
  } else {
    r = arith(t, k, x, y);
  }
  if (!commit(c, t)) return;
  f.write(dst, r);
  if (pop) f.pop();
}

// Condition codes of a compare: greater 000, less C0, equal C3, unordered C3 C2 C0; C1 cleared.
void setCompare(Cpu& c, unsigned rel) {
  static const uint16_t kCc[4] = {Fpu::C0, Fpu::C3, 0, Fpu::C3 | Fpu::C2 | Fpu::C0};
  c.fpu.sw = uint16_t((c.fpu.sw & ~Fpu::kCc) | kCc[rel]);
}

void compareOp(Cpu& c, F80 a, F80 b, bool empty, bool quiet, unsigned pops, bool eflags) {
  Fpu& f = c.fpu;
  Ctx t = ctx(c);
  unsigned rel = 3;
  if (empty) stackFault(t, false);
  else rel = compare(t, a, b, quiet);
  t.flags &= ~C1;
  if (!commit(c, t)) return;
  if (eflags) {
    static const uint32_t kFlags[4] = {CF, ZF, 0, ZF | PF | CF};
    c.setOSZAPC(kFlags[rel]);
  } else {
    setCompare(c, rel);
  }
  while (pops--) f.pop();
}

void push(Cpu& c, F80 v, Ctx& t) {
  Fpu& f = c.fpu;
  if (!f.empty(7)) {
    stackFault(t, true);
    v = indefinite();
  }
  if (!commit(c, t)) return;
  f.push(v);
}

// FST/FSTP/FIST/FISTP/FBSTP to memory: the value converted by `conv` (into n bytes), or the format's
// indefinite when ST(0) is empty.
template <typename Conv>
void storeOp(Cpu& c, const Insn& i, unsigned n, bool pop, Conv conv) {
  Fpu& f = c.fpu;
  Ctx t = ctx(c);
  uint8_t buf[10] = {};
  if (f.empty(0)) {
    stackFault(t, false);
    Ctx scratch = t;
    conv(scratch, indefinite(), buf);
  } else {
    t.flags &= ~C1;
    conv(t, f.st(0), buf);
  }
  Fpu saved = f;
  if (!commit(c, t, true)) return;
  if (!x87::writeMem(c, i, ea(c, i), buf, n)) {
    f = saved;  // a fault: the status word as before, as the instruction never happened
    return;
  }
  if (pop) f.pop();
}

// ST(0) and ST(i) exchanged, an empty one taken as the indefinite (masked stack underflow).
void fxch(Cpu& c, unsigned i) {
  Fpu& f = c.fpu;
  Ctx t = ctx(c);
  F80 a = f.st(0), b = f.st(i);
  if (f.empty(0) || f.empty(i)) {
    stackFault(t, false);
    if (f.empty(0)) a = indefinite();
    if (f.empty(i)) b = indefinite();
  }
  t.flags &= ~C1;
  if (!commit(c, t)) return;
  f.write(0, b);
  f.write(i, a);
}

void fstReg(Cpu& c, unsigned i, bool pop) {
  Fpu& f = c.fpu;
  Ctx t = ctx(c);
  F80 v = f.st(0);
  if (f.empty(0)) {
    stackFault(t, false);
    v = indefinite();
  }
  t.flags &= ~C1;
  if (!commit(c, t)) return;
  f.write(i, v);
  if (pop) f.pop();
}

F80 readValue(Cpu& c, unsigned op, uint8_t buf[10], Ctx& t) {
  uint32_t v32;
  uint64_t v64;
  uint16_t v16;
  switch (op) {
    case 0xD8: std::memcpy(&v32, buf, 4); return fromF32(t, v32);
    case 0xDC: std::memcpy(&v64, buf, 8); return fromF64(t, v64);
    case 0xDA: std::memcpy(&v32, buf, 4); return fromInt(int32_t(v32));
    default: std::memcpy(&v16, buf, 2); return fromInt(int16_t(v16));
  }
}

// D8 DA DC DE with a memory operand: ST(0) op m32real / m32int / m64real / m16int.
void arithMem(Cpu& c, const Insn& i) {
  Fpu& f = c.fpu;
  const unsigned n = i.op == 0xDC ? 8 : i.op == 0xDE ? 2 : 4;
  uint8_t buf[8];
  if (!x87::readMem(c, i, ea(c, i), buf, n)) return;
  Ctx t = ctx(c);
  const F80 y = readValue(c, i.op, buf, t);
  if (i.reg == 2 || i.reg == 3) {  // FCOM / FCOMP (FICOM / FICOMP)
    unsigned rel = 3;
    if (f.empty(0)) stackFault(t, false);
    else rel = compare(t, f.st(0), y, false);
    t.flags &= ~C1;
    if (!commit(c, t)) return;
    setCompare(c, rel);
    if (i.reg == 3) f.pop();
    return;
  }
  arithInto(c, i.reg, 0, f.st(0), y, f.empty(0), false, t, false);
}

// FCMOVcc (DA/DB C0-DF): ST(0) = ST(i) if the EFLAGS condition holds.
void fcmov(Cpu& c, const Insn& i) {
  Fpu& f = c.fpu;
  const uint32_t fl = c.eflags();
  bool cond;
  switch (i.reg & 3) {
    case 0: cond = fl & CF; break;
    case 1: cond = fl & ZF; break;
    case 2: cond = fl & (CF | ZF); break;
    default: cond = fl & PF; break;
  }
  if (i.op == 0xDB) cond = !cond;
  Ctx t = ctx(c);
  t.flags &= ~C1;
  if (f.empty(0) || f.empty(i.rm)) {
    stackFault(t, false);
    if (!commit(c, t)) return;
    if (cond) f.write(0, indefinite());
    return;
  }
  commit(c, t);
  if (cond) f.write(0, f.st(i.rm));
}

bool isControl(const Insn& i) {
  // FNINIT FNCLEX FNSTSW FNSTCW FNSTENV FNSAVE (and the 8087's FENI/FDISI, the 287's FSETPM) do not wait.
  if (i.op == 0xDB && i.mod == 3 && i.reg == 4 && i.rm <= 4) return true;
  if (i.op == 0xDF && i.mod == 3 && i.modrm == 0xE0) return true;
  if (i.mod != 3 && i.op == 0xD9 && (i.reg == 6 || i.reg == 7)) return true;
  if (i.mod != 3 && i.op == 0xDD && (i.reg == 6 || i.reg == 7)) return true;
  return false;
}

void undefined(Cpu& c, const Insn& i) {
  c.raise(VEC_UD, 0, "x87 opcode %02X %02X is not defined on this FPU", i.op, i.modrm);
}

void execMemory(Cpu& c, const Insn& i) {
  Fpu& f = c.fpu;
  const uint32_t off = ea(c, i);
  uint8_t buf[10];
  switch (i.op) {
    case 0xD8:
    case 0xDA:
    case 0xDC:
    case 0xDE: arithMem(c, i); return;
    case 0xD9:
      switch (i.reg) {
        case 0: {  // FLD m32real
          if (!x87::readMem(c, i, off, buf, 4)) return;
          Ctx t = ctx(c);
          t.flags &= ~C1;
          push(c, readValue(c, 0xD8, buf, t), t);
          return;
        }
        case 2:
        case 3:
          storeOp(c, i, 4, i.reg == 3, [](Ctx& t, F80 v, uint8_t* b) {
            const uint32_t r = toF32(t, v);
            std::memcpy(b, &r, 4);
          });
          return;
        case 4: x87::loadEnv(c, i, false); return;
        case 5: {  // FLDCW
          uint32_t v;
          if (!c.readN(i.seg, off, 2, v)) return;
          const bool was = (f.sw & Fpu::ES) != 0;
          f.cw = uint16_t((v & 0x1F3F) | 0x40);
          f.updateSummary();
          x87::errorSignal(c, was);
          return;
        }
        case 6: x87::storeEnv(c, i, false); return;
        case 7: c.writeN(i.seg, off, 2, f.cw); return;
        default: undefined(c, i); return;
      }
    case 0xDB:
      switch (i.reg) {
        case 0: {  // FILD m32int
          if (!x87::readMem(c, i, off, buf, 4)) return;
          Ctx t = ctx(c);
          t.flags &= ~C1;
          push(c, readValue(c, 0xDA, buf, t), t);
          return;
        }
        case 2:
        case 3:
          storeOp(c, i, 4, i.reg == 3, [](Ctx& t, F80 v, uint8_t* b) {
            const int32_t r = int32_t(toInt(t, v, 32));
            std::memcpy(b, &r, 4);
          });
          return;
        case 5: {  // FLD m80real: no conversion, no exception but the stack's
          if (!x87::readMem(c, i, off, buf, 10)) return;
          Ctx t = ctx(c);
          t.flags &= ~C1;
          push(c, x87::loadRaw(buf), t);
          return;
        }
        case 7: storeOp(c, i, 10, true, [](Ctx&, F80 v, uint8_t* b) { x87::storeRaw(v, b); }); return;
        default: undefined(c, i); return;  // FISTTP (SSE3) is not there
      }
    case 0xDD:
      switch (i.reg) {
        case 0: {  // FLD m64real
          if (!x87::readMem(c, i, off, buf, 8)) return;
          Ctx t = ctx(c);
          t.flags &= ~C1;
          push(c, readValue(c, 0xDC, buf, t), t);
          return;
        }
        case 2:
        case 3:
          storeOp(c, i, 8, i.reg == 3, [](Ctx& t, F80 v, uint8_t* b) {
            const uint64_t r = toF64(t, v);
            std::memcpy(b, &r, 8);
          });
          return;
        case 4: x87::loadEnv(c, i, true); return;
        case 6: x87::storeEnv(c, i, true); return;
        case 7: c.writeN(i.seg, off, 2, f.sw); return;
        default: undefined(c, i); return;
      }
    default:  // DF
      switch (i.reg) {
        case 0:    // FILD m16int
        case 5: {  // FILD m64int
          const unsigned n = i.reg == 0 ? 2 : 8;
          if (!x87::readMem(c, i, off, buf, n)) return;
          int64_t v;
          if (n == 2) {
            int16_t s;
            std::memcpy(&s, buf, 2);
            v = s;
          } else {
            std::memcpy(&v, buf, 8);
          }
          Ctx t = ctx(c);
          t.flags &= ~C1;
          push(c, fromInt(v), t);
          return;
        }
        case 2:
        case 3:
          storeOp(c, i, 2, i.reg == 3, [](Ctx& t, F80 v, uint8_t* b) {
            const int16_t r = int16_t(toInt(t, v, 16));
            std::memcpy(b, &r, 2);
          });
          return;
        case 4: {  // FBLD
          if (!x87::readMem(c, i, off, buf, 10)) return;
          Ctx t = ctx(c);
          t.flags &= ~C1;
          push(c, fromBcd(buf), t);
          return;
        }
        case 6: storeOp(c, i, 10, true, [](Ctx& t, F80 v, uint8_t* b) { toBcd(t, v, b); }); return;
        case 7:
          storeOp(c, i, 8, true, [](Ctx& t, F80 v, uint8_t* b) {
            const int64_t r = toInt(t, v, 64);
            std::memcpy(b, &r, 8);
          });
          return;
        default: undefined(c, i); return;
      }
  }
}

void execRegister(Cpu& c, const Insn& i) {
  Fpu& f = c.fpu;
  const unsigned r = i.rm;
  switch (i.op) {
    case 0xD8:
      if (i.reg == 2 || i.reg == 3) {
        compareOp(c, f.st(0), f.st(r), f.empty(0) || f.empty(r), false, i.reg == 3, false);
        return;
      }
      {
        Ctx t = ctx(c);
        arithInto(c, i.reg, 0, f.st(0), f.st(r), f.empty(0), f.empty(r), t, false);
      }
      return;
    case 0xDC:
    case 0xDE: {
      if (i.reg == 2 || i.reg == 3) {  // FCOM2/FCOMP3/FCOMP5 aliases; DE D9 is FCOMPP
        const bool compp = i.op == 0xDE && i.reg == 3;
        if (compp && r != 1) return undefined(c, i);
        compareOp(c, f.st(0), f.st(r), f.empty(0) || f.empty(r), false, compp ? 2 : 1 - (i.op == 0xDC && i.reg == 2),
                  false);
        return;
      }
      // ST(i) = ST(i) op ST(0): the reversed and plain subtract/divide swap places in these rows.
      static const uint8_t kSwap[8] = {0, 1, 2, 3, 5, 4, 7, 6};
      Ctx t = ctx(c);
      arithInto(c, kSwap[i.reg], r, f.st(r), f.st(0), f.empty(r), f.empty(0), t, i.op == 0xDE);
      return;
    }
    case 0xD9:
      switch (i.reg) {
        case 0: {  // FLD ST(i)
          Ctx t = ctx(c);
          t.flags &= ~C1;
          F80 v = f.st(r);
          if (f.empty(r)) {
            stackFault(t, false);
            v = indefinite();
          }
          push(c, v, t);
          return;
        }
        case 1: fxch(c, r); return;
        case 2:
          if (r != 0) return undefined(c, i);
          return;                            // FNOP
        case 3: fstReg(c, r, true); return;  // FSTP1
        default: x87::transcendental(c, i.modrm); return;
      }
    case 0xDA:
      if (i.reg < 4) return fcmov(c, i);
      if (i.modrm == 0xE9) {
        compareOp(c, f.st(0), f.st(1), f.empty(0) || f.empty(1), true, 2, false);
        return;
      }
      return undefined(c, i);
    case 0xDB:
      if (i.reg < 4) return fcmov(c, i);
      if (i.reg == 4) {
        switch (r) {
          case 0:
          case 1:
          case 4: return;  // FENI, FDISI, FSETPM: nothing on a 387 and later
          case 2: {        // FNCLEX
            const bool was = (f.sw & Fpu::ES) != 0;
            f.sw &= 0x7F00;
            x87::errorSignal(c, was);
            return;
          }
          case 3: {  // FNINIT
            const bool was = (f.sw & Fpu::ES) != 0;
            f.init();
            x87::errorSignal(c, was);
            return;
          }
          default: return undefined(c, i);
        }
      }
      if (i.reg == 5 || i.reg == 6) {  // FUCOMI / FCOMI
        compareOp(c, f.st(0), f.st(r), f.empty(0) || f.empty(r), i.reg == 5, 0, true);
        return;
      }
      return undefined(c, i);
    case 0xDD:
      switch (i.reg) {
        case 0: f.setTag(f.phys(r), 3); return;  // FFREE
        case 1: fxch(c, r); return;              // FXCH4
        case 2: fstReg(c, r, false); return;
        case 3: fstReg(c, r, true); return;
        case 4:
        case 5: compareOp(c, f.st(0), f.st(r), f.empty(0) || f.empty(r), true, i.reg == 5, false); return;
        default: return undefined(c, i);
      }
    default:  // DF
      switch (i.reg) {
        case 0:  // FFREEP
          f.setTag(f.phys(r), 3);
          f.setTop(f.top() + 1);
          return;
        case 1: fxch(c, r); return;  // FXCH7
        case 2:
        case 3: fstReg(c, r, true); return;  // FSTP8, FSTP9
        case 4:
          if (r != 0) return undefined(c, i);
          c.gpr[0] = (c.gpr[0] & 0xFFFF0000u) | f.sw;  // FNSTSW AX
          return;
        case 5:
        case 6: compareOp(c, f.st(0), f.st(r), f.empty(0) || f.empty(r), i.reg == 5, 1, true); return;
        default: return undefined(c, i);
      }
  }
}

}  // namespace

void fpuEscape(Cpu& c, const Insn& i) {
  if (c.cr0 & (cr0::EM | cr0::TS)) {
    c.raise(VEC_NM, 0, "x87 instruction with CR0.%s set", (c.cr0 & cr0::EM) ? "EM" : "TS");
    return;
  }
  if (!isControl(i)) {
    if (errorPending(c)) return;
    const bool envOp = i.mod != 3 && (i.op == 0xD9 || i.op == 0xDD) && (i.reg == 4 || i.reg == 5);
    if (!envOp) notePointers(c, i);
  }
  if (i.mod == 3) execRegister(c, i);
  else execMemory(c, i);
}

void fpuWait(Cpu& c, const Insn&) {
  if ((c.cr0 & cr0::TS) && (c.cr0 & cr0::MP)) {
    c.raise(VEC_NM, 0, "WAIT with CR0.TS and CR0.MP set");
    return;
  }
  errorPending(c);
}

}  // namespace bv::cpu
