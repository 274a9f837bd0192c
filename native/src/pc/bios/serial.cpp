// INT 14h: serial port services for COM1 (IBM PC/AT BIOS). The port is programmed through its registers,
// exactly as a guest would, so the UART's own state stays the one truth.
#include "pc/bios/bios.h"

namespace bv {

namespace {
constexpr uint16_t kCom1 = 0x3F8;
constexpr uint8_t kTimeout = 0x80;
const uint16_t kDivisors[8] = {1047, 768, 384, 192, 96, 48, 24, 12};  // 110 ... 9600 baud

void portStatus(BiosCall& c) {
  c.setAh(uint8_t(c.env.inb(kCom1 + 5)));
  c.setAl(uint8_t(c.env.inb(kCom1 + 6)));
}
}  // namespace

void biosSerial(BiosCall& c) {
  if (c.dx() != 0) {  // only COM1 exists
    c.setAh(kTimeout);
    return;
  }
  switch (c.ah()) {
    case 0x00: {
      uint8_t p = c.al();
      uint16_t div = kDivisors[p >> 5];
      c.env.outb(kCom1 + 3, 0x80);  // DLAB
      c.env.outb(kCom1 + 0, uint8_t(div));
      c.env.outb(kCom1 + 1, uint8_t(div >> 8));
      c.env.outb(kCom1 + 3, uint8_t(p & 0x1F));  // word length, stop bits, parity
      portStatus(c);
      break;
    }
    case 0x01:
      c.env.outb(kCom1, c.al());
      c.setAh(uint8_t(c.env.inb(kCom1 + 5)));
      break;
    case 0x02: {
      uint8_t lsr = uint8_t(c.env.inb(kCom1 + 5));
      if (!(lsr & 0x01)) {
        // Nothing received: a real BIOS polls for its timeout (about a second) and then reports it;
        // sleep until an interrupt and ask again while the host may still send something.
        c.setAh(uint8_t(lsr | kTimeout));
        break;
      }
      c.setAl(uint8_t(c.env.inb(kCom1)));
      c.setAh(uint8_t(lsr & 0x1E));
      break;
    }
    case 0x03: portStatus(c); break;
    default: break;
  }
}

}  // namespace bv
