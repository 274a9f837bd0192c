// An input from outside the guest, as the machine's input log keeps it (vmm/input_log.h says how it is
// replayed).
#pragma once
#include <cstdint>
#include <vector>

namespace bv {

enum class InputKind : uint8_t {
  Keys,    // PC set-1 scan codes into the 8042
  Serial,  // bytes received on COM1
  Reset,   // the host pressed reset
  Pace,    // a paced wait was cut short by an input: guest time moved to timeNs (no data)
  Mouse,   // the PS/2 mouse moved: dx, dy (int16 little-endian, right and down) and the buttons held (bit 0 left,
           // 1 right, 2 middle)
};
const char* inputKindName(InputKind k);  // "keys", "serial", "reset", "pace", "mouse"
bool inputKindFromName(const char* s, InputKind& out);

struct InputEvent {
  uint64_t at = 0;      // instruction count at which it takes effect
  uint64_t timeNs = 0;  // guest time then (several points of a halted guest share one count)
  InputKind kind = InputKind::Keys;
  std::vector<uint8_t> data;
};

}  // namespace bv
