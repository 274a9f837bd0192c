// System instructions: flag ops, HLT, CLI/STI, the 0F 00 / 0F 01 groups, LAR/LSL/ARPL, MOV CR/DR, CLTS,
// CPUID, RDTSC, RDMSR/WRMSR, x87 escapes and WAIT.
//
// x87: the escapes D8-DF and WAIT go to the FPU's files (fpu_exec.cpp and beside it). CPUID reports FPU = 1.
#include "cpu/exec.h"
#include "cpu/fpu.h"

namespace bv::cpu {

namespace {

void cmc(Cpu& c, const Insn&) { c.flagsRef() ^= CF; }
void clc(Cpu& c, const Insn&) { c.setFlag(CF, false); }
void stc(Cpu& c, const Insn&) { c.setFlag(CF, true); }
void cld(Cpu& c, const Insn&) { c.setFlag(DF, false); }
void std_(Cpu& c, const Insn&) { c.setFlag(DF, true); }

bool ifAllowed(Cpu& c, const char* what) {
  if (!c.protectedMode()) return true;
  if (c.eflags() & VM) {
    if (iopl(c) == 3) return true;
    return c.raise(VEC_GP, 0, "%s in virtual-8086 mode with IOPL < 3", what);
  }
  if (c.cpl <= iopl(c)) return true;
  return c.raise(VEC_GP, 0, "%s at CPL %u with IOPL %u", what, c.cpl, iopl(c));
}

void cli(Cpu& c, const Insn&) {
  if (ifAllowed(c, "CLI")) c.setFlag(IF, false);
}
void sti(Cpu& c, const Insn&) {
  if (!ifAllowed(c, "STI")) return;
  if (!(c.eflags() & IF)) c.intShadow = true;  // no interrupt before the next instruction completes
  c.setFlag(IF, true);
}

void hlt(Cpu& c, const Insn&) {
  if (needCpl0(c, "HLT")) {
    c.halted = true;
    c.events = 1;
  }
}

bool realOrV86(const Cpu& c) { return !c.protectedMode() || (c.eflags() & VM); }

void group6(Cpu& c, const Insn& i) {
  if (realOrV86(c) || i.reg > 5) {
    c.raise(VEC_UD, 0, "0F 00 /%u is not recognised in real or virtual-8086 mode", i.reg);
    return;
  }
  switch (i.reg) {
    case 0:
    case 1: {
      uint16_t sel = i.reg == 0 ? c.ldtr.sel : c.tr.sel;
      if (i.mod == 3) setRegV(c, i.rm, i.op32 ? 4 : 2, sel);
      else wr<2>(c, i.seg, ea(c, i), sel);
      return;
    }
    default: break;
  }
  uint32_t sel;
  if (!readE<2>(c, i, sel)) return;
  bool ok = false;
  switch (i.reg) {
    case 2:
      if (needCpl0(c, "LLDT")) c.sys().lldt(c, uint16_t(sel));
      return;
    case 3:
      if (needCpl0(c, "LTR")) c.sys().ltr(c, uint16_t(sel));
      return;
    case 4:
      if (c.sys().verr(c, uint16_t(sel), ok)) c.setFlag(ZF, ok);
      return;
    default:
      if (c.sys().verw(c, uint16_t(sel), ok)) c.setFlag(ZF, ok);
      return;
  }
}

void group7(Cpu& c, const Insn& i) {
  switch (i.reg) {
    case 0:
    case 1: {  // SGDT / SIDT
      if (i.mod == 3) break;
      const TableReg& t = i.reg == 0 ? c.gdtr : c.idtr;
      uint32_t off = ea(c, i);
      if (!c.checkSeg(i.seg, off, 6, true)) return;
      if (wr<2>(c, i.seg, off, t.limit)) wr<4>(c, i.seg, (off + 2) & i.amask, t.base);
      return;
    }
    case 2:
    case 3: {  // LGDT / LIDT
      if (i.mod == 3) break;
      if (!needCpl0(c, i.reg == 2 ? "LGDT" : "LIDT")) return;
      uint32_t off = ea(c, i), limit, base;
      if (!rd<2>(c, i.seg, off, limit) || !rd<4>(c, i.seg, (off + 2) & i.amask, base)) return;
      if (!i.op32) base &= 0x00FFFFFF;
      TableReg& t = i.reg == 2 ? c.gdtr : c.idtr;
      if (__builtin_expect(c.sysBreaks & SB_DESCRIPTOR_TABLE, 0))
        c.systemEvent(SystemEvent::DescriptorTable, i.reg == 2 ? 0 : 1, base, limit, t.base, t.limit);
      t.base = base;
      t.limit = uint16_t(limit);
      return;
    }
    case 4:  // SMSW
      if (i.mod == 3) setRegV(c, i.rm, i.op32 ? 4 : 2, c.cr0);
      else wr<2>(c, i.seg, ea(c, i), c.cr0 & 0xFFFF);
      return;
    case 6: {  // LMSW: sets PE but never clears it
      if (!needCpl0(c, "LMSW")) return;
      uint32_t v;
      if (!readE<2>(c, i, v)) return;
      uint32_t n = (c.cr0 & ~0xEu) | (v & 0xF) | (c.cr0 & cr0::PE);
      const uint32_t old = c.cr0;
      c.setCr0(n);
      if (__builtin_expect(c.sysBreaks & SB_CONTROL_REGISTER, 0))
        c.systemEvent(SystemEvent::ControlRegister, 0, old, c.cr0);
      return;
    }
    case 7:  // INVLPG
      if (i.mod == 3) break;
      if (!needCpl0(c, "INVLPG")) return;
      c.invlpg(c.seg[i.seg].base + ea(c, i));
      return;
    default: break;
  }
  opUndefined(c, i);
}

void larLsl(Cpu& c, const Insn& i) {
  if (realOrV86(c)) {
    c.raise(VEC_UD, 0, "%s is not recognised in real or virtual-8086 mode", i.op == 0x102 ? "LAR" : "LSL");
    return;
  }
  uint32_t sel, v = 0;
  if (!readE<2>(c, i, sel)) return;
  bool ok = false;
  bool done = i.op == 0x102 ? c.sys().lar(c, uint16_t(sel), v, ok) : c.sys().lsl(c, uint16_t(sel), v, ok);
  if (!done) return;
  c.setFlag(ZF, ok);
  if (ok) setRegV(c, i.reg, i.op32 ? 4 : 2, v);
}

void arpl(Cpu& c, const Insn& i) {
  if (realOrV86(c)) {
    c.raise(VEC_UD, 0, "ARPL is not recognised in real or virtual-8086 mode");
    return;
  }
  uint32_t d;
  if (!readE<2>(c, i, d)) return;
  uint32_t s = getReg<2>(c, i.reg);
  if ((d & 3) < (s & 3)) {
    if (!writeE<2>(c, i, (d & ~3u) | (s & 3))) return;
    c.setFlag(ZF, true);
  } else {
    c.setFlag(ZF, false);
  }
}

void clts(Cpu& c, const Insn&) {
  if (!needCpl0(c, "CLTS")) return;
  const uint32_t old = c.cr0;
  c.cr0 &= ~cr0::TS;
  if (__builtin_expect(c.sysBreaks & SB_CONTROL_REGISTER, 0))
    c.systemEvent(SystemEvent::ControlRegister, 0, old, c.cr0);
}

void movCr(Cpu& c, const Insn& i) {
  if (!needCpl0(c, "MOV CRn")) return;
  bool toCr = i.op == 0x122;
  if (i.reg == 1 || i.reg > 4) {
    c.raise(VEC_UD, 0, "CR%u does not exist", i.reg);
    return;
  }
  if (!toCr) {
    uint32_t v = i.reg == 0 ? c.cr0 : i.reg == 2 ? c.cr2 : i.reg == 3 ? c.cr3 : c.cr4;
    c.gpr[i.rm] = v;
    return;
  }
  uint32_t v = c.gpr[i.rm];
  // The system-event break (the debugger's, rarely armed) reports old -> new once the write is done.
  const bool report = __builtin_expect(c.sysBreaks & SB_CONTROL_REGISTER, 0);
  switch (i.reg) {
    case 0: {
      if ((v & cr0::PG) && !(v & cr0::PE)) {
        c.raise(VEC_GP, 0, "CR0.PG set without CR0.PE");
        return;
      }
      if (!report) return c.setCr0(v);
      const uint32_t old = c.cr0;
      c.setCr0(v);
      return c.systemEvent(SystemEvent::ControlRegister, 0, old, c.cr0);
    }
    case 2: c.cr2 = v; return;
    case 3: {
      if (!report) return c.setCr3(v);
      const uint32_t old = c.cr3;
      c.setCr3(v);
      return c.systemEvent(SystemEvent::ControlRegister, 3, old, v);
    }
    default: {
      if (v & ~0x000000BFu & ~(1u << 9) & ~(1u << 10)) {  // VME PVI TSD DE PSE PGE PCE (+OSFXSR/OSXMMEXCPT)
        c.raise(VEC_GP, 0, "CR4 value 0x%08X sets reserved or unsupported bits", v);
        return;
      }
      if (!report) return c.setCr4(v);
      const uint32_t old = c.cr4;
      c.setCr4(v);
      return c.systemEvent(SystemEvent::ControlRegister, 4, old, v);
    }
  }
}

void movDr(Cpu& c, const Insn& i) {
  if (!needCpl0(c, "MOV DRn")) return;
  unsigned n = i.reg;
  if ((n == 4 || n == 5) && (c.cr4 & 8)) {
    c.raise(VEC_UD, 0, "DR%u with CR4.DE set", n);
    return;
  }
  if (c.dr[7] & 0x2000) {  // DR7.GD: a debugger owns the registers; BD tells the handler why
    c.dr[7] &= ~0x2000u;
    c.dr[6] |= 0x2000;
    c.raise(VEC_DB, 0, "MOV DR%u with DR7.GD set (general detect)", i.reg);
    return;
  }
  if (n == 4) n = 6;
  if (n == 5) n = 7;
  if (i.op == 0x121) {
    c.gpr[i.rm] = c.dr[n];
    return;
  }
  c.dr[n] = n == 6 ? (c.gpr[i.rm] | 0xFFFF0FF0u) : n == 7 ? (c.gpr[i.rm] | 0x400) : c.gpr[i.rm];
  if (n != 6) c.updateDebugRegs();
}

void cpuid(Cpu& c, const Insn&) {
  uint32_t leaf = c.gpr[0];
  uint32_t a = 0, b = 0, cc = 0, d = 0;
  if (leaf == 0) {
    a = 1;
    b = 0x756E6547;  // "GenuineIntel": what boot code and toy kernels test for
    d = 0x49656E69;
    cc = 0x6C65746E;
  } else if (leaf == 1) {
    a = 0x00000543;  // family 5, model 4, stepping 3
    // FPU; VME no; DE, PSE, TSC, MSR, CX8, PGE, CMOV (no FXSR: no FXSAVE/FXRSTOR).
    d = (1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 13) | (1u << 15);
  }
  c.gpr[0] = a;
  c.gpr[3] = b;
  c.gpr[1] = cc;
  c.gpr[2] = d;
}

void rdtsc(Cpu& c, const Insn&) {
  if ((c.cr4 & 4) && c.protectedMode() && c.cpl != 0) {
    c.raise(VEC_GP, 0, "RDTSC at CPL %u with CR4.TSD set", c.cpl);
    return;
  }
  // Deterministic: the count of retired instructions plus an offset the machine may set.
  uint64_t t = c.icount + c.tscOffset;
  c.gpr[0] = uint32_t(t);
  c.gpr[2] = uint32_t(t >> 32);
}

void rdmsr(Cpu& c, const Insn&) {
  if (!needCpl0(c, "RDMSR")) return;
  uint32_t n = c.gpr[1];
  uint64_t v;
  switch (n) {
    case 0x10: v = c.icount + c.tscOffset; break;
    case 0xC0000080: v = c.efer; break;
    case 0x174:
    case 0x175:
    case 0x176: v = c.sysenter[n - 0x174]; break;
    default: c.raise(VEC_GP, 0, "RDMSR of unsupported MSR 0x%08X", n); return;
  }
  c.gpr[0] = uint32_t(v);
  c.gpr[2] = uint32_t(v >> 32);
}

void wrmsr(Cpu& c, const Insn&) {
  if (!needCpl0(c, "WRMSR")) return;
  uint32_t n = c.gpr[1];
  uint64_t v = (uint64_t(c.gpr[2]) << 32) | c.gpr[0];
  switch (n) {
    case 0x10: c.tscOffset = v - c.icount; return;
    case 0xC0000080:
      if (v & ~uint64_t(0x800)) {  // only NXE is accepted; long mode is not supported
        c.raise(VEC_GP, 0, "EFER value 0x%llX is not supported (no long mode)", (unsigned long long)v);
        return;
      }
      c.efer = v;
      return;
    case 0x174:
    case 0x175:
    case 0x176: c.sysenter[n - 0x174] = v; return;
    default: c.raise(VEC_GP, 0, "WRMSR of unsupported MSR 0x%08X", n); return;
  }
}

void nopCpl0(Cpu& c, const Insn&) { needCpl0(c, "INVD/WBINVD"); }
void ud2(Cpu& c, const Insn&) { c.raise(VEC_UD, 0, "UD2"); }

}  // namespace

bool selectSystem(Insn& i) {
  const uint16_t op = i.op;
  if (op >= 0xD8 && op <= 0xDF) {
    i.fn = fpuEscape;
    return true;
  }
  switch (op) {
    case 0xF5: i.fn = cmc; return true;
    case 0xF8: i.fn = clc; return true;
    case 0xF9: i.fn = stc; return true;
    case 0xFA: i.fn = cli; return true;
    case 0xFB: i.fn = sti; return true;
    case 0xFC: i.fn = cld; return true;
    case 0xFD: i.fn = std_; return true;
    case 0xF4: i.fn = hlt; return true;
    case 0x9B: i.fn = fpuWait; return true;
    case 0x63: i.fn = arpl; return true;
    case 0x100: i.fn = group6; return true;
    case 0x101: i.fn = group7; return true;
    case 0x102:
    case 0x103: i.fn = larLsl; return true;
    case 0x106: i.fn = clts; return true;
    case 0x108:
    case 0x109: i.fn = nopCpl0; return true;
    case 0x10B: i.fn = ud2; return true;
    case 0x120:
    case 0x122: i.fn = movCr; return true;
    case 0x121:
    case 0x123: i.fn = movDr; return true;
    case 0x130: i.fn = wrmsr; return true;
    case 0x131: i.fn = rdtsc; return true;
    case 0x132: i.fn = rdmsr; return true;
    case 0x1A2: i.fn = cpuid; return true;
    default: return false;
  }
}

}  // namespace bv::cpu
