#include "vmm/spin_probe.h"

namespace bv {

bool SpinProbe::readsOnly(const uint8_t* b, size_t n) {
  size_t i = 0;
  // Segment overrides only: operand/address-size prefixes would change the operand lengths decoded here.
  while (i < n && (b[i] == 0x26 || b[i] == 0x2E || b[i] == 0x36 || b[i] == 0x3E || b[i] == 0x64 || b[i] == 0x65)) ++i;
  if (i >= n) return false;
  uint8_t op = b[i];
  if (op >= 0x70 && op <= 0x7F) return true;                    // jcc rel8
  if (op == 0xEB || op == 0xE9 || op == 0x90) return true;       // jmp, nop
  if (op >= 0xB0 && op <= 0xBF) return true;                     // mov reg, imm
  if (op == 0x3C || op == 0x3D || op == 0xA8 || op == 0xA9) return true;  // cmp/test al/ax, imm
  if (op == 0xA0 || op == 0xA1) return true;                     // mov al/ax, [moffs]
  if (op == 0xF3 && i + 1 < n && b[i + 1] == 0x90) return true;  // pause
  if (i + 1 >= n) return false;
  uint8_t modrm = b[i + 1], reg = (modrm >> 3) & 7;
  switch (op) {
    case 0x8A: case 0x8B:                // mov reg, r/m
    case 0x38: case 0x39: case 0x3A: case 0x3B:  // cmp
    case 0x84: case 0x85:                // test
      return true;
    case 0x80: case 0x81: case 0x83:     // group 1 with /7: cmp r/m, imm
      return reg == 7;
    case 0xF6: case 0xF7:                // group 3 with /0: test r/m, imm
      return reg == 0;
    case 0x0F:                           // jcc rel16
      return b[i + 1] >= 0x80 && b[i + 1] <= 0x8F;
    default:
      return false;
  }
}

}  // namespace bv
