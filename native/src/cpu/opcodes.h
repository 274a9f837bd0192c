// The opcode table (opcodes.def) as the decoder reads it: one entry per opcode, 00-FF and 0F 00-0F FF.
#pragma once
#include <cstdint>

namespace bv::cpu {

enum ImmKind : uint8_t { IMM_NONE, IMM_B, IMM_BS, IMM_W, IMM_V, IMM_VS, IMM_AP, IMM_ENTER, IMM_MOFFS };

// The instruction-group file that implements an opcode (its select function picks the operand form).
enum class OpGroup : uint8_t { None, Alu, Shift, MulDiv, Bcd, Data, Stack, Control, String, Io, System, Bits };

struct OpInfo {
  bool modrm = false;
  ImmKind imm = IMM_NONE;
  uint8_t immRegs = 0;   // ModRM.reg values (bits) that take the immediate
  uint8_t lockRegs = 0;  // ModRM.reg values (bits) that accept LOCK with a memory operand
  OpGroup groups[8] = {};
  const char* mnemonic = nullptr;  // nullptr: no row, #UD
};

constexpr unsigned kOpcodeCount = 0x200;
struct OpcodeTable {
  OpInfo ops[kOpcodeCount];
};
extern const OpcodeTable kOpcodeTable;  // decoder.cpp

// op: 0x00-0xFF, or 0x100 | second byte for 0F xx.
inline const OpInfo& opInfo(uint16_t op) { return kOpcodeTable.ops[op & (kOpcodeCount - 1)]; }
inline bool opHasModrm(uint16_t op) { return opInfo(op).modrm; }
inline ImmKind opImmKind(uint16_t op, uint8_t reg) {
  const OpInfo& o = opInfo(op);
  return (o.immRegs >> (reg & 7)) & 1 ? o.imm : IMM_NONE;
}

}  // namespace bv::cpu
