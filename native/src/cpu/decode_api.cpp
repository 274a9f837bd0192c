// bootvisor/decode.h over the decoder the vCPU runs (insn.h and the opcode table).
#include "bootvisor/decode.h"

#include "cpu/exec.h"

namespace bv {

DecodedInsn decodeInstruction(const uint8_t* bytes, size_t count, bool code32) {
  DecodedInsn out;
  cpu::Insn d;
  bool ranOut = false;
  auto fetch = [&](unsigned i, uint8_t& v) {
    if (i >= count) {
      ranOut = true;
      return false;
    }
    v = bytes[i];
    return true;
  };
  if (!cpu::decodeInsn(d, code32, fetch) || ranOut) return out;
  out.complete = true;
  out.valid = d.fn != cpu::opUndefined && d.fn != cpu::opBadLock;
  out.length = d.len;
  out.opcode = d.op;
  out.hasModrm = d.op != 0xFFFF && cpu::opHasModrm(d.op);
  out.modrm = d.modrm;
  out.op32 = d.op32;
  out.a32 = d.a32;
  out.disp = d.disp;
  out.imm = d.imm;
  out.imm2 = d.imm2;
  out.mnemonic = d.op != 0xFFFF ? cpu::opInfo(d.op).mnemonic : nullptr;
  return out;
}

}  // namespace bv
