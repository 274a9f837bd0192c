// A decoded instruction: everything a handler needs, decoded once and kept in the decoded-instruction cache.
#pragma once
#include <cstdint>

#include "cpu/opcodes.h"

namespace bv::cpu {

class Cpu;
struct Insn;
// Handlers are chosen at decode time per operand form (register vs memory, operand size), Bochs style.
using Handler = void (*)(Cpu&, const Insn&);

constexpr uint8_t kNoReg = 8;

struct Insn {
  Handler fn = nullptr;
  uint32_t disp = 0;
  uint32_t imm = 0;          // first immediate (sign-extended at decode where the form says so)
  uint32_t imm2 = 0;         // second immediate: far pointer selector, ENTER nesting level
  uint32_t amask = 0xFFFF;   // address-size mask for effective addresses and string registers
  uint32_t ipMask = 0xFFFF;  // 16- or 32-bit code: how EIP wraps
  uint16_t op = 0;           // 0x00-0xFF, or 0x100 | second byte for 0F xx
  uint8_t len = 0;
  uint8_t modrm = 0, mod = 0, reg = 0, rm = 0;
  uint8_t seg = 3;  // segment of the memory operand (override, or DS/SS by the base register)
  uint8_t base = kNoReg, index = kNoReg, scale = 0;
  bool op32 = false, a32 = false, lock = false, segOverride = false;
  uint8_t rep = 0;  // 0, 0xF3 (REP/REPE), 0xF2 (REPNE)
  // The block tier's form of this instruction (block_exec.h), set when a block is decoded; 0 = call fn with
  // the full per-instruction state.
  uint16_t fast = 0;
  uint8_t bytes[15] = {};
  // Set by the block tier when a later instruction of the same block overwrites every flag this one sets
  // before anything can read them or leave the block: its inline form then skips the flags (block_exec.h).
  bool flagsDead = false;
  // Set on the memory moves and the overwriting memory ALU op between a rotate whose CF/OF were skipped that
  // way and the instruction that overwrites them: should one of them leave the inline path (a fault, a
  // watchpoint, a store into code), the rotate's flags are set first (block_exec.cpp, fixRotateFlags).
  bool flagsFix = false;
};

// Decodes at most 15 bytes from `fetch` (fetch(i, byte) returns false when the byte cannot be read: the
// fault is already raised). Returns false on a fault; an unknown opcode decodes to the #UD handler.
template <typename Fetch>
bool decodeInsn(Insn& out, bool code32, Fetch fetch);

// Handler selection (decoder.cpp): the opcode table names the instruction-group file, whose select function
// picks the operand form.
void selectHandler(Insn& i);

template <typename Fetch>
bool decodeInsn(Insn& d, bool code32, Fetch fetch) {
  d = Insn{};
  bool op32 = code32, a32 = code32;
  unsigned n = 0;
  uint8_t b = 0;
  auto next = [&](uint8_t& v) -> bool {
    if (n >= 15) return false;
    if (!fetch(n, v)) return false;
    d.bytes[n++] = v;
    return true;
  };
  // Past 15 bytes the instruction is #GP(0) on a 386+ (decoded as op 0xFFFF); a fetch fault is a fault.
  auto fail = [&]() -> bool {
    if (n < 15) return false;
    d.len = 15;
    d.op = 0xFFFF;
    selectHandler(d);
    return true;
  };
  for (;;) {
    if (!next(b)) return fail();
    switch (b) {
      case 0x26:
        d.seg = 0;
        d.segOverride = true;
        continue;
      case 0x2E:
        d.seg = 1;
        d.segOverride = true;
        continue;
      case 0x36:
        d.seg = 2;
        d.segOverride = true;
        continue;
      case 0x3E:
        d.seg = 3;
        d.segOverride = true;
        continue;
      case 0x64:
        d.seg = 4;
        d.segOverride = true;
        continue;
      case 0x65:
        d.seg = 5;
        d.segOverride = true;
        continue;
      case 0x66: op32 = !code32; continue;
      case 0x67: a32 = !code32; continue;
      case 0xF0: d.lock = true; continue;
      case 0xF2:
      case 0xF3: d.rep = b; continue;
      default: break;
    }
    break;
  }
  d.op32 = op32;
  d.a32 = a32;
  d.ipMask = code32 ? 0xFFFFFFFFu : 0xFFFFu;
  d.amask = a32 ? 0xFFFFFFFFu : 0xFFFFu;
  uint16_t op = b;
  if (b == 0x0F) {
    if (!next(b)) return fail();
    op = 0x100 | b;
  }
  d.op = op;
  auto fetchN = [&](unsigned count, uint32_t& v) -> bool {
    v = 0;
    for (unsigned k = 0; k < count; ++k) {
      uint8_t t;
      if (!next(t)) return false;
      v |= uint32_t(t) << (8 * k);
    }
    return true;
  };
  if (opHasModrm(op)) {
    if (!next(b)) return fail();
    d.modrm = b;
    d.mod = b >> 6;
    d.reg = (b >> 3) & 7;
    d.rm = b & 7;
    if (op >= 0x120 && op <= 0x123) d.mod = 3;  // MOV CRn/DRn: always register operands
    if (d.mod != 3) {
      bool ssDefault = false;
      if (!a32) {
        static const uint8_t bases[8] = {3, 3, 5, 5, 6, 7, 5, 3};
        static const uint8_t idx[8] = {6, 7, 6, 7, kNoReg, kNoReg, kNoReg, kNoReg};
        d.base = bases[d.rm];
        d.index = idx[d.rm];
        ssDefault = (d.rm == 2 || d.rm == 3 || d.rm == 6);
        if (d.mod == 0 && d.rm == 6) {
          d.base = kNoReg;
          ssDefault = false;
          if (!fetchN(2, d.disp)) return fail();
        } else if (d.mod == 1) {
          uint32_t v;
          if (!fetchN(1, v)) return fail();
          d.disp = uint32_t(int32_t(int8_t(v)));
        } else if (d.mod == 2) {
          if (!fetchN(2, d.disp)) return fail();
        }
      } else {
        uint8_t rm = d.rm;
        d.base = rm;
        if (rm == 4) {
          uint8_t sib;
          if (!next(sib)) return fail();
          d.scale = sib >> 6;
          d.index = ((sib >> 3) & 7) == 4 ? kNoReg : ((sib >> 3) & 7);
          d.base = sib & 7;
          if (d.base == 5 && d.mod == 0) {
            d.base = kNoReg;
            if (!fetchN(4, d.disp)) return fail();
          }
        } else if (rm == 5 && d.mod == 0) {
          d.base = kNoReg;
          if (!fetchN(4, d.disp)) return fail();
        }
        ssDefault = (d.base == 4 || d.base == 5);
        if (d.mod == 1) {
          uint32_t v;
          if (!fetchN(1, v)) return fail();
          d.disp = uint32_t(int32_t(int8_t(v)));
        } else if (d.mod == 2) {
          if (!fetchN(4, d.disp)) return fail();
        }
      }
      if (!d.segOverride) d.seg = ssDefault ? 2 : 3;
    }
  }
  switch (opImmKind(op, d.reg)) {
    case IMM_NONE: break;
    case IMM_B:
      if (!fetchN(1, d.imm)) return fail();
      break;
    case IMM_BS:
      if (!fetchN(1, d.imm)) return fail();
      d.imm = uint32_t(int32_t(int8_t(d.imm)));
      break;
    case IMM_W:
      if (!fetchN(2, d.imm)) return fail();
      break;
    case IMM_V:
      if (!fetchN(op32 ? 4 : 2, d.imm)) return fail();
      break;
    case IMM_VS:  // relative displacement: sign-extended to 32 bits
      if (!fetchN(op32 ? 4 : 2, d.imm)) return fail();
      if (!op32) d.imm = uint32_t(int32_t(int16_t(d.imm)));
      break;
    case IMM_AP:
      if (!fetchN(op32 ? 4 : 2, d.imm) || !fetchN(2, d.imm2)) return fail();
      break;
    case IMM_ENTER:
      if (!fetchN(2, d.imm) || !fetchN(1, d.imm2)) return fail();
      break;
    case IMM_MOFFS:
      if (!fetchN(a32 ? 4 : 2, d.disp)) return fail();
      break;
  }
  d.len = uint8_t(n);
  selectHandler(d);
  return true;
}

}  // namespace bv::cpu
