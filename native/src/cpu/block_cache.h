// The block tier's store: straight-line runs of decoded instructions (blocks), each inside one physical page,
// keyed by the physical address of its first instruction and the code size (16- or 32-bit), so a block is
// decoded once and then run without a lookup, a link test or a decode per instruction (software_vcpu.cpp's
// runBlocks). A block ends after any instruction that may change what runs next or how it is decoded:
// control transfers, REP string instructions, segment loads, POPF, system instructions (CR writes, HLT, STI,
// CLI, I/O); so inside a block EIP only moves forward by each instruction's length. Each page has a
// generation: a store into bytes a block covers (the software vCPU's code bitmap sees it) bumps it, which
// drops exactly that page's blocks, so data stored beside code costs nothing.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "cpu/insn.h"
#include "cpu/jit_x64.h"
#include "cpu/lazy_zero_array.h"

namespace bv::cpu {

struct Block {
  uint32_t phys = 0;
  uint32_t pageGen = 0;   // the page's generation when decoded: valid while equal
  uint8_t mode = 0xFF;    // 0 = 16-bit code, 1 = 32-bit code, 0xFF = empty
  uint8_t count = 0;      // instructions (at least 1)
  uint16_t bytes = 0;     // their total length
  bool selfLoop = false;  // the last instruction is a near jump whose target is the block's first
  // The blocks that ran after this one (taken branch and fall-through, typically), each valid for one
  // Cpu::codeGen: then the next block is a compare away instead of a TLB probe and a table lookup.
  uint32_t linkEip[2] = {0, 0};
  uint32_t linkGen[2] = {~0u, ~0u};
  Block* link[2] = {nullptr, nullptr};
  Insn* ops = nullptr;  // count decoded instructions, in order, then one whose form is blockEndForm()
  // For the history ring, kMaxOps words: instruction k's offset from the first in both 32-bit halves, so its
  // {eip, phys} entry is the first's plus this (and the entries past count are written harmlessly).
  const uint64_t* histOff = nullptr;
  // The block as host code (jit_x64.h) when it loops, valid while jitEpoch is the JitCache's epoch; tried once
  // per decode and epoch (null: not compilable).
  JitFn jit = nullptr;
  uint32_t jitEpoch = 0;
};

// True when nothing may follow the instruction inside a block (see the header comment).
bool endsBlock(const Insn& i);

class BlockCache {
 public:
  static constexpr unsigned kBits = 12, kBlocks = 1u << kBits, kMaxOps = 16;

  explicit BlockCache(uint64_t ramBytes);
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  // False when there was no memory for the page generations: the tier stays off.
  bool usable() const { return pageGen_ != nullptr && ops_.usable() && histOff_.usable(); }

  Block* find(uint32_t phys, uint8_t mode) {
    Block& b = table_[index(phys)];
    if (b.phys == phys && b.mode == mode && b.pageGen == pageGen_[phys >> 12]) return &b;
    return nullptr;
  }
  // Decodes the block that starts at phys, from RAM (ram holds ramBytes_ bytes; phys's page must lie in
  // it), without raising anything: an instruction that does not fit in the page ends the block before it.
  // Null when not even the first instruction fits. `replaced`: a valid block was overwritten (links to it
  // must die: the caller ends the code generation).
  Block* build(const uint8_t* ram, uint32_t phys, uint8_t mode, bool& replaced);
  // Drops the blocks of a page (a store hit bytes they cover).
  void pageWritten(uint32_t page) {
    if (pageGen_ && page < pages_) ++pageGen_[page];
  }
  void clear();

 private:
  static uint32_t index(uint32_t phys) { return (phys ^ (phys >> kBits) ^ (phys >> 20)) & (kBlocks - 1); }

  uint64_t pages_;
  // Zero-filled on demand (calloc of a large size maps fresh pages): 4 bytes per guest page, 3 MiB for 3 GiB
  // of RAM, costing only the pages that hold code.
  std::unique_ptr<uint32_t, decltype(&std::free)> pageGenStore_;
  uint32_t* pageGen_;
  std::vector<Block> table_;
  // kMaxOps (+ 1 for the end form) per block: 4.25 MiB and 512 KiB, written only where blocks are built.
  LazyZeroArray<Insn> ops_;
  LazyZeroArray<uint64_t> histOff_;
};

}  // namespace bv::cpu
