// The x87 state between CpuState and the hardware backends: the abridged tag byte FXSAVE and KVM keep (one
// bit per register, "not empty") and the full tag word rebuilt from the registers' contents, the 512-byte
// FXSAVE image NVMM's state carries, and the code and data selectors that neither keeps.
#pragma once
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

// The x87 half of an FXSAVE image in its 64-bit layout (FIP and FDP as 64-bit offsets, no selectors), which
// is how the host kernels save a guest's FPU; the SSE half of `fx` is left as it was.
inline void fpuToFxsave(const FpuState& in, uint8_t* fx) {
  std::memcpy(fx + 0, &in.fcw, 2);
  std::memcpy(fx + 2, &in.fsw, 2);
  fx[4] = abridgedTags(in.ftw);
  fx[5] = 0;
  std::memcpy(fx + 6, &in.fop, 2);
  const uint64_t fip = in.fip, fdp = in.fdp;
  std::memcpy(fx + 8, &fip, 8);
  std::memcpy(fx + 16, &fdp, 8);
  for (int i = 0; i < 8; ++i) {
    std::memset(fx + 32 + 16 * i, 0, 16);
    std::memcpy(fx + 32 + 16 * i, in.st[i], 10);
  }
}

inline void fpuFromFxsave(const uint8_t* fx, FpuState& out) {
  std::memcpy(&out.fcw, fx + 0, 2);
  std::memcpy(&out.fsw, fx + 2, 2);
  std::memcpy(&out.fop, fx + 6, 2);
  out.fop &= 0x7FF;
  std::memcpy(&out.fip, fx + 8, 4);
  std::memcpy(&out.fdp, fx + 16, 4);
  out.fcs = out.fds = 0;
  for (int i = 0; i < 8; ++i) std::memcpy(out.st[i], fx + 32 + 16 * i, 10);
  out.ftw = fullTags(fx[4], out);
}

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
