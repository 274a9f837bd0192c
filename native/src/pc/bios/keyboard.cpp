// INT 16h (keyboard services) and the IRQ1 handler's work (IBM PC/AT BIOS): scan codes from the 8042 become
// (scan << 8 | ASCII) words in the BDA's ring buffer at 0040:001E, with head and tail at 0040:001A/1C and the
// shift state at 0040:0017, exactly where programs that read them directly expect.
#include "pc/bios/bios.h"
#include "pc/keymap.h"

namespace bv {

namespace {
constexpr uint8_t kShiftRight = 0x01, kShiftLeft = 0x02, kShiftCtrl = 0x04, kShiftAlt = 0x08, kScrollOn = 0x10,
                  kNumOn = 0x20, kCapsOn = 0x40, kInsertOn = 0x80;
constexpr uint8_t kKbdE0 = 0x02;  // 0040:0096 bit 1: the last code was the E0 prefix

uint16_t bufStart(GuestMemory& m) { return m.read16(bda::kKbdStart); }
uint16_t bufEnd(GuestMemory& m) { return m.read16(bda::kKbdEnd); }

bool peekKey(GuestMemory& m, uint16_t& key) {
  uint16_t head = m.read16(bda::kKbdHead), tail = m.read16(bda::kKbdTail);
  if (head == tail) return false;
  key = m.read16(bda::kBase + head);
  return true;
}

void popKey(GuestMemory& m) {
  uint16_t head = uint16_t(m.read16(bda::kKbdHead) + 2);
  if (head >= bufEnd(m)) head = bufStart(m);
  m.write16(bda::kKbdHead, head);
}

bool pushKey(GuestMemory& m, uint16_t key) {
  uint16_t tail = m.read16(bda::kKbdTail), next = uint16_t(tail + 2);
  if (next >= bufEnd(m)) next = bufStart(m);
  if (next == m.read16(bda::kKbdHead)) return false;  // full: the key is lost, as on a PC (without the beep)
  m.write16(bda::kBase + tail, key);
  m.write16(bda::kKbdTail, next);
  return true;
}

// The word a make code produces with the current shift state.
uint16_t translate(uint8_t scan, uint8_t flags, bool extended) {
  bool shift = flags & (kShiftLeft | kShiftRight);
  uint8_t ascii = keyAscii(scan, shift);
  bool letter = (ascii | 0x20) >= 'a' && (ascii | 0x20) <= 'z';
  if (letter && (flags & kCapsOn)) ascii = keyAscii(scan, !shift);
  if (extended) {
    if (scan == 0x1C) return 0xE00D;  // keypad Enter
    if (scan == 0x35) return 0xE02F;  // keypad /
    return uint16_t(scan << 8);       // grey arrows, Home, End...: no ASCII
  }
  if (flags & kShiftAlt) return uint16_t(scan << 8);
  if (flags & kShiftCtrl) {
    if (letter) return uint16_t((scan << 8) | ((ascii | 0x20) - 'a' + 1));
    if (scan == 0x1C) return 0x1C0A;
    return uint16_t(scan << 8);
  }
  if (scan >= 0x3B && scan <= 0x44 && shift) return uint16_t((scan + 0x19) << 8);  // shifted F1-F10
  if (scan == 0x0F && shift) return 0x0F00;
  return uint16_t((scan << 8) | ascii);
}
}  // namespace

void biosKeyboardIrq(BiosCall& c) {
  GuestMemory& m = c.env.mem;
  uint8_t code = uint8_t(c.env.inb(0x60));
  uint8_t flags = m.read8(bda::kShift);
  uint8_t status = m.read8(bda::kKbdStatus);
  if (code == 0xE0 || code == 0xE1) {
    m.write8(bda::kKbdStatus, uint8_t(status | kKbdE0));
    return;
  }
  bool extended = status & kKbdE0;
  m.write8(bda::kKbdStatus, uint8_t(status & ~kKbdE0));
  bool brk = code & 0x80;
  uint8_t scan = code & 0x7F;
  auto modifier = [&](uint8_t bit) {
    flags = uint8_t(brk ? (flags & ~bit) : (flags | bit));
    m.write8(bda::kShift, flags);
  };
  switch (scan) {
    case kScanLeftShift:
      if (!extended) modifier(kShiftLeft);
      return;  // E0 2A: fake shift, ignored
    case kScanRightShift:
      if (!extended) modifier(kShiftRight);
      return;
    case kScanCtrl: modifier(kShiftCtrl); return;
    case kScanAlt: modifier(kShiftAlt); return;
    case kScanCapsLock:
      if (!brk) m.write8(bda::kShift, flags ^ kCapsOn);
      return;
    case kScanNumLock:
      if (!brk) m.write8(bda::kShift, flags ^ kNumOn);
      return;
    case kScanScrollLock:
      if (!brk) m.write8(bda::kShift, flags ^ kScrollOn);
      return;
    default: break;
  }
  if (brk) return;
  if (scan == kScanInsert) m.write8(bda::kShift, flags ^ kInsertOn);
  pushKey(m, translate(scan, flags, extended));
}

void biosKeyboard(BiosCall& c) {
  GuestMemory& m = c.env.mem;
  uint16_t key;
  switch (c.ah()) {
    case 0x00:
    case 0x10:
      if (!peekKey(m, key)) {
        c.block();
        return;
      }
      popKey(m);
      // The basic function hides the extended keys' E0 marker; the enhanced one keeps it.
      if (c.ah() == 0x00 && (key & 0xFF) == 0xE0) key &= 0xFF00;
      c.setAx(key);
      return;
    case 0x01:
    case 0x11:
      if (!peekKey(m, key)) {
        c.setFlag(flags::ZF, true);
        return;
      }
      if (c.ah() == 0x01 && (key & 0xFF) == 0xE0) key &= 0xFF00;
      c.setAx(key);
      c.setFlag(flags::ZF, false);
      return;
    case 0x02: c.setAl(m.read8(bda::kShift)); return;
    case 0x12:
      c.setAl(m.read8(bda::kShift));
      c.setAh(m.read8(bda::kShift2));
      return;
    case 0x05: c.setAl(pushKey(m, c.cx()) ? 0 : 1); return;
    default: return;  // typematic rate, click: accepted, nothing to do
  }
}

}  // namespace bv
