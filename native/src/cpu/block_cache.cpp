// Block decoding and what ends a block (see block_cache.h).
#include "cpu/block_cache.h"

#include "cpu/block_exec.h"
#include "cpu/exec.h"

namespace bv::cpu {

bool endsBlock(const Insn& i) {
  if (i.fn == opUndefined || i.fn == opBadLock || i.op == 0xFFFF) return true;
  switch (opInfo(i.op).groups[i.reg]) {
    case OpGroup::Alu:
    case OpGroup::Shift:
    case OpGroup::MulDiv:
    case OpGroup::Bcd:
    case OpGroup::Bits: return false;
    case OpGroup::String: return i.rep != 0;  // a REP instruction runs again from its own EIP
    case OpGroup::Data:
      switch (i.op) {
        case 0x8E:   // MOV Sreg (MOV SS holds interrupts back for one instruction)
        case 0xC4:   // LES
        case 0xC5:   // LDS
        case 0x1B2:  // LSS
        case 0x1B4:  // LFS
        case 0x1B5:  // LGS
          return true;
        default: return false;
      }
    case OpGroup::Stack:
      switch (i.op) {
        case 0x07:   // POP ES
        case 0x17:   // POP SS (an interrupt shadow)
        case 0x1F:   // POP DS
        case 0x1A1:  // POP FS
        case 0x1A9:  // POP GS
        case 0x9D:   // POPF (TF, IF)
          return true;
        default: return false;
      }
    case OpGroup::System:
      // The flag instructions a loop uses (CLC STC CMC CLD STD) change nothing a block depends on.
      switch (i.op) {
        case 0xF5:
        case 0xF8:
        case 0xF9:
        case 0xFC:
        case 0xFD: return false;
        default: return true;
      }
    default: return true;  // control transfers, I/O, anything unknown
  }
}

BlockCache::BlockCache(uint64_t ramBytes)
    : pages_((ramBytes >> 12) + 1),
      pageGenStore_(static_cast<uint32_t*>(std::calloc(pages_, sizeof(uint32_t))), &std::free),
      pageGen_(pageGenStore_.get()),
      table_(kBlocks),
      ops_(size_t(kBlocks) * (kMaxOps + 1)),
      histOff_(size_t(kBlocks) * kMaxOps) {}

void BlockCache::clear() {
  for (Block& b : table_) b.mode = 0xFF;
}

Block* BlockCache::build(const uint8_t* ram, uint32_t phys, uint8_t mode, bool& replaced) {
  Block& b = table_[index(phys)];
  replaced = b.mode != 0xFF;
  b.mode = 0xFF;
  const size_t blockNo = size_t(&b - table_.data());
  const size_t slot = blockNo * kMaxOps;
  b.ops = &ops_[blockNo * (kMaxOps + 1)];
  b.histOff = &histOff_[slot];
  const uint32_t pageEnd = (phys | 0xFFFu) + 1;
  uint32_t a = phys;
  unsigned n = 0;
  while (n < kMaxOps && a < pageEnd) {
    Insn& d = b.ops[n];
    const uint32_t at = a;
    auto fetch = [&](unsigned k, uint8_t& v) -> bool {
      if (k >= pageEnd - at) return false;
      v = ram[at + k];
      return true;
    };
    if (!decodeInsn(d, mode != 0, fetch)) break;
    d.fast = fastForm(d);
    histOff_[slot + n] = uint64_t(at - phys) * 0x100000001ull;
    ++n;
    a += d.len;
    if (endsBlock(d)) break;
  }
  if (n == 0) return nullptr;
  b.ops[n] = Insn{};
  b.ops[n].fast = blockEndForm();
  markDeadFlags(b.ops, n);
  b.phys = phys;
  b.mode = mode;
  b.count = uint8_t(n);
  b.bytes = uint16_t(a - phys);
  const Insn& last = b.ops[n - 1];
  const bool nearJump = (last.op >= 0x70 && last.op <= 0x7F) || (last.op >= 0x180 && last.op <= 0x18F) ||
                        last.op == 0xEB || last.op == 0xE9;
  b.selfLoop = nearJump && ((b.bytes + last.imm) & (last.op32 ? 0xFFFFFFFFu : 0xFFFFu)) == 0;
  b.pageGen = pageGen_[phys >> 12];
  b.linkGen[0] = b.linkGen[1] = ~0u;
  b.jit = nullptr;
  b.jitEpoch = 0;  // never a JitCache's epoch: compiled on its first loop
  return &b;
}

}  // namespace bv::cpu
