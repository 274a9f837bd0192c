#include "pc/keymap.h"

namespace bv {

namespace {
// Index: make code 0x00-0x39. Each entry: unshifted, shifted.
const char kKeys[0x3A][2] = {
    {0, 0},     {27, 27},   {'1', '!'}, {'2', '@'}, {'3', '#'},  {'4', '$'}, {'5', '%'}, {'6', '^'},  {'7', '&'},
    {'8', '*'}, {'9', '('}, {'0', ')'}, {'-', '_'}, {'=', '+'},  {8, 8},     {9, 0},     {'q', 'Q'},  {'w', 'W'},
    {'e', 'E'}, {'r', 'R'}, {'t', 'T'}, {'y', 'Y'}, {'u', 'U'},  {'i', 'I'}, {'o', 'O'}, {'p', 'P'},  {'[', '{'},
    {']', '}'}, {13, 13},   {0, 0},     {'a', 'A'}, {'s', 'S'},  {'d', 'D'}, {'f', 'F'}, {'g', 'G'},  {'h', 'H'},
    {'j', 'J'}, {'k', 'K'}, {'l', 'L'}, {';', ':'}, {'\'', '"'}, {'`', '~'}, {0, 0},     {'\\', '|'}, {'z', 'Z'},
    {'x', 'X'}, {'c', 'C'}, {'v', 'V'}, {'b', 'B'}, {'n', 'N'},  {'m', 'M'}, {',', '<'}, {'.', '>'},  {'/', '?'},
    {0, 0},     {'*', '*'}, {0, 0},     {' ', ' '},
};
}  // namespace

uint8_t keyAscii(uint8_t scan, bool shift) {
  if (scan >= 0x3A) {
    // Keypad without num lock: arrows and friends type nothing; its - and + type themselves.
    if (scan == 0x4A) return '-';
    if (scan == 0x4E) return '+';
    return 0;
  }
  return uint8_t(kKeys[scan][shift ? 1 : 0]);
}

bool charToScanCodes(char ch, std::vector<uint8_t>& out) {
  if (ch == '\n') ch = '\r';
  for (uint8_t s = 1; s < 0x3A; ++s) {
    for (int sh = 0; sh < 2; ++sh) {
      if (kKeys[s][sh] != ch || ch == 0) continue;
      if (sh) out.push_back(kScanLeftShift);
      out.push_back(s);
      out.push_back(uint8_t(s | 0x80));
      if (sh) out.push_back(uint8_t(kScanLeftShift | 0x80));
      return true;
    }
  }
  return false;
}

}  // namespace bv
