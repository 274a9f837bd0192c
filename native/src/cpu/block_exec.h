// The block tier's executor: runs a whole block (block_cache.h) as threaded code. Each instruction was given a
// form when its block was decoded (Insn::fast): the common register, immediate and memory forms of ALU, MOV,
// INC/DEC, TEST, LEA and the near jumps run inline, with their operands where the decoder left them and no
// per-instruction bookkeeping; register-only instructions that cannot fault call their handler directly; the
// rest (form 0) get the full per-instruction state first (restart EIP and ESP, EIP, the count) as the
// interpreter gives them. A memory form that does not find its page in the TLB, in RAM, unwatched and inside
// the segment goes the general way (the handler), so faults, MMIO, watchpoints and guest data breakpoints
// behave exactly as in the interpreter; an inline store that hits a block's bytes (Cpu::events) leaves the
// block after it with the state exact.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cpu/insn.h"
#include "cpu/jit_x64.h"

namespace bv::cpu {

class Cpu;

// The form of a decoded instruction for execBlock (0: the general way).
uint16_t fastForm(const Insn& i);
// The form of the slot after a block's last instruction (execBlock needs it there).
uint16_t blockEndForm();
// Marks the instructions of a decoded block (forms set) whose flags are dead (Insn::flagsDead): a later
// register-only instruction that cannot fault sets every arithmetic flag from its own operands, and only
// register moves and LEA (no flags, no faults, no exits) lie between.
void markDeadFlags(Insn* ops, unsigned n);

// A block that ends in a jump to its own start (a loop) runs again in place, up to `passes` more times, while
// no flag of stopFlags is set and the code generation stays; the history entries of the further passes
// ({eip, phys} words: base plus the block's offsets) go at pos in the ring, as the run loop writes them,
// once the loop is left (the ring then holds what writing them pass by pass would have left).
struct BlockLoop {
  unsigned passes = 0;
  uint32_t stopFlags = 0;
  uint64_t* ring = nullptr;  // null: no history
  size_t mask = 0;
  uint64_t pos = 0;
  uint64_t base = 0;
  unsigned extra = 0;   // passes begun after the first whose history is not written yet
  JitFn jit = nullptr;  // the block as host code (jit_x64.h): it runs the passes, the threaded code what it leaves
};

// Runs the n instructions at `first` (a whole block, first[n] its end form, starting at EIP eip; instruction k at eip
// plus the low half of offsets[k]), looping as `loop` allows (null: never), and leaves the state as running each
// through its handler would: EIP, the instruction count, the restart EIP and ESP of the last one run. Returns the
// instruction after which Cpu::events was set (a fault, an I/O yield, a store into code...), or first + n.
const Insn* execBlock(Cpu& c, const Insn* first, unsigned n, const uint64_t* offsets, uint32_t eip, BlockLoop* loop);

}  // namespace bv::cpu
