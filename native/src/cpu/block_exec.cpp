// The block tier's threaded executor and the forms it runs inline (see block_exec.h).
#include "cpu/block_exec.h"

#include "cpu/block_forms.h"
#include "cpu/exec.h"

namespace bv::cpu {

using namespace bf;  // NOLINT(google-build-using-namespace): the forms are this file's vocabulary

namespace {

enum class Step { Done, Bail, Stored };

#define INLINE inline __attribute__((always_inline))

// An effective address without a test per register: an absent base or index is gpr[kNoReg], which is 0.
static_assert(kNoReg == 8, "Cpu::gpr[8] is the absent register");
INLINE uint32_t eaFast(const Cpu& c, const Insn& i) {
  return (i.disp + c.gpr[i.base] + (c.gpr[i.index] << i.scale)) & i.amask;
}

// Memory through the segment and the TLB when nothing can go wrong: in the segment's limits and rights, the
// page in the TLB (RAM, not watched, not a device). False: the handler must do it (it then faults or takes
// the slow path), and nothing was changed. An access inside the segment's page window (Cpu::blockRd/blockWr)
// needs neither check: the window was found to pass both for every offset in it by an earlier access of the
// block, and nothing that could change that has run since. A first access that passes opens the window.
void openWindow(Cpu& c, int seg, uint32_t off, bool write);
template <int S>
INLINE uint8_t* inWindow(Cpu::BlockPage& w, uint32_t off) {
  const uint32_t d = off - w.lo;
  return int64_t(d) + (S - 1) <= w.lim ? w.host + d : nullptr;
}
template <int S>
INLINE bool fastRd(Cpu& c, const Insn& i, uint32_t off, uint32_t& v) {
  if (const uint8_t* p = inWindow<S>(c.blockRd[i.seg], off)) {
    v = 0;
    std::memcpy(&v, p, S);  // little-endian host
    return true;
  }
  const Seg& g = c.seg[i.seg];
  if (int64_t(uint32_t(off - g.lo)) + (S - 1) <= g.readSpan && c.fastRead(g.base + off, S, v)) {
    if (c.blockPagesTry & (1u << i.seg)) openWindow(c, i.seg, off, false);
    return true;
  }
  return false;
}
template <int S>
INLINE bool fastWr(Cpu& c, const Insn& i, uint32_t off, uint32_t v) {
  if (uint8_t* p = inWindow<S>(c.blockWr[i.seg], off)) {
    std::memcpy(p, &v, S);
    return true;
  }
  const Seg& g = c.seg[i.seg];
  if (int64_t(uint32_t(off - g.lo)) + (S - 1) <= g.writeSpan && c.fastWrite(g.base + off, S, v)) {
    if (c.blockPagesTry & (0x100u << i.seg)) openWindow(c, i.seg, off, true);
    return true;
  }
  return false;
}
// Read-modify-write: both rights, as the handler's rdRmw + wr would find them.
template <int S>
INLINE bool fastRdRmw(Cpu& c, const Insn& i, uint32_t off, uint32_t& v) {
  return c.seg[i.seg].canWrite && fastRd<S>(c, i, off, v);
}

// ALU op OP with the flags or, when a later instruction overwrites them all (Insn::flagsDead, never for
// ADC and SBB, which read CF), without them.
template <int OP, int S>
INLINE uint32_t aluMaybe(Cpu& c, const Insn& i, uint32_t a, uint32_t b) {
  if (OP != 2 && OP != 3 && i.flagsDead) {
    constexpr uint32_t m = Width<S>::mask;
    switch (OP) {
      case 0: return (a + b) & m;
      case 1: return (a | b) & m;
      case 4: return a & b & m;
      case 6: return (a ^ b) & m;
      default: return (a - b) & m;  // SUB (CMP's result is not stored)
    }
  }
  return alu<S>(c, OP, a, b);
}
template <int OP, int S>
INLINE Step aluEGrr(Cpu& c, const Insn& i) {
  const uint32_t r = aluMaybe<OP, S>(c, i, getReg<S>(c, i.rm), getReg<S>(c, i.reg));
  if (OP != 7) setReg<S>(c, i.rm, r);
  return Step::Done;
}
template <int OP, int S>
INLINE Step aluGErr(Cpu& c, const Insn& i) {
  const uint32_t r = aluMaybe<OP, S>(c, i, getReg<S>(c, i.reg), getReg<S>(c, i.rm));
  if (OP != 7) setReg<S>(c, i.reg, r);
  return Step::Done;
}
template <int OP, int S>
INLINE Step aluRI(Cpu& c, const Insn& i) {
  const uint32_t r = aluMaybe<OP, S>(c, i, getReg<S>(c, i.rm), i.imm);
  if (OP != 7) setReg<S>(c, i.rm, r);
  return Step::Done;
}
template <int OP, int S>
INLINE Step aluGEm(Cpu& c, const Insn& i) {
  uint32_t b;
  if (!fastRd<S>(c, i, eaFast(c, i), b)) return Step::Bail;
  const uint32_t r = aluMaybe<OP, S>(c, i, getReg<S>(c, i.reg), b);
  if (OP != 7) setReg<S>(c, i.reg, r);
  return Step::Done;
}
// memory op= b: the flags are set only once the store went through (else the handler does it all again).
template <int OP, int S>
INLINE Step aluMem(Cpu& c, const Insn& i, uint32_t b) {
  const uint32_t off = eaFast(c, i);
  uint32_t a;
  if constexpr (OP == 7) {
    if (!fastRd<S>(c, i, off, a)) return Step::Bail;
    alu<S>(c, 7, a, b);
    return Step::Done;
  } else {
    if (!fastRdRmw<S>(c, i, off, a)) return Step::Bail;
    const Cpu::FlagSave sv = c.saveFlags();
    if (!fastWr<S>(c, i, off, alu<S>(c, OP, a, b))) {
      c.restoreFlags(sv);
      return Step::Bail;
    }
    return Step::Stored;
  }
}
template <int OP, int S>
INLINE Step aluEGm(Cpu& c, const Insn& i) {
  return aluMem<OP, S>(c, i, getReg<S>(c, i.reg));
}
template <int OP, int S>
INLINE Step aluEIm(Cpu& c, const Insn& i) {
  return aluMem<OP, S>(c, i, i.imm);
}

template <int S>
INLINE Step movEGrr(Cpu& c, const Insn& i) {
  setReg<S>(c, i.rm, getReg<S>(c, i.reg));
  return Step::Done;
}
template <int S>
INLINE Step movGErr(Cpu& c, const Insn& i) {
  setReg<S>(c, i.reg, getReg<S>(c, i.rm));
  return Step::Done;
}
template <int S>
INLINE Step movRIop(Cpu& c, const Insn& i) {
  setReg<S>(c, i.op & 7, i.imm);
  return Step::Done;
}
template <int S>
INLINE Step movEIr(Cpu& c, const Insn& i) {
  setReg<S>(c, i.rm, i.imm);
  return Step::Done;
}
template <int S>
INLINE Step movStore(Cpu& c, const Insn& i) {
  return fastWr<S>(c, i, eaFast(c, i), getReg<S>(c, i.reg)) ? Step::Stored : Step::Bail;
}
template <int S>
INLINE Step movStoreI(Cpu& c, const Insn& i) {
  return fastWr<S>(c, i, eaFast(c, i), i.imm) ? Step::Stored : Step::Bail;
}
template <int S>
INLINE Step movLoad(Cpu& c, const Insn& i) {
  uint32_t v;
  if (!fastRd<S>(c, i, eaFast(c, i), v)) return Step::Bail;
  setReg<S>(c, i.reg, v);
  return Step::Done;
}
template <int S>
INLINE Step leaR(Cpu& c, const Insn& i) {
  setReg<S>(c, i.reg, eaFast(c, i));
  return Step::Done;
}
template <bool DEC, int S>
INLINE uint32_t incdecMaybe(Cpu& c, const Insn& i, uint32_t a) {
  if (i.flagsDead) return DEC ? a - 1 : a + 1;  // setReg keeps the low S bytes
  return incdec<S>(c, a, DEC);
}
template <bool DEC, int S>
INLINE Step incdecOp(Cpu& c, const Insn& i) {
  const int r = i.op & 7;
  setReg<S>(c, r, incdecMaybe<DEC, S>(c, i, getReg<S>(c, r)));
  return Step::Done;
}
template <bool DEC, int S>
INLINE Step incdecRm(Cpu& c, const Insn& i) {
  setReg<S>(c, i.rm, incdecMaybe<DEC, S>(c, i, getReg<S>(c, i.rm)));
  return Step::Done;
}
template <bool DEC, int S>
INLINE Step incdecM(Cpu& c, const Insn& i) {
  const uint32_t off = eaFast(c, i);
  uint32_t a;
  if (!fastRdRmw<S>(c, i, off, a)) return Step::Bail;
  const Cpu::FlagSave sv = c.saveFlags();
  if (!fastWr<S>(c, i, off, incdec<S>(c, a, DEC))) {
    c.restoreFlags(sv);
    return Step::Bail;
  }
  return Step::Stored;
}
template <int S>
INLINE Step testRR(Cpu& c, const Insn& i) {
  if (!i.flagsDead)
    c.setLazy(Cpu::LZ_LOGIC | S, getReg<S>(c, i.rm) & getReg<S>(c, i.reg) & Width<S>::mask, 0, 0, false);
  return Step::Done;
}
template <int S>
INLINE Step testRI(Cpu& c, const Insn& i) {
  if (!i.flagsDead) c.setLazy(Cpu::LZ_LOGIC | S, getReg<S>(c, i.rm) & i.imm & Width<S>::mask, 0, 0, false);
  return Step::Done;
}

// As shiftE: a count that masks to 0 changes nothing.
// With its flags dead (markDeadFlags), only the bits.
template <int OP, int S, bool ONE>
INLINE Step rotateR(Cpu& c, const Insn& i) {
  const unsigned count = ONE ? 1 : (i.imm & 0x1F);
  if (!count) return Step::Done;
  if (i.flagsDead) {
    constexpr uint32_t m = Width<S>::mask;
    constexpr unsigned bits = Width<S>::bits;
    const unsigned n = count % bits;
    const uint32_t a = getReg<S>(c, i.rm) & m;
    if (n) setReg<S>(c, i.rm, (OP == 0 ? (a << n) | (a >> (bits - n)) : (a >> n) | (a << (bits - n))) & m);
    return Step::Done;
  }
  setReg<S>(c, i.rm, rotate<S>(c, OP, getReg<S>(c, i.rm), count));
  return Step::Done;
}
template <int S>
INLINE Step rolI(Cpu& c, const Insn& i) {
  return rotateR<0, S, false>(c, i);
}
template <int S>
INLINE Step rorI(Cpu& c, const Insn& i) {
  return rotateR<1, S, false>(c, i);
}
template <int S>
INLINE Step rol1(Cpu& c, const Insn& i) {
  return rotateR<0, S, true>(c, i);
}
template <int S>
INLINE Step ror1(Cpu& c, const Insn& i) {
  return rotateR<1, S, true>(c, i);
}

template <int S>
INLINE Step incOp(Cpu& c, const Insn& i) {
  return incdecOp<false, S>(c, i);
}
template <int S>
INLINE Step decOp(Cpu& c, const Insn& i) {
  return incdecOp<true, S>(c, i);
}
template <int S>
INLINE Step incRm(Cpu& c, const Insn& i) {
  return incdecRm<false, S>(c, i);
}
template <int S>
INLINE Step decRm(Cpu& c, const Insn& i) {
  return incdecRm<true, S>(c, i);
}
template <int S>
INLINE Step incM(Cpu& c, const Insn& i) {
  return incdecM<false, S>(c, i);
}
template <int S>
INLINE Step decM(Cpu& c, const Insn& i) {
  return incdecM<true, S>(c, i);
}

// NOLINTBEGIN(bugprone-macro-parentheses): FN names a template
// The inline forms, in the order of their dense numbers (after 0, the general way, and the special forms
// below): X(label, form, the step it runs).
#define ALU_ONE(X, K, FN, OP, S) X(K##_##OP##_##S, aluForm(K, OP, S), (FN<OP, S>(c, *op)))
#define ALU_OP(X, K, FN, OP) ALU_ONE(X, K, FN, OP, 1) ALU_ONE(X, K, FN, OP, 2) ALU_ONE(X, K, FN, OP, 4)
#define ALU_KIND(X, K, FN) \
  ALU_OP(X, K, FN, 0)      \
  ALU_OP(X, K, FN, 1)      \
  ALU_OP(X, K, FN, 2)      \
  ALU_OP(X, K, FN, 3) ALU_OP(X, K, FN, 4) ALU_OP(X, K, FN, 5) ALU_OP(X, K, FN, 6) ALU_OP(X, K, FN, 7)
#define SIZE_ONE(X, K, FN, S) X(K##_##S, form(K, sizeCode(S)), (FN<S>(c, *op)))
#define SIZE_KIND(X, K, FN) SIZE_ONE(X, K, FN, 1) SIZE_ONE(X, K, FN, 2) SIZE_ONE(X, K, FN, 4)
#define STEP_FORMS(X)                    \
  ALU_KIND(X, K_ALU_EG_RR, aluEGrr)      \
  ALU_KIND(X, K_ALU_GE_RR, aluGErr)      \
  ALU_KIND(X, K_ALU_RI, aluRI)           \
  ALU_KIND(X, K_ALU_GE_M, aluGEm)        \
  ALU_KIND(X, K_ALU_EG_M, aluEGm)        \
  ALU_KIND(X, K_ALU_EI_M, aluEIm)        \
  SIZE_KIND(X, K_MOV_EG_RR, movEGrr)     \
  SIZE_KIND(X, K_MOV_GE_RR, movGErr)     \
  SIZE_KIND(X, K_MOV_RI_OP, movRIop)     \
  SIZE_KIND(X, K_MOV_EI_R, movEIr)       \
  SIZE_KIND(X, K_MOV_STORE, movStore)    \
  SIZE_KIND(X, K_MOV_LOAD, movLoad)      \
  SIZE_KIND(X, K_MOV_STORE_I, movStoreI) \
  SIZE_KIND(X, K_LEA, leaR)              \
  SIZE_KIND(X, K_TEST_RR, testRR)        \
  SIZE_KIND(X, K_TEST_RI, testRI)        \
  SIZE_KIND(X, K_INC_OP, incOp)          \
  SIZE_KIND(X, K_DEC_OP, decOp)          \
  SIZE_KIND(X, K_INC_RM, incRm)          \
  SIZE_KIND(X, K_DEC_RM, decRm)          \
  SIZE_KIND(X, K_INC_M, incM)            \
  SIZE_KIND(X, K_DEC_M, decM)            \
  SIZE_KIND(X, K_ROL_I, rolI)            \
  SIZE_KIND(X, K_ROR_I, rorI)            \
  SIZE_KIND(X, K_ROL_1, rol1)            \
  SIZE_KIND(X, K_ROR_1, ror1)
#define JCC_FORMS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
// NOLINTEND(bugprone-macro-parentheses)

// Dense number -> form: 0 the general way, then CALL, JMP, the 16 Jcc, then STEP_FORMS.
#define SPARSE_OF(NAME, FORM, STEP) FORM,
#define JCC_SPARSE(CC) form(K_JCC, CC),
constexpr uint16_t kForms[] = {0, form(K_CALL, 0), form(K_JMP, 0), JCC_FORMS(JCC_SPARSE) STEP_FORMS(SPARSE_OF)};
#undef SPARSE_OF
#undef JCC_SPARSE
constexpr unsigned kFormCount = sizeof(kForms) / sizeof(kForms[0]);
constexpr unsigned kSparseLimit = (K_CALL + 1) << 6;

struct DenseTable {
  uint16_t of[kSparseLimit] = {};
};
constexpr DenseTable makeDense() {
  DenseTable t{};
  for (unsigned k = 1; k < kFormCount; ++k) t.of[kForms[k]] = uint16_t(k);
  return t;
}
constexpr DenseTable kDense = makeDense();

// The forms of register-only instructions whose handlers cannot fault, read no EIP, count or restart state
// and set no events: their handler is called as it is.
bool pureRegister(const Insn& i) {
  const uint16_t op = i.op;
  const bool reg = i.mod == 3;
  switch (op) {
    case 0xC0:
    case 0xC1:
    case 0xD0:
    case 0xD1:
    case 0xD2:
    case 0xD3:
    case 0x1A4:
    case 0x1A5:
    case 0x1AC:
    case 0x1AD:  // shifts, rotates, SHLD/SHRD on a register
    case 0x1B6:
    case 0x1B7:
    case 0x1BE:
    case 0x1BF:  // MOVZX/MOVSX from a register
    case 0x1AF:
    case 0x69:
    case 0x6B:  // IMUL with a register source
    case 0x86:
    case 0x87:  // XCHG registers
    case 0x1A3:
    case 0x1AB:
    case 0x1B3:
    case 0x1BB:
    case 0x1BC:
    case 0x1BD:  // BT/BTS/BTR/BTC, BSF/BSR on a register
      return reg;
    case 0xF6:
    case 0xF7: return reg && i.reg >= 2 && i.reg <= 5;  // NOT NEG MUL IMUL (DIV and IDIV may raise #DE)
    case 0x1BA: return reg && i.reg >= 4;               // BT.. with an immediate
    case 0x98:
    case 0x99:  // CBW/CWDE, CWD/CDQ
      return true;
    default: break;
  }
  if (op >= 0x91 && op <= 0x97) return true;                                     // XCHG with the accumulator
  if (op >= 0x1C8 && op <= 0x1CF) return true;                                   // BSWAP
  if ((op >= 0x140 && op <= 0x14F) || (op >= 0x190 && op <= 0x19F)) return reg;  // CMOVcc, SETcc
  return false;
}

}  // namespace

namespace bf {

uint16_t sparseForm(const Insn& i) {
  if (i.lock || i.rep || i.fn == opUndefined || i.fn == opBadLock) return 0;
  const uint16_t op = i.op;
  const int v = i.op32 ? 4 : 2;
  const bool mem = i.mod != 3;
  if (op < 0x40 && (op & 7) < 6) {
    const unsigned aop = op >> 3;
    const int s = (op & 1) ? v : 1;
    switch (op & 7) {
      case 0:
      case 1: return aluForm(mem ? K_ALU_EG_M : K_ALU_EG_RR, aop, s);
      case 2:
      case 3: return aluForm(mem ? K_ALU_GE_M : K_ALU_GE_RR, aop, s);
      default: return aluForm(K_ALU_RI, aop, s);  // the accumulator: rm is 0
    }
  }
  const int s = (op & 1) ? v : 1;
  switch (op) {
    case 0x80:
    case 0x82: return aluForm(mem ? K_ALU_EI_M : K_ALU_RI, i.reg, 1);
    case 0x81:
    case 0x83: return aluForm(mem ? K_ALU_EI_M : K_ALU_RI, i.reg, v);
    case 0x84:
    case 0x85: return mem ? 0 : form(K_TEST_RR, sizeCode(s));
    case 0xA8:
    case 0xA9: return form(K_TEST_RI, sizeCode(s));
    case 0xF6:
    case 0xF7:
      if (i.reg <= 1) return mem ? 0 : form(K_TEST_RI, sizeCode(s));
      break;
    case 0xFE:
    case 0xFF:
      if (i.reg == 0) return form(mem ? K_INC_M : K_INC_RM, sizeCode(s));
      if (i.reg == 1) return form(mem ? K_DEC_M : K_DEC_RM, sizeCode(s));
      return 0;
    case 0x88:
    case 0x89: return form(mem ? K_MOV_STORE : K_MOV_EG_RR, sizeCode(s));
    case 0x8A:
    case 0x8B: return form(mem ? K_MOV_LOAD : K_MOV_GE_RR, sizeCode(s));
    case 0xA0:
    case 0xA1: return form(K_MOV_LOAD, sizeCode(s));  // reg is 0 (no ModRM), ea is the offset
    case 0xA2:
    case 0xA3: return form(K_MOV_STORE, sizeCode(s));
    case 0xC6:
    case 0xC7:
      if (i.reg != 0) return 0;
      return form(mem ? K_MOV_STORE_I : K_MOV_EI_R, sizeCode(s));
    case 0x8D: return mem ? form(K_LEA, sizeCode(v)) : 0;
    case 0xEB:
    case 0xE9: return form(K_JMP, 0);
    case 0xC0:
    case 0xC1:
      if (!mem && i.reg <= 1) return form(i.reg ? K_ROR_I : K_ROL_I, sizeCode(s));
      break;
    case 0xD0:
    case 0xD1:
      if (!mem && i.reg <= 1) return form(i.reg ? K_ROR_1 : K_ROL_1, sizeCode(s));
      break;
    default: break;
  }
  if (op >= 0x40 && op <= 0x47) return form(K_INC_OP, sizeCode(v));
  if (op >= 0x48 && op <= 0x4F) return form(K_DEC_OP, sizeCode(v));
  if (op >= 0xB0 && op <= 0xB7) return form(K_MOV_RI_OP, sizeCode(1));
  if (op >= 0xB8 && op <= 0xBF) return form(K_MOV_RI_OP, sizeCode(v));
  if (op >= 0x70 && op <= 0x7F) return form(K_JCC, op & 0xF);
  if (op >= 0x180 && op <= 0x18F) return form(K_JCC, op & 0xF);
  if (pureRegister(i)) return form(K_CALL, 0);
  return 0;
}

}  // namespace bf

namespace {

// The history of a loop's further passes, written once as it is left: every pass has the same entries, so
// only the last ring's worth of them (whole passes, the current one included even if it was cut short: the
// caller takes back the entries past its last instruction) needs writing, instead of n entries a pass.
void loopHistory(BlockLoop& loop, unsigned n, const uint64_t* offsets) {
  if (!loop.ring || loop.extra == 0) return;
  const uint64_t total = uint64_t(loop.extra) * n;
  const uint64_t ring = loop.mask + 1;
  uint64_t from = total > ring ? (total - ring) / n * n : 0;
  for (uint64_t p = loop.pos + from; from < total; from += n, p += n)
    for (unsigned k = 0; k < n; ++k) loop.ring[(p + k) & loop.mask] = loop.base + offsets[k];
  loop.pos += total;
  loop.extra = 0;
}

}  // namespace

namespace {
// Opens segment seg's read (write) window around off when all 4 KiB of offsets in the linear page of its
// base + off are inside the segment for the access and the TLB maps the page for the inline paths.
__attribute__((noinline)) void openWindow(Cpu& c, int seg, uint32_t off, bool write) {
  const Seg& g = c.seg[seg];
  const uint32_t page = (g.base + off) & ~0xFFFu;
  const uint32_t lo = page - g.base;
  uint8_t* host = nullptr;
  if (int64_t(uint32_t(lo - g.lo)) + 0xFFF > (write ? g.writeSpan : g.readSpan) || !(host = c.hostPage(page, write))) {
    c.blockPagesTry &= ~((write ? 0x100u : 1u) << seg);
    return;
  }
  c.blockPagesSet = true;
  Cpu::BlockPage& w = write ? c.blockWr[seg] : c.blockRd[seg];
  w.lo = lo;
  w.lim = 0xFFF;
  w.host = host;
}
}  // namespace

namespace {
// The CF and OF a rotate whose flags were skipped (Insn::flagsDead across memory moves, see markDeadFlags)
// would have set, set before an instruction between it and their overwriter leaves the inline path. They
// depend only on the rotated value, which is still in the rotate's register (nothing between writes it):
// rotate() by a whole turn leaves the value and sets them from it.
__attribute__((noinline)) void fixRotateFlags(Cpu& c, const Insn* first, const Insn* op) {
  const Insn* r = op;
  while (r != first && !(--r)->flagsDead) {}
  const uint16_t f = kForms[r->fast];
  const unsigned kind = f >> 6;
  const int rop = (kind == K_ROR_I || kind == K_ROR_1) ? 1 : 0;
  if (kind != K_ROL_1 && kind != K_ROR_1 && (r->imm & 0x1F) == 0) return;  // a count of 0 sets nothing
  switch (f & 63) {
    case 1: rotate<1>(c, rop, getReg<1>(c, r->rm), 8); break;
    case 2: rotate<2>(c, rop, getReg<2>(c, r->rm), 16); break;
    default: rotate<4>(c, rop, getReg<4>(c, r->rm), 32); break;
  }
}
// The register bit an inline move writes (8-bit registers 4-7 are the high bytes of 0-3).
unsigned regBit(unsigned sizeCodeOf, unsigned r) { return 1u << (sizeCodeOf == 1 ? (r & 3) : r); }
}  // namespace

uint16_t fastForm(const Insn& i) {
  const uint16_t f = sparseForm(i);
  return f < kSparseLimit ? kDense.of[f] : 0;
}

uint16_t blockEndForm() { return kFormCount; }

void markDeadFlags(Insn* ops, unsigned n) {
  // Walking back from the block's end: `killed` while a later instruction sets every flag with nothing
  // between that reads a flag or may leave the block (which would show the flags of this one).
  bool killed = false;
  int memKiller = -1;    // the later instruction that overwrites every flag, memory moves between allowed
  unsigned written = 0;  // registers written between it and here
  for (unsigned k = n; k-- > 0;) {
    Insn& i = ops[k];
    i.flagsDead = false;
    i.flagsFix = false;
    const uint16_t f = sparseForm(i);
    const unsigned kind = f >> 6, aluOp = (f & 63) >> 2;
    const bool aluKind = kind >= K_ALU_EG_RR && kind <= K_ALU_EI_M;
    const bool noCarryIn = aluKind && aluOp != 2 && aluOp != 3;  // not ADC or SBB
    // Inline forms whose flags may be skipped (the memory ones that fail their fast path run the handler,
    // which sets the flags itself).
    const bool skippable = (noCarryIn && kind != K_ALU_EG_M && kind != K_ALU_EI_M) || kind == K_TEST_RR ||
                           kind == K_TEST_RI || (kind >= K_INC_OP && kind <= K_DEC_RM);
    if (killed && skippable && i.fast != 0) i.flagsDead = true;
    // What the instruction does to a later one's claim. Register-only ALU and TEST set all six flags from
    // their operands and cannot fault; moves and LEA neither read nor set flags nor fault; anything else
    // might read the flags, fault, or leave.
    const bool setsAll =
        i.fast != 0 && ((noCarryIn && (kind == K_ALU_EG_RR || kind == K_ALU_GE_RR || kind == K_ALU_RI)) ||
                        kind == K_TEST_RR || kind == K_TEST_RI);
    const bool transparent = i.fast != 0 && (kind == K_MOV_EG_RR || kind == K_MOV_GE_RR || kind == K_MOV_RI_OP ||
                                             kind == K_MOV_EI_R || kind == K_LEA);
    if (setsAll) killed = true;
    else if (!transparent) killed = false;
    // A rotate (CF and OF only, no flag read, no fault) may also skip them when memory moves lie between it
    // and an overwriter (which may itself be a memory ALU op): those may leave the inline path, so they get
    // flagsFix, and the rotated register must stay unwritten until the overwriter.
    const bool rot = i.fast != 0 && kind >= K_ROL_I && kind <= K_ROR_1;
    if (rot && !i.flagsDead && memKiller >= 0 && !(written & regBit(f & 63, i.rm))) {
      i.flagsDead = true;
      for (unsigned j = k + 1; j <= unsigned(memKiller); ++j) ops[j].flagsFix = true;
    }
    const bool memSetsAll = i.fast != 0 && noCarryIn && kind == K_ALU_GE_M;
    if (setsAll || memSetsAll) {
      memKiller = int(k);
      written = 0;
    } else if (i.fast != 0 && (transparent || kind == K_MOV_LOAD)) {
      const unsigned dst = (kind == K_MOV_RI_OP)                         ? (i.op & 7u)
                           : (kind == K_MOV_EG_RR || kind == K_MOV_EI_R) ? i.rm
                                                                         : i.reg;
      written |= regBit(f & 63, dst);
    } else if (!(i.fast != 0 && (kind == K_MOV_STORE || kind == K_MOV_STORE_I))) {
      memKiller = -1;
    }
  }
}

const Insn* execBlock(Cpu& c, const Insn* const first, unsigned n, const uint64_t* offsets, uint32_t eip,
                      BlockLoop* loop) {
  // Threaded code: each form jumps straight to the next instruction's (labels as values, GCC and Clang).
#define LABEL_OF(NAME, FORM, STEP) &&L_##NAME,
#define JCC_LABEL(CC) &&L_JCC_##CC,
  static const void* const kLabels[kFormCount + 1] = {&&L_GENERIC, &&L_CALL, &&L_JMP,
                                                      JCC_FORMS(JCC_LABEL) STEP_FORMS(LABEL_OF) && L_END};
#undef LABEL_OF
#undef JCC_LABEL
  uint64_t count0 = c.icount;  // at the start of this pass
  const uint32_t gen0 = c.codeGen;
  // A self-looping block's last jump, taken, goes back to eip (Block::selfLoop) unless a 16-bit jump wraps
  // IP away from it; the start is inside CS (it was fetched) and CS stays: no target or limit to compute.
  // IF and TF (the stop flags) only change through instructions that end a block, or through a fault,
  // which leaves it: checked once. `passes` counts down the passes left in a register; the loop's record is
  // brought up to date wherever the loop is left (SYNC_LOOP).
  const bool backToStart =
      loop && (first[n - 1].op32 || eip <= 0xFFFF) && eip <= c.seg[SEG_CS].limit && !(c.rawFlags() & loop->stopFlags);
  unsigned passes = backToStart ? loop->passes : 0;
  const unsigned passes0 = passes;
  c.forgetBlockPages();  // the run loop may have changed anything since the last block
  c.blockPagesTry = passes != 0 ? 0x3F3F : 0;
#define SYNC_LOOP()                    \
  do {                                 \
    if (loop) {                        \
      loop->extra += passes0 - passes; \
      loop->passes = passes;           \
      loopHistory(*loop, n, offsets);  \
    }                                  \
  } while (0)
  const Insn* const end = first + n;
  const Insn* op = first;
  Step st;
  bool taken;
  // The slot after the block's last instruction holds the end form (blockEndForm), so going on needs no
  // test of its own.
#define NEXT()               \
  do {                       \
    ++op;                    \
    goto* kLabels[op->fast]; \
  } while (0)
  // The JIT's code (null: none) runs each pass from the start while it makes progress; where it stops (the
  // branch, or a memory access outside the open windows) the threaded code runs on with the state exact. Two
  // calls in a row that end in the first pass (a window that does not open) leave the loop to the threaded code.
  JitFn jit = passes != 0 ? loop->jit : nullptr;
  unsigned jitStalls = 0;
  if (jit) goto runJit;
  goto* kLabels[op->fast];

runJit : {
  JitIo io;
  io.passes = passes;
  op = first + jit(&c, &io);
  const unsigned done = passes - io.passes;
  passes = io.passes;
  count0 += uint64_t(done) * n;
  if (done != 0) jitStalls = 0;
  else if (++jitStalls == 2) jit = nullptr;
  goto* kLabels[op->fast];
}

#define STEP_BODY(NAME, FORM, STEP) \
  L_##NAME : st = STEP;             \
  if (st == Step::Done) NEXT();     \
  goto other;
  STEP_FORMS(STEP_BODY)
#undef STEP_BODY

L_CALL:
  op->fn(c, *op);
  NEXT();

L_END:
  goto finish;

#define JCC_BODY(CC)                \
  L_JCC_##CC : taken = cond(c, CC); \
  goto jump;
  JCC_FORMS(JCC_BODY)
#undef JCC_BODY

L_JMP:
  taken = true;
jump:
  if (taken && passes != 0 && c.codeGen == gen0) {
    // Back to the block's start: the next pass, without leaving (its history is written when the loop is
    // left, see loopHistory).
    --passes;
    count0 += n;
    op = first;
    if (jit && passes != 0) goto runJit;
    goto* kLabels[op->fast];
  }
  {
    // A near jump ends its block: it sets EIP and the last instruction's state itself.
    const uint32_t at = eip + uint32_t(offsets[op - first]);
    uint32_t next = at + op->len;
    if (taken) {
      const uint32_t target = op->op32 ? next + op->imm : ((next + op->imm) & 0xFFFF);
      if (target > c.seg[SEG_CS].limit) {
        st = Step::Bail;  // the handler raises #GP
        goto other;
      }
      next = target;
    }
    c.insnEip = at;
    c.insnEsp = c.gpr[4];
    c.eip = next;
    c.icount = count0 + n;
    SYNC_LOOP();
    return end;
  }

L_GENERIC:
  st = Step::Bail;
other:
  if (st == Step::Stored && !c.events) NEXT();  // a store, not into code
  if (op->flagsFix) fixRotateFlags(c, first, op);
  {
    const unsigned k = unsigned(op - first);
    const uint32_t at = eip + uint32_t(offsets[k]);
    c.insnEip = at;
    c.insnEsp = c.gpr[4];
    c.eip = at + op->len;
    if (st == Step::Bail) {  // the general way: the handler with the whole per-instruction state
      c.icount = count0 + k;
      op->fn(c, *op);
      c.forgetBlockPages();  // a handler may load a segment, write a CR, INVLPG, fill the TLB, watch...
    }
    c.icount = count0 + k + 1;
    if (c.events) {
      SYNC_LOOP();
      return op;
    }
    NEXT();
  }
#undef NEXT

finish:
  // The last instruction ran inline or through its handler without leaving the block early: a jump set
  // everything itself, otherwise EIP follows the block.
  const unsigned k = n - 1;
  const Insn& last = first[k];
  if (last.fast != 0) {
    const uint32_t at = eip + uint32_t(offsets[k]);
    c.insnEip = at;
    c.insnEsp = c.gpr[4];
    c.eip = at + last.len;
  }
  c.icount = count0 + n;
  SYNC_LOOP();
  return end;
#undef SYNC_LOOP
}

}  // namespace bv::cpu
