// The JIT for looping blocks on x86-64 hosts (see jit_x64.h): a small assembler and the translation of the
// whitelisted forms.
#include "cpu/jit_x64.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>

#include "cpu/block_cache.h"
#include "cpu/block_forms.h"
#include "cpu/cpu.h"

#if defined(__x86_64__) && (defined(__linux__) || defined(__NetBSD__) || defined(__APPLE__) || defined(__FreeBSD__))
#define BV_JIT_HOST 1
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace bv::cpu {

using namespace bf;  // NOLINT(google-build-using-namespace): the block tier's forms are what is translated

namespace {

// Zero bytes before each function: tools that look in front of an indirect call's target for a signature
// (UBSan's -fsanitize=function in newer Clangs) find none there instead of old code or an unmapped page.
constexpr size_t kGuard = 16;

// Host registers. Roles in the generated code: RDI the Cpu, RSI the JitIo, EBP the passes left, EBX the
// guest's CF (0 or 1), EDX the guest's flags_ (its CF bit stale while EBX holds CF), RAX and RCX scratch;
// guest EAX..EDI live in R8..R15 (zero-extended: a 16-bit write keeps the upper half as the guest's).
enum : int { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
constexpr int host(int guest) { return R8 + guest; }

constexpr uint32_t kAll = 0x8D5, kNoCarry = 0x8D4, kCarryOverflow = 0x801;

struct Mem {
  int base = -1, index = -1, scale = 0;
  int32_t disp = 0;
};

class Asm {
 public:
  explicit Asm(std::vector<uint8_t>& out) : b_(out) {}
  size_t pos() const { return b_.size(); }
  void u8(unsigned v) { b_.push_back(uint8_t(v)); }
  void u16(uint32_t v) {
    u8(v & 0xFF);
    u8((v >> 8) & 0xFF);
  }
  void u32(uint32_t v) {
    for (int k = 0; k < 4; ++k) u8((v >> (8 * k)) & 0xFF);
  }
  void patchRel32(size_t at, size_t target) {
    const int32_t rel = int32_t(int64_t(target) - int64_t(at + 4));
    std::memcpy(&b_[at], &rel, 4);
  }

  // op r/m(register rm), reg
  void rr(bool p66, bool w, std::initializer_list<uint8_t> opc, int reg, int rm) {
    prefix(p66, w, reg, 0, rm);
    for (uint8_t o : opc) u8(o);
    u8(0xC0 | (reg & 7) << 3 | (rm & 7));
  }
  // op r/m(memory), reg: always a SIB byte and a 32-bit displacement (one encoding for every base).
  void rm(bool p66, bool w, std::initializer_list<uint8_t> opc, int reg, const Mem& m) {
    prefix(p66, w, reg, m.index < 0 ? 0 : m.index, m.base < 0 ? 0 : m.base);
    for (uint8_t o : opc) u8(o);
    const unsigned idx = m.index < 0 ? 4 : (m.index & 7);
    if (m.base < 0) {
      u8(0x04 | (reg & 7) << 3);
      u8(m.scale << 6 | idx << 3 | 5);
    } else {
      u8(0x84 | (reg & 7) << 3);
      u8(m.scale << 6 | idx << 3 | (m.base & 7));
    }
    u32(uint32_t(m.disp));
  }
  void movImm32(int reg, uint32_t imm) {
    prefix(false, false, 0, 0, reg);
    u8(0xB8 + (reg & 7));
    u32(imm);
  }
  size_t jcc(unsigned cc) {
    u8(0x0F);
    u8(0x80 | cc);
    u32(0);
    return pos() - 4;
  }
  size_t jz8() {
    u8(0x74);
    u8(0);
    return pos() - 1;
  }
  void patchRel8(size_t at) { b_[at] = uint8_t(pos() - (at + 1)); }
  size_t jmp() {
    u8(0xE9);
    u32(0);
    return pos() - 4;
  }
  void push(int r) {
    if (r >= 8) u8(0x41);
    u8(0x50 + (r & 7));
  }
  void pop(int r) {
    if (r >= 8) u8(0x41);
    u8(0x58 + (r & 7));
  }

 private:
  void prefix(bool p66, bool w, int reg, int index, int base) {
    if (p66) u8(0x66);
    const unsigned rex =
        (w ? 8u : 0u) | unsigned((reg >> 3) & 1) << 2 | unsigned((index >> 3) & 1) << 1 | unsigned((base >> 3) & 1);
    if (rex) u8(0x40 | rex);
  }
  std::vector<uint8_t>& b_;
};

// One instruction as the translator sees it.
struct Plan {
  unsigned kind = 0, size = 4, aop = 0;
  bool mem = false;
  uint32_t def = 0;   // the arithmetic flags it sets
  bool live = false;  // some exit sees one of them: the flags are computed
};

bool planOf(const Insn& i, Plan& p) {
  if (i.fast == 0) return false;
  const uint16_t f = sparseForm(i);
  p.kind = f >> 6;
  const unsigned d = f & 63;
  unsigned sc = d;
  switch (p.kind) {
    case K_ALU_EG_RR:
    case K_ALU_GE_RR:
    case K_ALU_RI:
    case K_ALU_GE_M:
      p.aop = d >> 2;
      sc = d & 3;
      if (p.aop == 2 || p.aop == 3) return false;  // ADC, SBB read CF
      p.def = kAll;
      p.mem = p.kind == K_ALU_GE_M;
      break;
    case K_TEST_RR:
    case K_TEST_RI: p.def = kAll; break;
    case K_INC_OP:
    case K_DEC_OP:
    case K_INC_RM:
    case K_DEC_RM: p.def = kNoCarry; break;
    case K_ROL_I:
    case K_ROR_I: p.def = (i.imm & 0x1F) ? kCarryOverflow : 0; break;
    case K_ROL_1:
    case K_ROR_1: p.def = kCarryOverflow; break;
    case K_MOV_EG_RR:
    case K_MOV_GE_RR:
    case K_MOV_RI_OP:
    case K_MOV_EI_R:
    case K_LEA: break;
    case K_MOV_STORE:
    case K_MOV_LOAD:
    case K_MOV_STORE_I: p.mem = true; break;
    default: return false;
  }
  if (sc != 2 && sc != 3) return false;  // 8-bit registers stay on the threaded tier
  p.size = sc == 2 ? 2 : 4;
  if (p.mem && i.amask != 0xFFFF && i.amask != 0xFFFFFFFFu) return false;
  return true;
}

class Translator {
 public:
  Translator(const int32_t* at, std::vector<uint8_t>& out) : a_(out), at_(at) {}

  // The order of JitCache::at_ (see its constructor).
  enum Field { GPR, FLAGS, LZOP, LZRES, LZA, LZB, RDLO, RDLIM, RDHOST, WRLO, WRLIM, WRHOST, PAGESIZE };
  Mem field(Field f, int extra = 0) const { return Mem{RDI, -1, 0, at_[f] + extra}; }
  Mem window(Field f, int seg) const { return field(f, seg * at_[PAGESIZE]); }

  bool run(const Insn* ops, unsigned n);

 private:
  struct Exit {
    size_t at;
    unsigned k;
  };
  void exitIf(unsigned cc, unsigned k) { exits_.push_back({a_.jcc(cc), k}); }
  // A 16- or 32-bit value of host register r into a lazy-record field (zero-extended).
  void storeValue(Field f, int r, unsigned size) {
    if (size == 4) {
      a_.rm(false, false, {0x89}, r, field(f));
    } else {
      a_.rr(false, false, {0x0F, 0xB7}, RCX, r);  // movzx ecx, r16
      a_.rm(false, false, {0x89}, RCX, field(f));
    }
  }
  void storeLzOp(unsigned v) {
    a_.rm(false, false, {0xC6}, 0, field(LZOP));
    a_.u8(v);
    knownLz_ = int(v);
  }
  // The operand's offset (effective address) in ECX.
  void offset(const Insn& i);
  // The operand's address in RAX + RCX, or an exit to instruction k when it is outside the open window.
  void address(const Insn& i, bool write, unsigned size, unsigned k);
  // ADD OR AND SUB XOR CMP (aop), or TEST (test): a op= b, b a guest register (bReg >= 0), RAX (bReg = -1)
  // or the immediate.
  void alu(unsigned aop, bool test, unsigned size, int aReg, int bReg, bool bImm, uint32_t imm, bool live);
  void incdec(bool dec, unsigned size, int r, bool live);
  void rotate(bool right, unsigned size, int r, unsigned count, bool live);

  Asm a_;
  const int32_t* at_;
  std::vector<Exit> exits_;
  int knownLz_ = -1;  // the lazy record's kind as last stored by this pass, -1 unknown
};

void Translator::offset(const Insn& i) {
  const Mem ea{i.base != kNoReg ? host(i.base) : -1, i.index != kNoReg ? host(i.index) : -1, i.scale, int32_t(i.disp)};
  if (ea.base < 0 && ea.index < 0) a_.movImm32(RCX, i.disp);
  else a_.rm(false, false, {0x8D}, RCX, ea);                           // lea ecx, [...]: modulo 2^32
  if (i.amask == 0xFFFF) a_.rr(false, false, {0x0F, 0xB7}, RCX, RCX);  // movzx ecx, cx
}

void Translator::address(const Insn& i, bool write, unsigned size, unsigned k) {
  offset(i);
  a_.rm(false, false, {0x2B}, RCX, window(write ? WRLO : RDLO, i.seg));     // sub ecx, lo: rcx = d
  a_.rm(false, true, {0x8D}, RAX, Mem{RCX, -1, 0, int32_t(size - 1)});      // lea rax, [rcx + size - 1]
  a_.rm(false, true, {0x3B}, RAX, window(write ? WRLIM : RDLIM, i.seg));    // cmp rax, lim
  exitIf(0xF, k);                                                           // jg: outside
  a_.rm(false, true, {0x8B}, RAX, window(write ? WRHOST : RDHOST, i.seg));  // mov rax, host
}

void Translator::alu(unsigned aop, bool test, unsigned size, int aReg, int bReg, bool bImm, uint32_t imm, bool live) {
  const bool p66 = size == 2;
  const uint32_t mask = size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
  const bool writes = !test && aop != 7;
  if (!writes && !live) return;
  const unsigned hostOp = test ? 4 : aop == 7 ? 5 : aop;
  const unsigned lz = aop == 0 && !test ? Cpu::LZ_ADD : (aop == 5 || aop == 7) && !test ? Cpu::LZ_SUB : Cpu::LZ_LOGIC;
  const int ha = host(aReg);
  const int hb = bReg >= 0 ? host(bReg) : RAX;
  if (live && lz != Cpu::LZ_LOGIC) {
    storeValue(LZA, ha, size);
    if (bImm) {
      a_.rm(false, false, {0xC7}, 0, field(LZB));
      a_.u32(imm & mask);
    } else if (bReg >= 0) {
      storeValue(LZB, hb, size);
    } else {
      a_.rm(false, false, {0x89}, RAX, field(LZB));  // loaded zero-extended
    }
  }
  const int target = writes ? ha : RCX;
  if (!writes) a_.rr(false, false, {0x89}, ha, RCX);  // mov ecx, a
  if (bImm) {
    a_.rr(p66, false, {0x81}, int(hostOp), target);
    if (size == 2) a_.u16(imm);
    else a_.u32(imm);
  } else {
    a_.rr(p66, false, {uint8_t(hostOp << 3 | 1)}, hb, target);
  }
  if (!live) return;
  // From here on nothing may change the host flags: a Jcc after this instruction tests them.
  if (lz == Cpu::LZ_LOGIC) a_.movImm32(RBX, 0);
  else a_.rr(false, false, {0x0F, 0x92}, 0, RBX);  // setc bl
  storeValue(LZRES, target, size);
  storeLzOp(lz | size);
}

void Translator::incdec(bool dec, unsigned size, int r, bool live) {
  const int h = host(r);
  if (live) storeValue(LZA, h, size);
  a_.rr(size == 2, false, {0xFF}, dec ? 1 : 0, h);
  if (!live) return;
  storeValue(LZRES, h, size);
  a_.rm(false, false, {0xC7}, 0, field(LZB));
  a_.u32(1);
  storeLzOp((dec ? Cpu::LZ_SUB : Cpu::LZ_ADD) | size);
}

void Translator::rotate(bool right, unsigned size, int r, unsigned count, bool live) {
  if (count == 0) return;  // a count that masks to 0 changes nothing
  const int h = host(r);
  const unsigned bits = size * 8, turn = count % bits;
  if (turn) {
    a_.rr(size == 2, false, {0xC1}, right ? 1 : 0, h);
    a_.u8(turn);
  }
  if (!live) return;
  // CF and OF as rotate() in exec.h sets them (OF for counts above 1 too, which the SDM leaves undefined).
  auto shr = [&](int reg, unsigned by) {
    a_.rr(false, false, {0xC1}, 5, reg);
    a_.u8(by);
  };
  auto andImm = [&](int reg, uint32_t v) {
    a_.rr(false, false, {0x81}, 4, reg);
    a_.u32(v);
  };
  a_.rr(false, false, {0x89}, h, RBX);  // ebx = value
  a_.rr(false, false, {0x89}, h, RAX);  // eax = value
  if (!right) {
    andImm(RBX, 1);  // CF = bit 0
    shr(RAX, bits - 1);
  } else {
    shr(RBX, bits - 1);  // CF = the sign bit
    andImm(RBX, 1);
    a_.rr(false, false, {0x89}, RAX, RCX);
    shr(RCX, 1);
    a_.rr(false, false, {0x31}, RCX, RAX);  // eax = value ^ value >> 1: bit bits-2 is OF
    shr(RAX, bits - 2);
  }
  andImm(RAX, 1);
  if (!right) a_.rr(false, false, {0x31}, RBX, RAX);  // OF = sign ^ CF
  a_.rr(false, false, {0xC1}, 4, RAX);                // shl eax, 11
  a_.u8(11);
  andImm(RDX, ~0x800u);
  a_.rr(false, false, {0x09}, RAX, RDX);
  // The lazy record keeps OF from here on (Cpu::setCO): LZ_OF_EXACT when there is one.
  if (knownLz_ > 0) {
    storeLzOp(unsigned(knownLz_) | Cpu::LZ_OF_EXACT);
  } else {
    a_.rm(false, false, {0x0F, 0xB6}, RAX, field(LZOP));  // movzx eax, byte lzOp
    a_.rr(false, false, {0x85}, RAX, RAX);
    const size_t skip = a_.jz8();         // none: nothing to mark
    a_.rr(false, false, {0x83}, 1, RAX);  // or eax, 0x40
    a_.u8(Cpu::LZ_OF_EXACT);
    a_.rm(false, false, {0x88}, RAX, field(LZOP));
    a_.patchRel8(skip);
    knownLz_ = -1;
  }
}

bool Translator::run(const Insn* ops, unsigned n) {
  if (n < 2 || n > BlockCache::kMaxOps) return false;
  Plan plan[BlockCache::kMaxOps];
  for (unsigned k = 0; k + 1 < n; ++k)
    if (!planOf(ops[k], plan[k])) return false;
  const Insn& last = ops[n - 1];
  const uint16_t lastForm = sparseForm(last);
  const bool jcc = (lastForm >> 6) == K_JCC;
  if (!jcc && (lastForm >> 6) != K_JMP) return false;
  const unsigned cc = lastForm & 15;
  if (jcc) {
    // The branch tests the host flags of the instruction before it, which must set them as the guest's.
    const Plan& p = plan[n - 2];
    if (p.def == 0) return false;
    if (p.def == kCarryOverflow) return false;
    if (p.def == kNoCarry && ((cc >> 1) == 1 || (cc >> 1) == 3)) return false;  // CF: INC/DEC keep it
  }
  // Flag liveness, backwards: every exit (before a memory access, before the branch) sees them all.
  uint32_t live = kAll;
  for (unsigned k = n - 1; k-- > 0;) {
    plan[k].live = (plan[k].def & live) != 0;
    live &= ~plan[k].def;
    if (plan[k].mem) live = kAll;
  }
  // The guest registers the block touches: loaded at entry, the written ones stored at every exit.
  unsigned used = 0, written = 0;
  for (unsigned k = 0; k + 1 < n; ++k) {
    const Insn& i = ops[k];
    const unsigned kind = plan[k].kind;
    if (plan[k].mem || kind == K_LEA) {
      if (i.base != kNoReg) used |= 1u << i.base;
      if (i.index != kNoReg) used |= 1u << i.index;
    }
    switch (kind) {
      case K_ALU_EG_RR:
        used |= 1u << i.rm | 1u << i.reg;
        if (plan[k].aop != 7) written |= 1u << i.rm;
        break;
      case K_ALU_GE_RR:
        used |= 1u << i.rm | 1u << i.reg;
        if (plan[k].aop != 7) written |= 1u << i.reg;
        break;
      case K_ALU_RI:
        used |= 1u << i.rm;
        if (plan[k].aop != 7) written |= 1u << i.rm;
        break;
      case K_ALU_GE_M:
        used |= 1u << i.reg;
        if (plan[k].aop != 7) written |= 1u << i.reg;
        break;
      case K_TEST_RR: used |= 1u << i.rm | 1u << i.reg; break;
      case K_TEST_RI: used |= 1u << i.rm; break;
      case K_INC_OP:
      case K_DEC_OP:
        used |= 1u << (i.op & 7);
        written |= 1u << (i.op & 7);
        break;
      case K_INC_RM:
      case K_DEC_RM:
      case K_ROL_I:
      case K_ROR_I:
      case K_ROL_1:
      case K_ROR_1:
      case K_MOV_EG_RR:
      case K_MOV_EI_R:
        used |= 1u << i.rm;
        written |= 1u << i.rm;
        if (kind == K_MOV_EG_RR) used |= 1u << i.reg;
        break;
      case K_MOV_GE_RR:
        used |= 1u << i.rm | 1u << i.reg;
        written |= 1u << i.reg;
        break;
      case K_MOV_RI_OP:
        used |= 1u << (i.op & 7);
        written |= 1u << (i.op & 7);
        break;
      case K_MOV_LOAD:
      case K_LEA:
        used |= 1u << i.reg;
        written |= 1u << i.reg;
        break;
      case K_MOV_STORE: used |= 1u << i.reg; break;
      default: break;
    }
  }

  // Entry.
  for (int r : {RBX, RBP, R12, R13, R14, R15}) a_.push(r);
  for (int g = 0; g < 8; ++g)
    if (used & (1u << g)) a_.rm(false, false, {0x8B}, host(g), field(GPR, 4 * g));
  a_.rm(false, false, {0x8B}, RBP, Mem{RSI, -1, 0, 0});  // passes
  a_.rm(false, false, {0x8B}, RDX, field(FLAGS));
  a_.rr(false, false, {0x89}, RDX, RBX);
  a_.rr(false, false, {0x81}, 4, RBX);
  a_.u32(1);
  while (a_.pos() % 16) a_.u8(0x90);
  const size_t top = a_.pos();

  for (unsigned k = 0; k + 1 < n; ++k) {
    const Insn& i = ops[k];
    const Plan& p = plan[k];
    const unsigned s = p.size;
    const bool p66 = s == 2;
    const uint32_t mask = s == 2 ? 0xFFFFu : 0xFFFFFFFFu;
    switch (p.kind) {
      case K_ALU_EG_RR: alu(p.aop, false, s, i.rm, i.reg, false, 0, p.live); break;
      case K_ALU_GE_RR: alu(p.aop, false, s, i.reg, i.rm, false, 0, p.live); break;
      case K_ALU_RI: alu(p.aop, false, s, i.rm, -1, true, i.imm & mask, p.live); break;
      case K_ALU_GE_M:
        address(i, false, s, k);
        if (s == 2) a_.rm(false, false, {0x0F, 0xB7}, RAX, Mem{RAX, RCX, 0, 0});  // movzx eax, word
        else a_.rm(false, false, {0x8B}, RAX, Mem{RAX, RCX, 0, 0});
        alu(p.aop, false, s, i.reg, -1, false, 0, p.live);
        break;
      case K_TEST_RR: alu(4, true, s, i.rm, i.reg, false, 0, p.live); break;
      case K_TEST_RI: alu(4, true, s, i.rm, -1, true, i.imm & mask, p.live); break;
      case K_INC_OP: incdec(false, s, i.op & 7, p.live); break;
      case K_DEC_OP: incdec(true, s, i.op & 7, p.live); break;
      case K_INC_RM: incdec(false, s, i.rm, p.live); break;
      case K_DEC_RM: incdec(true, s, i.rm, p.live); break;
      case K_ROL_I: rotate(false, s, i.rm, i.imm & 0x1F, p.live); break;
      case K_ROR_I: rotate(true, s, i.rm, i.imm & 0x1F, p.live); break;
      case K_ROL_1: rotate(false, s, i.rm, 1, p.live); break;
      case K_ROR_1: rotate(true, s, i.rm, 1, p.live); break;
      case K_MOV_EG_RR: a_.rr(p66, false, {0x89}, host(i.reg), host(i.rm)); break;
      case K_MOV_GE_RR: a_.rr(p66, false, {0x89}, host(i.rm), host(i.reg)); break;
      case K_MOV_RI_OP:
      case K_MOV_EI_R: {
        const int h = host(p.kind == K_MOV_RI_OP ? (i.op & 7) : i.rm);
        if (s == 4) {
          a_.movImm32(h, i.imm);
        } else {
          a_.rr(true, false, {0xC7}, 0, h);
          a_.u16(i.imm);
        }
        break;
      }
      case K_LEA: {
        offset(i);
        a_.rr(p66, false, {0x89}, RCX, host(i.reg));
        break;
      }
      case K_MOV_LOAD:
        address(i, false, s, k);
        a_.rm(p66, false, {0x8B}, host(i.reg), Mem{RAX, RCX, 0, 0});
        break;
      case K_MOV_STORE:
        address(i, true, s, k);
        a_.rm(p66, false, {0x89}, host(i.reg), Mem{RAX, RCX, 0, 0});
        break;
      case K_MOV_STORE_I:
        address(i, true, s, k);
        a_.rm(p66, false, {0xC7}, 0, Mem{RAX, RCX, 0, 0});
        if (s == 2) a_.u16(i.imm);
        else a_.u32(i.imm);
        break;
      default: return false;
    }
  }
  // The back edge: taken and passes left, or stop before the branch (the threaded code takes it or not).
  if (jcc) exitIf(cc ^ 1, n - 1);
  a_.rr(false, false, {0x85}, RBP, RBP);  // test ebp, ebp
  exitIf(0x4, n - 1);                     // jz
  a_.rr(false, false, {0xFF}, 1, RBP);    // dec ebp
  a_.patchRel32(a_.jmp(), top);

  // Exits: the instruction's index in EAX, then the registers and flags written back.
  std::vector<size_t> stubs(n, 0);
  std::vector<size_t> toCommon;
  for (const Exit& e : exits_) {
    if (!stubs[e.k]) {
      stubs[e.k] = a_.pos();
      a_.movImm32(RAX, e.k);
      toCommon.push_back(a_.jmp());
    }
    a_.patchRel32(e.at, stubs[e.k]);
  }
  const size_t common = a_.pos();
  for (size_t at : toCommon) a_.patchRel32(at, common);
  for (int g = 0; g < 8; ++g)
    if (written & (1u << g)) a_.rm(false, false, {0x89}, host(g), field(GPR, 4 * g));
  a_.rr(false, false, {0x81}, 4, RDX);  // flags_ = (edx & ~CF) | ebx
  a_.u32(~1u);
  a_.rr(false, false, {0x09}, RBX, RDX);
  a_.rm(false, false, {0x89}, RDX, field(FLAGS));
  a_.rm(false, false, {0x89}, RBP, Mem{RSI, -1, 0, 0});
  for (int r : {R15, R14, R13, R12, RBP, RBX}) a_.pop(r);
  a_.u8(0xC3);
  return true;
}

}  // namespace

JitCache::JitCache(const Cpu& c, size_t codeBytes) : size_(std::max<size_t>(codeBytes, 4096)) {
  auto off = [&](const void* p) { return int32_t(static_cast<const char*>(p) - reinterpret_cast<const char*>(&c)); };
  const void* const fields[kLayoutFields] = {
      &c.gpr[0],        &c.flags_,         &c.lzOp_,           &c.lzRes_,        &c.lzA_,           &c.lzB_,
      &c.blockRd[0].lo, &c.blockRd[0].lim, &c.blockRd[0].host, &c.blockWr[0].lo, &c.blockWr[0].lim, &c.blockWr[0].host};
  for (unsigned k = 0; k < kLayoutFields; ++k) at_[k] = off(fields[k]);
  at_[kLayoutFields] = int32_t(sizeof(Cpu::BlockPage));
#ifdef BV_JIT_HOST
  void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) code_ = static_cast<uint8_t*>(p);
#endif
}

JitCache::~JitCache() { giveUp(); }

void JitCache::giveUp() {
#ifdef BV_JIT_HOST
  if (code_) munmap(code_, size_);
#endif
  code_ = nullptr;
  used_ = 0;
  ++epoch_;  // every function returned so far is dead
}

bool JitCache::emit(const Insn* ops, unsigned n, std::vector<uint8_t>& out) const {
  out.clear();
  Translator t(at_, out);
  return t.run(ops, n);
}

JitFn JitCache::compile(const Insn* ops, unsigned n) {
#ifdef BV_JIT_HOST
  if (!code_) return nullptr;
  std::vector<uint8_t> bytes;
  bytes.reserve(2048);
  if (!emit(ops, n, bytes) || kGuard + bytes.size() > size_) return nullptr;
  const size_t need = kGuard + bytes.size();
  if (used_ + need > size_) {
    // Full: every function dies at once (blocks compare the epoch), none runs while this one is written.
    used_ = 0;
    ++epoch_;
  }
  // W^X: the pages being written are writable and not executable until the code is in place.
  const size_t pageSize = size_t(sysconf(_SC_PAGESIZE));
  const size_t from = used_ / pageSize * pageSize;
  const size_t to = (used_ + need + pageSize - 1) / pageSize * pageSize;
  // A host that refuses either (SELinux's deny_execmem, PaX MPROTECT) refuses it every time: the JIT gives up
  // for good rather than retrying, and dropping every function, at each loop's next entry.
  if (mprotect(code_ + from, to - from, PROT_READ | PROT_WRITE) != 0) {
    giveUp();
    return nullptr;
  }
  std::memset(code_ + used_, 0, kGuard);
  std::memcpy(code_ + used_ + kGuard, bytes.data(), bytes.size());
  if (mprotect(code_ + from, to - from, PROT_READ | PROT_EXEC) != 0) {
    giveUp();  // those pages may hold older functions that are no longer executable: all of them die
    return nullptr;
  }
  uint8_t* fn = code_ + used_ + kGuard;
  used_ = (used_ + need + 15) & ~size_t(15);
  return reinterpret_cast<JitFn>(fn);
#else
  (void)ops;
  (void)n;
  return nullptr;
#endif
}

}  // namespace bv::cpu
