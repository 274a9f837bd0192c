// The block tier's instruction forms (see block_exec.h): what execBlock runs inline, and what the JIT for
// looping blocks (jit_x64.h) reads to decide what it can compile.
#pragma once
#include <cstdint>

#include "cpu/insn.h"

namespace bv::cpu::bf {

// A form is (kind << 6) | detail: the ALU kinds keep the operation and the operand size in the detail
// (op * 4 + size code), the others the size code (1, 2, 3 for 8, 16, 32 bits) or the condition.
enum Kind : uint16_t {
  K_ALU_EG_RR = 1,  // r/m register op= reg
  K_ALU_GE_RR,      // reg op= r/m register
  K_ALU_RI,         // r/m register (or the accumulator: rm is 0 without a ModRM) op= immediate
  K_ALU_GE_M,       // reg op= memory
  K_ALU_EG_M,       // memory op= reg
  K_ALU_EI_M,       // memory op= immediate
  K_MOV_EG_RR,      // r/m register = reg
  K_MOV_GE_RR,      // reg = r/m register
  K_MOV_RI_OP,      // register in the opcode = immediate
  K_MOV_EI_R,       // r/m register = immediate
  K_MOV_STORE,      // memory = reg (moffs forms: reg is 0, the accumulator)
  K_MOV_LOAD,       // reg = memory
  K_MOV_STORE_I,    // memory = immediate
  K_LEA,
  K_INC_OP,  // register in the opcode
  K_DEC_OP,
  K_INC_RM,  // r/m register
  K_DEC_RM,
  K_INC_M,
  K_DEC_M,
  K_TEST_RR,
  K_TEST_RI,
  K_ROL_I,  // ROL/ROR of a register by an immediate count (C0/C1) or by 1 (D0/D1)
  K_ROR_I,
  K_ROL_1,
  K_ROR_1,
  K_JCC,   // detail: the condition
  K_JMP,   // EB, E9
  K_CALL,  // a register-only instruction that cannot fault and reads no EIP: its handler, directly
};

constexpr uint16_t form(unsigned kind, unsigned detail) { return uint16_t(kind << 6 | detail); }
constexpr unsigned sizeCode(int s) { return s == 1 ? 1 : s == 2 ? 2 : 3; }
constexpr uint16_t aluForm(unsigned kind, unsigned op, int s) { return form(kind, op * 4 + sizeCode(s)); }

// The sparse form (kind << 6 | detail) of a decoded instruction; 0: none (the general way).
uint16_t sparseForm(const Insn& i);

}  // namespace bv::cpu::bf
