// The US keyboard layout in PC scan code set 1: what a key types (for the BIOS's IRQ1 handler), and which
// keys type a character (for typing text into the guest).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bv {

constexpr uint8_t kScanLeftShift = 0x2A, kScanRightShift = 0x36, kScanCtrl = 0x1D, kScanAlt = 0x38,
                  kScanCapsLock = 0x3A, kScanNumLock = 0x45, kScanScrollLock = 0x46, kScanInsert = 0x52;

// ASCII a make code types without / with shift (0 for none: function keys, arrows...).
uint8_t keyAscii(uint8_t scan, bool shift);
// A printable character, \n, \r, \t, \b or ESC as make/break codes (shift pressed around it when needed).
// false when no key types it.
bool charToScanCodes(char ch, std::vector<uint8_t>& out);

}  // namespace bv
