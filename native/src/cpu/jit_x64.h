// The JIT for looping blocks (x86-64 hosts): a block that jumps back to its own start (Block::selfLoop) and
// whose instructions are all in a small whitelist (register and memory moves, ADD SUB AND OR XOR CMP TEST,
// INC DEC, LEA, ROL ROR by a constant, at 16 and 32 bits, ending in Jcc or JMP) becomes host machine code that
// keeps the block's guest registers in host registers for the whole loop. execBlock (block_exec.cpp) calls it
// at the loop's start; it runs whole passes while its pass budget lasts and the loop's branch is taken, and
// returns the index of the instruction it stopped before, with every register and flag written back exactly
// as the interpreter would have them there: the threaded code then runs that instruction on. It stops before
// the last instruction (the branch, which the threaded code takes or not) and before a memory access that
// does not fall in the segment's open page window (Cpu::blockRd/blockWr: in the segment, in RAM through the
// TLB, unwatched, no code), so faults, MMIO, watchpoints and stores into code all go the threaded way. Flags
// are kept as the interpreter keeps them (the lazy record of the last ADD/SUB/logic result, CF and OF exact),
// written only where some exit can see them. Other hosts (and BOOTVISOR_JIT=off) keep the threaded tier.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/insn.h"

namespace bv::cpu {

class Cpu;

struct JitIo {
  uint32_t passes = 0;  // in: further passes allowed after the current one; out: those left
};
// Returns the index of the instruction to run next (the state is that before it).
using JitFn = uint32_t (*)(Cpu* c, JitIo* io);

class JitCache {
 public:
  // codeBytes: the code memory (at least 4 KiB); 1 MiB holds some 2,000 loops.
  static constexpr size_t kDefaultBytes = size_t(1) << 20;
  explicit JitCache(const Cpu& c, size_t codeBytes = kDefaultBytes);
  ~JitCache();
  JitCache(const JitCache&) = delete;
  JitCache& operator=(const JitCache&) = delete;

  // True on a host this JIT runs on (x86-64) once its code memory exists.
  bool usable() const { return code_ != nullptr; }
  // Host code for the n decoded instructions of a self-looping block (forms set, n >= 2), or null when one of
  // them is outside the whitelist. May empty the code memory when it is full: epoch() then changes, and
  // every function returned before it is dead.
  JitFn compile(const Insn* ops, unsigned n);
  uint32_t epoch() const { return epoch_; }
  // The machine code compile() would produce (null function: not compilable), for tests and inspection.
  bool emit(const Insn* ops, unsigned n, std::vector<uint8_t>& out) const;

 private:
  // The offsets in Cpu of the fields the code reads and writes, then sizeof(Cpu::BlockPage).
  static constexpr unsigned kLayoutFields = 12;
  int32_t at_[kLayoutFields + 1] = {};
  // Releases the code memory: compile() returns null from then on, and the epoch moves on.
  void giveUp();
  size_t size_;
  uint8_t* code_ = nullptr;
  size_t used_ = 0;
  uint32_t epoch_ = 1;
};

}  // namespace bv::cpu
