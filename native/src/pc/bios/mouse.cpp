// INT 15h AH=C2h, the BIOS's pointing-device services, and the IRQ12 side that collects the mouse's packets
// and hands each to the program's handler, as SeaBIOS serves them (its EBDA layout too: the handler's far
// pointer at 22h, the packet index at 26h, the handler-installed flag and packet size at 27h, the bytes
// at 28h). The services talk to the mouse directly, not through the controller's output buffer.
#include "pc/bios/bios.h"

namespace bv {

namespace {
constexpr uint32_t kHandler = 0x22, kFlag1 = 0x26, kFlag2 = 0x27, kData = 0x28;
constexpr uint8_t kHandlerSet = 0x80;
constexpr uint8_t kInvalidFunction = 0x01, kInvalidInput = 0x02, kNoHandler = 0x05;
constexpr uint8_t kRates[] = {10, 20, 40, 60, 80, 100, 200};

uint64_t ebda(uint32_t offset) { return (uint64_t(kEbdaSegment) << 4) + offset; }
}  // namespace

void biosMouse(BiosCall& c) {
  GuestMemory& m = c.env.mem;
  Ps2Mouse& mouse = c.env.kbc.mouse();
  const uint8_t flag2 = m.read8(ebda(kFlag2));
  switch (c.al()) {
    case 0x00:  // BH=0 disable, 1 enable
      if (c.bh() > 1) return c.status(kInvalidInput);
      if (c.bh() == 1 && !(flag2 & kHandlerSet)) return c.status(kNoHandler);
      if (c.bh() == 1) c.env.kbc.enableAux();
      mouse.command(c.bh() == 1 ? 0xF4 : 0xF5);
      return c.status(0);
    case 0x05:  // initialize with BH bytes per packet, then reset
      if (c.bh() < 1 || c.bh() > 8) return c.status(kInvalidInput);
      m.write8(ebda(kFlag2), uint8_t((flag2 & 0xF8) | (c.bh() - 1)));
      [[fallthrough]];
    case 0x01: {  // reset: BL = self-test result (AAh), BH = device ID
      std::vector<uint8_t> r = mouse.command(0xFF);
      m.write8(ebda(kFlag1), 0);
      c.setLow(GPR_RBX, r.size() > 1 ? r[1] : 0xAA);
      c.setHigh(GPR_RBX, r.size() > 2 ? r[2] : 0x00);
      return c.status(0);
    }
    case 0x02:  // sample rate: BH indexes 10, 20, 40, 60, 80, 100, 200 per second
      if (c.bh() >= sizeof kRates) return c.status(kInvalidInput);
      mouse.command(0xF3), mouse.command(kRates[c.bh()]);
      return c.status(0);
    case 0x03:  // resolution: BH 0-3 = 1, 2, 4, 8 counts per mm
      if (c.bh() > 3) return c.status(kInvalidInput);
      mouse.command(0xE8), mouse.command(c.bh());
      return c.status(0);
    case 0x04: {  // device type
      std::vector<uint8_t> r = mouse.command(0xF2);
      c.setHigh(GPR_RBX, r.size() > 1 ? r[1] : 0);
      return c.status(0);
    }
    case 0x06:  // BH=0 status (BL, CL resolution, DL rate), 1 scaling 1:1, 2 scaling 2:1
      if (c.bh() == 0) {
        std::vector<uint8_t> r = mouse.command(0xE9);
        if (r.size() < 4) return c.status(kInvalidFunction);
        c.setLow(GPR_RBX, r[1]);
        c.setLow(GPR_RCX, r[2]);
        c.setLow(GPR_RDX, r[3]);
        return c.status(0);
      }
      if (c.bh() > 2) return c.status(kInvalidInput);
      mouse.command(c.bh() == 1 ? 0xE6 : 0xE7);
      return c.status(0);
    case 0x07: {  // the handler's far pointer ES:BX (0:0 removes it)
      uint16_t seg = c.st.segs[SEG_ES].selector, off = c.bx();
      m.write16(ebda(kHandler), off);
      m.write16(ebda(kHandler + 2), seg);
      m.write8(ebda(kFlag2), uint8_t(seg == 0 && off == 0 ? flag2 & ~kHandlerSet : flag2 | kHandlerSet));
      return c.status(0);
    }
    default: return c.status(kInvalidFunction);
  }
}

// Called from the ROM's IRQ12 routine: takes one byte from the controller; when it completes a packet and a
// handler is installed, sets CF with AX = status, BX = X, CY = Y and SI:DX = the handler for the routine to call.
void biosMouseIrq(BiosCall& c) {
  c.st.gprs[GPR_RFLAGS] &= ~uint64_t(flags::CF);
  if ((c.env.inb(0x64) & 0x21) != 0x21) return;  // no mouse byte waiting
  uint8_t b = uint8_t(c.env.inb(0x60));
  GuestMemory& m = c.env.mem;
  uint8_t index = m.read8(ebda(kFlag1)) & 7, flag2 = m.read8(ebda(kFlag2));
  uint8_t size = uint8_t((flag2 & 7) + 1);
  if (index == 0 && !(b & 0x08)) return;  // not a packet's first byte (bit 3 is always set there): resync
  m.write8(ebda(kData + index), b);
  if (++index < size) {
    m.write8(ebda(kFlag1), index);
    return;
  }
  m.write8(ebda(kFlag1), 0);
  if (!(flag2 & kHandlerSet)) return;
  c.setAx(m.read8(ebda(kData)));
  c.set16(GPR_RBX, m.read8(ebda(kData + 1)));
  c.set16(GPR_RCX, m.read8(ebda(kData + 2)));
  c.set16(GPR_RDX, m.read16(ebda(kHandler)));
  c.set16(GPR_RSI, m.read16(ebda(kHandler + 2)));
  c.st.gprs[GPR_RFLAGS] |= flags::CF;
}

}  // namespace bv
