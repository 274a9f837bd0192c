// The decoder's table, built at compile time from opcodes.def, and handler selection: the table names the
// instruction-group file, whose select function picks the operand form (see exec.h).
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

namespace {

constexpr uint8_t ALL = 0xFF, NONE = 0x00;  // ModRM.reg sets in opcodes.def

struct Row {
  uint16_t first, last;
  bool modrm;
  ImmKind imm;
  uint8_t immRegs, lockRegs;
  const char* groups;
  const char* mnemonic;
};

constexpr Row kRows[] = {
#define OP(first, last, modrm, imm, immRegs, lockRegs, groups, mnemonic) \
  {first, last, (modrm) != 0, IMM_##imm, immRegs, lockRegs, groups, mnemonic},
#include "cpu/opcodes.def"
#undef OP
};

constexpr OpGroup groupOf(char c) {
  switch (c) {
    case 'A': return OpGroup::Alu;
    case 'S': return OpGroup::Shift;
    case 'M': return OpGroup::MulDiv;
    case 'B': return OpGroup::Bcd;
    case 'D': return OpGroup::Data;
    case 'K': return OpGroup::Stack;
    case 'C': return OpGroup::Control;
    case 'T': return OpGroup::String;
    case 'I': return OpGroup::Io;
    case 'Y': return OpGroup::System;
    case 'X': return OpGroup::Bits;
    default: return OpGroup::None;
  }
}

constexpr unsigned length(const char* s) {
  unsigned n = 0;
  while (s[n]) ++n;
  return n;
}

// Rows must be in order, must not overlap, and name one group or eight.
constexpr bool rowsValid() {
  unsigned next = 0;
  for (const Row& r : kRows) {
    if (r.first < next || r.last < r.first || r.last >= kOpcodeCount) return false;
    unsigned n = length(r.groups);
    if (n != 1 && n != 8) return false;
    for (unsigned k = 0; k < n; ++k) {
      if (r.groups[k] != '-' && groupOf(r.groups[k]) == OpGroup::None) return false;
    }
    next = r.last + 1u;
  }
  return true;
}
static_assert(rowsValid(), "opcodes.def: rows out of order, overlapping, or with a bad group letter");

constexpr OpcodeTable build() {
  OpcodeTable t{};
  for (const Row& r : kRows) {
    for (unsigned op = r.first; op <= r.last; ++op) {
      OpInfo& o = t.ops[op];
      o.modrm = r.modrm;
      o.imm = r.imm;
      o.immRegs = r.immRegs;
      o.lockRegs = r.lockRegs;
      o.mnemonic = r.mnemonic;
      const bool perReg = length(r.groups) == 8;
      for (unsigned reg = 0; reg < 8; ++reg) o.groups[reg] = groupOf(r.groups[perReg ? reg : 0]);
    }
  }
  return t;
}

}  // namespace

// Constant-initialized: the table is in the binary, built by the compiler.
const OpcodeTable kOpcodeTable = build();

void opUndefined(Cpu& c, const Insn& i) {
  if (i.op == 0xFFFF) {
    c.raise(VEC_GP, 0, "instruction longer than 15 bytes");
    return;
  }
  if (i.op >= 0x100) c.raise(VEC_UD, 0, "opcode 0F %02X is not a valid instruction", i.op & 0xFF);
  else c.raise(VEC_UD, 0, "opcode %02X is not a valid instruction here", i.op);
}

// LOCK is allowed only on read-modify-write forms with a memory destination (#UD otherwise, 386+).
static bool lockable(const Insn& i) { return i.mod != 3 && ((opInfo(i.op).lockRegs >> i.reg) & 1); }

void opBadLock(Cpu& c, const Insn& i) {
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
  bool ok = false;
  switch (opInfo(i.op).groups[i.reg]) {
    case OpGroup::None: break;
    case OpGroup::Alu: ok = selectAlu(i); break;
    case OpGroup::Shift: ok = selectShift(i); break;
    case OpGroup::MulDiv: ok = selectMulDiv(i); break;
    case OpGroup::Bcd: ok = selectBcd(i); break;
    case OpGroup::Data: ok = selectData(i); break;
    case OpGroup::Stack: ok = selectStack(i); break;
    case OpGroup::Control: ok = selectControl(i); break;
    case OpGroup::String: ok = selectString(i); break;
    case OpGroup::Io: ok = selectIo(i); break;
    case OpGroup::System: ok = selectSystem(i); break;
    case OpGroup::Bits: ok = selectBits(i); break;
  }
  if (ok) return;
  i.fn = opUndefined;
}

}  // namespace bv::cpu
