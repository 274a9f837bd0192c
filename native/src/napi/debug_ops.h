// The debugger's requests that only some vCPUs serve (breakpoints, watchpoints, caught exceptions, the
// instruction history), in one place so the binding needs no backend-specific code. Each returns -1 / false
// and a message saying why when the machine's vCPU cannot do it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bootvisor/machine.h"

namespace bv::napi {

struct HistoryEntry {
  uint16_t cs = 0;
  uint32_t eip = 0;
  uint64_t linear = 0;
  bool code32 = false;
  std::vector<uint8_t> bytes;
};

int debugAddBreakpoint(Machine& m, uint64_t linear, std::string& error);
void debugRemoveBreakpoint(Machine& m, int id);
int debugAddWatchpoint(Machine& m, uint64_t address, uint32_t length, uint8_t access, std::string& error);
void debugRemoveWatchpoint(Machine& m, int id);
bool debugCatchExceptions(Machine& m, uint32_t vectorMask, std::string& error);
std::vector<HistoryEntry> debugHistory(Machine& m, size_t count);

}  // namespace bv::napi
