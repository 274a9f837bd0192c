// The x87 state between CpuState and the hardware backends: the abridged tag byte FXSAVE and KVM keep (one
// bit per register, "not empty") and the full tag word rebuilt from the registers' contents, the 512-byte
// FXSAVE image NVMM's state carries, and the code and data selectors that neither keeps.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bootvisor/state.h"

namespace bv {

inline uint8_t abridgedTags(uint16_t ftw) {
  uint8_t a = 0;
  for (int r = 0; r < 8; ++r)
    if (((ftw >> (2 * r)) & 3) != 3) a |= uint8_t(1u << r);
  return a;
}

// The full tag word FXRSTOR computes: a register marked in use is valid, zero or special by what it holds.
inline uint16_t fullTags(uint8_t abridged, const FpuState& f) {
  const unsigned top = (f.fsw >> 11) & 7;
  uint16_t tw = 0;
  for (unsigned r = 0; r < 8; ++r) {
    unsigned tag = 3;
    if (abridged & (1u << r)) {
      const uint8_t* v = f.st[(r - top) & 7];
      uint64_t sig;
      uint16_t se;
      std::memcpy(&sig, v, 8);
      std::memcpy(&se, v + 8, 2);
      const unsigned exp = se & 0x7FFF;
      tag = exp == 0 ? (sig == 0 ? 1 : 2) : (exp == 0x7FFF || !(sig >> 63)) ? 2 : 0;
    }
    tw |= uint16_t(tag << (2 * r));
  }
  return tw;
}

// The x87 fields of an FXSAVE image in its 64-bit layout (FIP and FDP as 64-bit offsets, no selectors), which
// is how the host kernels save a guest's FPU: KVM's kvm_fpu holds the same fields packed its own way, NVMM's
// state and KVM's XSAVE area hold the image itself. The one place the image's layout is written.
struct FxsaveX87 {
  uint16_t fcw = 0, fsw = 0;
  uint8_t ftwx = 0;  // abridged: one "not empty" bit a register
  uint16_t fop = 0;
  uint64_t fip = 0, fdp = 0;
  uint8_t st[8][16] = {};  // ST(0) to ST(7), 10 bytes each in a 16-byte slot
};
// The SSE fields of the image (the x87's writer leaves them as they were) and its size.
constexpr size_t kFxsaveMxcsr = 24, kFxsaveMxcsrMask = 28, kFxsaveXmm = 160, kFxsaveSize = 512;

inline void writeFxsaveX87(const FxsaveX87& x, uint8_t* fx) {
  std::memcpy(fx + 0, &x.fcw, 2);
  std::memcpy(fx + 2, &x.fsw, 2);
  fx[4] = x.ftwx;
  fx[5] = 0;
  std::memcpy(fx + 6, &x.fop, 2);
  std::memcpy(fx + 8, &x.fip, 8);
  std::memcpy(fx + 16, &x.fdp, 8);
  for (int i = 0; i < 8; ++i) std::memcpy(fx + 32 + 16 * i, x.st[i], 16);
}

inline FxsaveX87 readFxsaveX87(const uint8_t* fx) {
  FxsaveX87 x;
  std::memcpy(&x.fcw, fx + 0, 2);
  std::memcpy(&x.fsw, fx + 2, 2);
  x.ftwx = fx[4];
  std::memcpy(&x.fop, fx + 6, 2);
  std::memcpy(&x.fip, fx + 8, 8);
  std::memcpy(&x.fdp, fx + 16, 8);
  for (int i = 0; i < 8; ++i) std::memcpy(x.st[i], fx + 32 + 16 * i, 16);
  return x;
}

inline FxsaveX87 x87FromFpu(const FpuState& in) {
  FxsaveX87 x;
  x.fcw = in.fcw;
  x.fsw = in.fsw;
  x.ftwx = abridgedTags(in.ftw);
  x.fop = in.fop;
  x.fip = in.fip;
  x.fdp = in.fdp;
  for (int i = 0; i < 8; ++i) std::memcpy(x.st[i], in.st[i], 10);
  return x;
}

// The selectors the image lacks read as 0 (FpuSelectors puts them back); the offsets keep their low 32 bits.
inline void fpuFromX87(const FxsaveX87& x, FpuState& out) {
  out.fcw = x.fcw;
  out.fsw = x.fsw;
  out.fop = x.fop & 0x7FF;
  out.fip = uint32_t(x.fip);
  out.fdp = uint32_t(x.fdp);
  out.fcs = out.fds = 0;
  for (int i = 0; i < 8; ++i) std::memcpy(out.st[i], x.st[i], 10);
  out.ftw = fullTags(x.ftwx, out);
}

// The x87 half of `fx` from CpuState's x87 and back; the SSE half of `fx` is left as it was.
inline void fpuToFxsave(const FpuState& in, uint8_t* fx) { writeFxsaveX87(x87FromFpu(in), fx); }
inline void fpuFromFxsave(const uint8_t* fx, FpuState& out) { fpuFromX87(readFxsaveX87(fx), out); }

// KVM's kvm_fpu and NVMM's 64-bit FXSAVE image have no FCS and FDS. What the backend was last given is kept:
// while the hardware reports the same last instruction (opcode and both offsets) the guest ran no x87
// instruction since, so the selectors are still those; after x87 code ran on the hardware they read as 0, as
// they do on CPUs that deprecate them (CPUID.(EAX=7):EBX bit 13).
struct FpuSelectors {
  bool known = false;
  uint16_t fop = 0, fcs = 0, fds = 0;
  uint32_t fip = 0, fdp = 0;
  void remember(const FpuState& s) {
    known = true;
    fop = s.fop;
    fip = s.fip;
    fdp = s.fdp;
    fcs = s.fcs;
    fds = s.fds;
  }
  void restore(FpuState& s) const {
    if (known && s.fop == fop && s.fip == fip && s.fdp == fdp) {
      s.fcs = fcs;
      s.fds = fds;
    }
  }
};

}  // namespace bv
