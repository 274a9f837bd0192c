// The software vCPU's decoder, for tools and tests that compare it with another (the debugger's disassembler,
// iced-x86): what it makes of the bytes at one address, without executing them.
#pragma once
#include <cstddef>
#include <cstdint>

namespace bv {

struct DecodedInsn {
  bool complete = false;  // false: the bytes ran out before the instruction did
  bool valid = false;     // false: the vCPU raises #UD (or #GP for more than 15 bytes) for it
  unsigned length = 0;
  uint16_t opcode = 0;  // 0x00-0xFF, or 0x100 | second byte for 0F xx
  bool hasModrm = false;
  uint8_t modrm = 0;
  bool op32 = false, a32 = false;
  uint32_t disp = 0;  // displacement of the memory operand, or the moffs offset of A0-A3
  uint32_t imm = 0;   // first immediate (sign-extended where the form says so), or the relative branch offset
  uint32_t imm2 = 0;  // far pointer selector, ENTER's nesting level
  const char* mnemonic = nullptr;  // the opcode table's row, for messages
};

// code32: the default operand and address size of the code segment.
DecodedInsn decodeInstruction(const uint8_t* bytes, size_t count, bool code32);

}  // namespace bv
