// IN and OUT (immediate port and DX), served in-line by the ExitHandler; IOPL and the TSS bitmap in
// protected mode.
#include "cpu/exec.h"

namespace bv::cpu {

namespace {

// IMM: the port is the immediate byte, else DX.
template <int S, bool IMM>
void in(Cpu& c, const Insn& i) {
  uint16_t port = IMM ? uint16_t(i.imm & 0xFF) : uint16_t(c.gpr[2]);
  if (!ioAllowed(c, port, S)) return;
  uint32_t v;
  c.portIn(port, S, v);
  setReg<S>(c, 0, v);
}

template <int S, bool IMM>
void out(Cpu& c, const Insn& i) {
  uint16_t port = IMM ? uint16_t(i.imm & 0xFF) : uint16_t(c.gpr[2]);
  if (!ioAllowed(c, port, S)) return;
  c.portOut(port, S, getReg<S>(c, 0) & Width<S>::mask);
}

}  // namespace

bool selectIo(Insn& i) {
  const bool o32 = i.op32;
  switch (i.op) {
    case 0xE4: i.fn = in<1, true>; return true;
    case 0xE5: i.fn = o32 ? in<4, true> : in<2, true>; return true;
    case 0xEC: i.fn = in<1, false>; return true;
    case 0xED: i.fn = o32 ? in<4, false> : in<2, false>; return true;
    case 0xE6: i.fn = out<1, true>; return true;
    case 0xE7: i.fn = o32 ? out<4, true> : out<2, true>; return true;
    case 0xEE: i.fn = out<1, false>; return true;
    case 0xEF: i.fn = o32 ? out<4, false> : out<2, false>; return true;
    default: return false;
  }
}

}  // namespace bv::cpu
