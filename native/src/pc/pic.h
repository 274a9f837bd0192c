// Dual Intel 8259A programmable interrupt controllers (datasheet 231468), cascaded as on the PC/AT: the
// slave's INT output drives the master's IR2. Edge-triggered, as the BIOS programs them.
#pragma once
#include <cstdint>

#include "bootvisor/device.h"

namespace bv {

// One 8259A. Offsets: 0 = command (ICW1, OCW2, OCW3) / IRR-ISR read, 1 = data (ICW2-4, OCW1 mask).
class Pic8259 : public PortDevice, public Snapshottable {
 public:
  explicit Pic8259(bool master) : master_(master) {}
  const char* deviceName() const override { return master_ ? "pic-master" : "pic-slave"; }
  uint32_t portRead(uint16_t offset, unsigned size) override;
  void portWrite(uint16_t offset, unsigned size, uint32_t value) override;
  void save(SnapshotWriter& w) const override;
  bool load(SnapshotReader& r) override;

  void setLine(int line, bool level);
  int highestPending() const;  // IR line that would interrupt now, or -1
  // Lines that would interrupt if raised now: unmasked and not blocked by a line in service.
  uint8_t openLines() const;
  int acknowledge();  // INTA: the IR line being serviced (moved IRR -> ISR), or 7 if spurious
  uint8_t vectorBase() const { return icw2_ & 0xF8; }
  bool autoEoi() const { return icw4_ & 2; }
  uint8_t irr() const { return irr_; }
  uint8_t isr() const { return isr_; }
  uint8_t imr() const { return imr_; }
  uint8_t lines() const { return lines_; }
  void reset();

 private:
  int priorityOf(int line) const { return (line - lowest_ - 1) & 7; }  // 0 is highest
  void eoi(int line);

  bool master_;
  uint8_t irr_ = 0;    // interrupt request register
  uint8_t isr_ = 0;    // in-service register
  uint8_t imr_ = 0;    // interrupt mask register
  uint8_t lines_ = 0;  // input levels, to detect edges
  uint8_t icw2_ = 0;   // vector base
  uint8_t icw3_ = 0;
  uint8_t icw4_ = 0;
  uint8_t initStep_ = 0;  // 0 ready; 2..4 expecting ICW2..ICW4
  bool expectIcw4_ = false;
  bool single_ = false;
  bool readIsr_ = false;  // OCW3 RR/RIS: command port reads ISR instead of IRR
  bool poll_ = false;     // OCW3 P: next command read is a poll
  bool specialMask_ = false;
  bool rotateAutoEoi_ = false;
  uint8_t lowest_ = 7;  // lowest-priority line (rotation)
};

// The master/slave pair as the machine sees it: IRQ 0-15 in, one vector out.
class DualPic : public IrqSink, public Snapshottable {
 public:
  DualPic() : master_(true), slave_(false) {}
  void setIrq(int irq, bool level) override;
  bool pending() const;  // INTR asserted
  // Whether any of the IRQ lines a device drives (bit n = IRQ n) could still reach the CPU: false when the
  // masks and the lines in service (an IRQ handler that never sent EOI) shut them all out.
  bool canEverInterrupt(uint16_t wired) const;
  // The IRQ lines (bit n = IRQ n) whose rising edge would reach the CPU now: open at their controller and,
  // for the slave's, at the master's cascade input.
  uint16_t openIrqs() const;
  // INTA cycle: the vector to deliver (and the state change acknowledging it). Only when pending().
  uint8_t acknowledge();
  bool line(int irq) const;
  Pic8259& master() { return master_; }
  Pic8259& slave() { return slave_; }
  void save(SnapshotWriter& w) const override;
  bool load(SnapshotReader& r) override;

 private:
  void cascade();
  Pic8259 master_;
  Pic8259 slave_;
};

}  // namespace bv
