// The decoder's tables: which opcodes take a ModRM byte and which immediate, and handler selection by the
// instruction-group files (each claims its own opcodes; see exec.h).
#include "cpu/exec.h"

#include <array>

namespace bv::cpu {

static constexpr std::array<uint8_t, 256> makeParity() {
  std::array<uint8_t, 256> t{};
  for (int v = 0; v < 256; ++v) {
    int bits = 0;
    for (int k = 0; k < 8; ++k) bits += (v >> k) & 1;
    t[v] = (bits % 2 == 0) ? PF : 0;
  }
  return t;
}
const std::array<uint8_t, 256> kParity = makeParity();

bool opHasModrm(uint16_t op) {
  if (op < 0x100) {
    if (op < 0x40) return (op & 7) < 4;
    switch (op) {
      case 0x62: case 0x63: case 0x69: case 0x6B: case 0xC0: case 0xC1: case 0xC4: case 0xC5: case 0xC6:
      case 0xC7: case 0xD0: case 0xD1: case 0xD2: case 0xD3: case 0xF6: case 0xF7: case 0xFE: case 0xFF:
        return true;
      default:
        return (op >= 0x80 && op <= 0x8F) || (op >= 0xD8 && op <= 0xDF);
    }
  }
  uint8_t b = op & 0xFF;
  if (b <= 0x03) return true;
  if (b >= 0x18 && b <= 0x1F) return true;  // hint NOPs
  if (b >= 0x20 && b <= 0x23) return true;
  if (b >= 0x40 && b <= 0x4F) return true;
  if (b >= 0x90 && b <= 0x9F) return true;
  switch (b) {
    case 0xA3: case 0xA4: case 0xA5: case 0xAB: case 0xAC: case 0xAD: case 0xAF: case 0xB0: case 0xB1:
    case 0xB2: case 0xB3: case 0xB4: case 0xB5: case 0xB6: case 0xB7: case 0xBA: case 0xBB: case 0xBC:
    case 0xBD: case 0xBE: case 0xBF: case 0xC0: case 0xC1: case 0xC7:
      return true;
    default:
      return false;
  }
}

uint8_t opImmKind(uint16_t op, uint8_t reg) {
  if (op < 0x40) {
    if ((op & 7) == 4) return IMM_B;
    if ((op & 7) == 5) return IMM_V;
    return IMM_NONE;
  }
  if (op >= 0x70 && op <= 0x7F) return IMM_BS;
  if (op >= 0xB0 && op <= 0xB7) return IMM_B;
  if (op >= 0xB8 && op <= 0xBF) return IMM_V;
  if (op >= 0xA0 && op <= 0xA3) return IMM_MOFFS;
  if (op >= 0x180 && op <= 0x18F) return IMM_VS;
  switch (op) {
    case 0x68: case 0x69: case 0x81: case 0xA9: case 0xC7: return IMM_V;
    case 0x6A: case 0x6B: case 0x83: case 0xE0: case 0xE1: case 0xE2: case 0xE3: case 0xEB: return IMM_BS;
    case 0x80: case 0x82: case 0xA8: case 0xC0: case 0xC1: case 0xC6: case 0xCD: case 0xD4: case 0xD5:
    case 0xE4: case 0xE5: case 0xE6: case 0xE7: case 0x1A4: case 0x1AC: case 0x1BA:
      return IMM_B;
    case 0x9A: case 0xEA: return IMM_AP;
    case 0xC2: case 0xCA: return IMM_W;
    case 0xC8: return IMM_ENTER;
    case 0xE8: case 0xE9: return IMM_VS;
    case 0xF6: return reg < 2 ? IMM_B : IMM_NONE;
    case 0xF7: return reg < 2 ? IMM_V : IMM_NONE;
    default: return IMM_NONE;
  }
}

void opUndefined(Cpu& c, const Insn& i) {
  if (i.op == 0xFFFF) {
    c.raise(VEC_GP, 0, "instruction longer than 15 bytes");
    return;
  }
  if (i.op >= 0x100) c.raise(VEC_UD, 0, "opcode 0F %02X is not a valid instruction", i.op & 0xFF);
  else c.raise(VEC_UD, 0, "opcode %02X is not a valid instruction here", i.op);
}

// LOCK is allowed only on these read-modify-write forms with a memory destination (#UD otherwise, 386+).
static bool lockable(const Insn& i) {
  if (i.mod == 3) return false;
  const uint16_t op = i.op;
  if (op < 0x40) return (op & 7) < 2 && (op >> 3) != 7;  // ADD OR ADC SBB AND SUB XOR to E (not CMP)
  switch (op) {
    case 0x80: case 0x81: case 0x82: case 0x83: return i.reg != 7;
    case 0x86: case 0x87: return true;
    case 0xF6: case 0xF7: return i.reg == 2 || i.reg == 3;
    case 0xFE: case 0xFF: return i.reg < 2;
    case 0x1AB: case 0x1B3: case 0x1BB: case 0x1B0: case 0x1B1: case 0x1C0: case 0x1C1: return true;
    case 0x1BA: return i.reg >= 5;
    case 0x1C7: return i.reg == 1;
    default: return false;
  }
}

static void opBadLock(Cpu& c, const Insn& i) {
  c.raise(VEC_UD, 0, "LOCK prefix on an instruction that cannot be locked (opcode %s%02X)", i.op >= 0x100 ? "0F " : "",
          i.op & 0xFF);
}

void selectHandler(Insn& i) {
  i.fn = opUndefined;
  if (i.op == 0xFFFF) return;
  if (i.lock && !lockable(i)) {
    i.fn = opBadLock;
    return;
  }
  if (selectAlu(i) || selectShift(i) || selectMulDiv(i) || selectBcd(i) || selectData(i) || selectStack(i) ||
      selectControl(i) || selectString(i) || selectIo(i) || selectSystem(i) || selectBits(i))
    return;
  i.fn = opUndefined;
}

}  // namespace bv::cpu
