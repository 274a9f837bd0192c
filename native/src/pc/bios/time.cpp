// INT 1Ah (time of day and RTC services) and the IRQ0 handler's tick count (IBM PC/AT BIOS). The tick count
// at 0040:006C counts PIT channel 0 interrupts (18.2 Hz) and wraps at midnight (0x1800B0), setting the flag
// at 0040:0070. RTC services read and write the CMOS clock through its ports.
#include "pc/bios/bios.h"

namespace bv {

namespace {
constexpr uint32_t kTicksPerDay = 0x1800B0;

uint8_t cmosRead(BiosCall& c, uint8_t reg) {
  c.env.outb(0x70, reg);
  return uint8_t(c.env.inb(0x71));
}
void cmosWrite(BiosCall& c, uint8_t reg, uint8_t v) {
  c.env.outb(0x70, reg);
  c.env.outb(0x71, v);
}
}  // namespace

void biosTimerIrq(BiosCall& c) {
  GuestMemory& m = c.env.mem;
  uint32_t t = m.read32(bda::kTicks) + 1;
  if (t >= kTicksPerDay) {
    t = 0;
    m.write8(bda::kMidnight, 1);
  }
  m.write32(bda::kTicks, t);
}

void biosTime(BiosCall& c) {
  GuestMemory& m = c.env.mem;
  switch (c.ah()) {
    case 0x00: {
      uint32_t t = m.read32(bda::kTicks);
      c.set16(GPR_RCX, uint16_t(t >> 16));
      c.set16(GPR_RDX, uint16_t(t));
      c.setAl(m.read8(bda::kMidnight));
      m.write8(bda::kMidnight, 0);
      break;
    }
    case 0x01:
      m.write32(bda::kTicks, (uint32_t(c.cx()) << 16) | c.dx());
      m.write8(bda::kMidnight, 0);
      break;
    case 0x02:
      c.setHigh(GPR_RCX, cmosRead(c, 0x04));
      c.setLow(GPR_RCX, cmosRead(c, 0x02));
      c.setHigh(GPR_RDX, cmosRead(c, 0x00));
      c.setLow(GPR_RDX, 0);  // no daylight saving
      c.setCarry(false);
      break;
    case 0x03:
      cmosWrite(c, 0x04, c.ch());
      cmosWrite(c, 0x02, c.cl());
      cmosWrite(c, 0x00, c.dh());
      c.setCarry(false);
      break;
    case 0x04:
      c.setHigh(GPR_RCX, cmosRead(c, 0x32));
      c.setLow(GPR_RCX, cmosRead(c, 0x09));
      c.setHigh(GPR_RDX, cmosRead(c, 0x08));
      c.setLow(GPR_RDX, cmosRead(c, 0x07));
      c.setCarry(false);
      break;
    case 0x05:
      cmosWrite(c, 0x32, c.ch());
      cmosWrite(c, 0x09, c.cl());
      cmosWrite(c, 0x08, c.dh());
      cmosWrite(c, 0x07, c.dl());
      c.setCarry(false);
      break;
    default: c.setCarry(true); break;
  }
}

}  // namespace bv
