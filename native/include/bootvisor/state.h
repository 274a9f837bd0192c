// The vCPU state in the shape NVMM uses (struct nvmm_x64_state), so the software vCPU, KVM and NVMM can
// hand a running guest to one another without loss. Index constants follow NVMM's numbering.
#pragma once
#include <cstdint>

namespace bv {

enum SegIndex : int {
  SEG_ES = 0,
  SEG_CS,
  SEG_SS,
  SEG_DS,
  SEG_FS,
  SEG_GS,
  SEG_GDT,
  SEG_IDT,
  SEG_LDT,
  SEG_TR,
  SEG_COUNT
};
enum GprIndex : int {
  GPR_RAX = 0,
  GPR_RCX,
  GPR_RDX,
  GPR_RBX,
  GPR_RSP,
  GPR_RBP,
  GPR_RSI,
  GPR_RDI,
  GPR_R8,
  GPR_R9,
  GPR_R10,
  GPR_R11,
  GPR_R12,
  GPR_R13,
  GPR_R14,
  GPR_R15,
  GPR_RIP = 16,
  GPR_RFLAGS = 17,
  GPR_COUNT = 18
};
enum CrIndex : int { CR_CR0 = 0, CR_CR2, CR_CR3, CR_CR4, CR_CR8, CR_XCR0, CR_COUNT };
enum DrIndex : int { DR_DR0 = 0, DR_DR1, DR_DR2, DR_DR3, DR_DR6, DR_DR7, DR_COUNT };
enum MsrIndex : int {
  MSR_EFER = 0,
  MSR_STAR,
  MSR_LSTAR,
  MSR_CSTAR,
  MSR_SFMASK,
  MSR_KERNELGSBASE,
  MSR_SYSENTER_CS,
  MSR_SYSENTER_ESP,
  MSR_SYSENTER_EIP,
  MSR_PAT,
  MSR_TSC,
  MSR_COUNT
};

// Descriptor attributes as NVMM packs them (type:4 s:1 dpl:2 p:1 avl:1 l:1 def:1 g:1).
struct SegAttrib {
  uint16_t type : 4;
  uint16_t s : 1;
  uint16_t dpl : 2;
  uint16_t p : 1;
  uint16_t avl : 1;
  uint16_t l : 1;
  uint16_t def : 1;
  uint16_t g : 1;
  uint16_t rsvd : 4;
};

// SegAttrib as one number (type in bits 0-3, s 4, dpl 5-6, p 7, avl 8, l 9, def 10, g 11): the form the
// debugger's registers (common/api.ts `attrib`) and the nested test's boot plans carry.
inline uint32_t packSegAttrib(const SegAttrib& a) {
  return a.type | (a.s << 4) | (a.dpl << 5) | (a.p << 7) | (a.avl << 8) | (a.l << 9) | (a.def << 10) | (a.g << 11);
}
inline SegAttrib unpackSegAttrib(uint32_t v) {
  SegAttrib a = {};
  a.type = v & 15;
  a.s = (v >> 4) & 1;
  a.dpl = (v >> 5) & 3;
  a.p = (v >> 7) & 1;
  a.avl = (v >> 8) & 1;
  a.l = (v >> 9) & 1;
  a.def = (v >> 10) & 1;
  a.g = (v >> 11) & 1;
  return a;
}

struct SegState {
  uint16_t selector = 0;
  SegAttrib attrib = {};
  uint32_t limit = 0;  // byte-granular (already scaled by G)
  uint64_t base = 0;
};

struct IntrState {
  bool int_shadow = false;          // the instruction after STI / MOV SS: no interrupt yet
  bool int_window_exiting = false;  // exit with InterruptWindow as soon as an interrupt could be taken
  bool nmi_window_exiting = false;
  bool evt_pending = false;
  // An external interrupt the PIC has handed over (INTA done, its IRQ in service) that the vCPU has not
  // delivered yet: its vector, or -1. Set and read by the software vCPU, so that a snapshot taken in that
  // instant restores it and a restore elsewhere does not leave an injection from another timeline behind.
  int16_t irq_vector = -1;
};

// The x87 FPU: control, status (with TOP) and full tag words as FSTENV stores them, the last instruction's
// opcode and pointers, and the eight registers in ST(i) order (as FXSAVE and KVM's struct kvm_fpu keep them),
// ten bytes each, little-endian. FNINIT's state by default.
struct FpuState {
  uint16_t fcw = 0x037F, fsw = 0, ftw = 0xFFFF, fop = 0;
  uint32_t fip = 0, fdp = 0;
  uint16_t fcs = 0, fds = 0;
  uint8_t st[8][10] = {};
};

struct CpuState {
  SegState segs[SEG_COUNT];
  uint64_t gprs[GPR_COUNT] = {};
  uint64_t crs[CR_COUNT] = {};
  uint64_t drs[DR_COUNT] = {};
  uint64_t msrs[MSR_COUNT] = {};
  IntrState intr;
  FpuState fpu;
  bool halted = false;  // waiting in HLT for an interrupt (not part of NVMM's struct; kept by the monitor)
};

// RFLAGS bits the monitor and the debugger name.
namespace flags {
constexpr uint32_t CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7, TF = 1u << 8, IF = 1u << 9,
                   DF = 1u << 10, OF = 1u << 11, IOPL = 3u << 12, NT = 1u << 14, RF = 1u << 16, VM = 1u << 17,
                   AC = 1u << 18, ID = 1u << 21;
}

// CR0 bits.
namespace cr0 {
constexpr uint32_t PE = 1u << 0, MP = 1u << 1, EM = 1u << 2, TS = 1u << 3, ET = 1u << 4, NE = 1u << 5, WP = 1u << 16,
                   AM = 1u << 18, NW = 1u << 29, CD = 1u << 30, PG = 1u << 31;
}

// The state real PC BIOSes leave when they jump to a boot sector at 0000:7C00.
CpuState bootState(uint8_t bootDrive);
// The architectural RESET state (CS:IP = F000:FFF0 with base FFFF0000), as NVMM creates a vCPU.
CpuState resetState();

}  // namespace bv
