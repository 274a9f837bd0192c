// National Semiconductor PC16550D UART (datasheet), enough for polled and interrupt-driven use. Offsets
// 0-7 from the base (COM1 = 0x3F8, IRQ4). Transmission is instant: a byte written to THR goes to the host
// at once and the transmitter is always empty again. Received bytes come from the host's queue.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>

#include "bootvisor/device.h"

namespace bv {

class Uart : public PortDevice, public Snapshottable {
 public:
  Uart(std::function<void(uint8_t)> tx, std::function<void(bool)> irq) : tx_(std::move(tx)), irq_(std::move(irq)) {}
  const char* deviceName() const override { return "uart"; }
  uint32_t portRead(uint16_t offset, unsigned size) override;
  void portWrite(uint16_t offset, unsigned size, uint32_t value) override;
  void save(SnapshotWriter& w) const override;
  bool load(SnapshotReader& r) override;

  void receive(const uint8_t* bytes, size_t n);
  size_t rxQueued() const { return rx_.size(); }
  uint16_t divisor() const { return uint16_t(dll_ | (dlm_ << 8)); }
  uint8_t lcr() const { return lcr_; }

 private:
  void updateIrq();
  uint8_t iir() const;

  std::function<void(uint8_t)> tx_;
  std::function<void(bool)> irq_;
  std::deque<uint8_t> rx_;
  uint8_t ier_ = 0, lcr_ = 0x03, mcr_ = 0, scr_ = 0, fcr_ = 0;
  uint8_t dll_ = 0x0C, dlm_ = 0;  // 9600 baud
  uint8_t lsrErrors_ = 0;         // overrun etc. (sticky until LSR is read)
  bool thrIrq_ = false;           // THR-empty interrupt pending (cleared by reading IIR or writing THR)
  bool irqLevel_ = false;
};

}  // namespace bv
