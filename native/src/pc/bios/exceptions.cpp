// What an unhandled real-mode exception was, from the IRET frame its default ROM handler received: the vector,
// the CS:IP the CPU pushed, the instruction's bytes, and the reason in words for the stop record.
#include <cstdio>

#include "bootvisor/exceptions.h"
#include "pc/bios/bios.h"

namespace bv {

namespace {
bool isPrefix(uint8_t b) {
  return b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x26 || b == 0x2E || b == 0x36 ||
         b == 0x3E || b == 0x64 || b == 0x65;
}

// Bytes a ModRM operand takes (ModRM itself included), for 16- or 32-bit addressing.
unsigned modrmLength(const uint8_t* p, unsigned avail, bool addr32) {
  if (avail < 1) return 0;
  uint8_t m = p[0], mod = m >> 6, rm = m & 7;
  if (mod == 3) return 1;
  if (!addr32) {
    if (mod == 0) return rm == 6 ? 3 : 1;
    return mod == 1 ? 2 : 3;
  }
  unsigned n = 1;
  if (rm == 4) {
    if (avail < 2) return 0;
    ++n;
    if (mod == 0 && (p[1] & 7) == 5) return n + 4;
  } else if (mod == 0 && rm == 5) {
    return n + 4;
  }
  return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

// The length of the instruction that raised `vector` at `p`, for the few instructions that raise 0-7 in real
// mode; 0 when it is not one of them (the caller then shows the opcode bytes alone).
unsigned faultingLength(uint8_t vector, const uint8_t* p, unsigned avail) {
  unsigned i = 0;
  bool addr32 = false;
  while (i < avail && i < 14 && isPrefix(p[i])) addr32 ^= p[i++] == 0x67;
  if (i >= avail) return 0;
  uint8_t op = p[i];
  auto withModrm = [&](unsigned opLen) -> unsigned {
    unsigned m = modrmLength(p + i + opLen, avail - i - opLen, addr32);
    return m ? i + opLen + m : 0;
  };
  switch (vector) {
    case 0:
      if (op == 0xF6 || op == 0xF7) return withModrm(1);
      if (op == 0xD4) return i + 2;  // AAM imm8
      return 0;
    case 5: return op == 0x62 ? withModrm(1) : 0;
    case 6:
      if (op == 0x0F && i + 1 < avail) {
        uint8_t op2 = p[i + 1];
        if (op2 == 0x0B) return i + 2;                        // UD2
        if (op2 == 0xB9 || op2 == 0xFF) return withModrm(2);  // UD1 / UD0
        return i + 2;
      }
      return i + 1;
    case 7: return (op >= 0xD8 && op <= 0xDF) || op == 0x9B ? (op == 0x9B ? i + 1 : withModrm(1)) : 0;
    default: return 0;
  }
}

std::string hexBytes(const std::vector<uint8_t>& b) {
  std::string s;
  char t[4];
  for (uint8_t x : b) {
    std::snprintf(t, sizeof t, "%s%02X", s.empty() ? "" : " ", x);
    s += t;
  }
  return s;
}
}  // namespace

bool describeUnhandledException(const GuestMemory& mem, const CpuState& st, uint8_t vector, UnhandledException& out) {
  if (vector > 7) return false;
  uint32_t ssBase = uint32_t(st.segs[SEG_SS].base);
  uint16_t sp = uint16_t(st.gprs[GPR_RSP]);
  out.vector = vector;
  out.ip = mem.read16(ssBase + sp);
  out.cs = mem.read16(ssBase + uint16_t(sp + 2));
  out.flags = mem.read16(ssBase + uint16_t(sp + 4));
  uint32_t csBase = uint32_t(out.cs) << 4;
  auto byteAt = [&](uint16_t ip) { return mem.read8(csBase + ip); };
  bool softwareInt = byteAt(uint16_t(out.ip - 2)) == 0xCD && byteAt(uint16_t(out.ip - 1)) == vector;
  // INT 5 is also the PC's print-screen service: a program calling it means no harm.
  if (vector == 5 && softwareInt) return false;
  if (vector == 1 || vector == 2) return false;

  // INT3, INTO and software INTs push the address after themselves.
  const ExceptionInfo& info = exceptionInfo(vector);
  bool trap = info.kind == ExceptionClass::Trap || softwareInt;
  unsigned len = 0;
  if (softwareInt) {
    len = 2;
  } else if (vector == 3 || vector == 4) {
    len = 1;  // CC / CE
  }
  out.insnIp = trap ? uint16_t(out.ip - len) : out.ip;
  uint8_t code[15];
  for (unsigned i = 0; i < sizeof code; ++i) code[i] = byteAt(uint16_t(out.insnIp + i));
  if (!trap) {
    len = faultingLength(vector, code, sizeof code);
    if (!len) len = 1;
  }
  out.bytes.assign(code, code + len);
  out.name = info.mnemonic;
  char at[16];
  std::snprintf(at, sizeof at, "%04X:%04X", out.cs, out.insnIp);
  out.reason = std::string(info.name) + " " + hexBytes(out.bytes) + " at " + at;
  if (softwareInt) out.reason += " (a software INT " + std::to_string(vector) + ")";
  return true;
}

}  // namespace bv
