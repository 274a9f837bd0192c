#include "pc/uart.h"

#include "bootvisor/snapshot.h"

namespace bv {

namespace {
constexpr uint16_t kOfsData = 0, kOfsIer = 1, kOfsIirFcr = 2, kOfsLcr = 3, kOfsMcr = 4, kOfsLsr = 5, kOfsMsr = 6,
                   kOfsScr = 7;
constexpr uint8_t kIerRx = 0x01, kIerThr = 0x02, kIerLsr = 0x04;
constexpr uint8_t kIirNone = 0x01, kIirLsr = 0x06, kIirRx = 0x04, kIirThr = 0x02, kIirFifo = 0xC0;
constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kMcrOut2 = 0x08, kMcrLoop = 0x10;
constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrThre = 0x20, kLsrTemt = 0x40;
constexpr size_t kRxLimit = 65536;
}  // namespace

uint8_t Uart::iir() const {
  uint8_t fifo = (fcr_ & 1) ? kIirFifo : 0;
  if ((ier_ & kIerLsr) && lsrErrors_) return fifo | kIirLsr;
  if ((ier_ & kIerRx) && !rx_.empty()) return fifo | kIirRx;
  if ((ier_ & kIerThr) && thrIrq_) return fifo | kIirThr;
  return fifo | kIirNone;
}

void Uart::updateIrq() {
  // On the PC the UART's interrupt output reaches the PIC only through OUT2.
  bool level = !(iir() & kIirNone) && (mcr_ & kMcrOut2);
  if (level != irqLevel_) {
    irqLevel_ = level;
    irq_(level);
  }
}

void Uart::receive(const uint8_t* bytes, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (rx_.size() >= kRxLimit) {
      lsrErrors_ |= kLsrOe;
      break;
    }
    rx_.push_back(bytes[i]);
  }
  updateIrq();
}

uint32_t Uart::portRead(uint16_t offset, unsigned size) {
  switch (offset) {
    case kOfsData: {
      if (lcr_ & kLcrDlab) return dll_;
      if (rx_.empty()) return 0;
      uint8_t b = rx_.front();
      rx_.pop_front();
      updateIrq();
      return b;
    }
    case kOfsIer: return (lcr_ & kLcrDlab) ? dlm_ : ier_;
    case kOfsIirFcr: {
      uint8_t v = iir();
      if ((v & 0x0F) == kIirThr) {
        thrIrq_ = false;
        updateIrq();
      }
      return v;
    }
    case kOfsLcr: return lcr_;
    case kOfsMcr: return mcr_;
    case kOfsLsr: {
      uint8_t v = uint8_t(kLsrThre | kLsrTemt | (rx_.empty() ? 0 : kLsrDr) | lsrErrors_);
      lsrErrors_ = 0;
      updateIrq();
      return v;
    }
    case kOfsMsr:
      // Loopback reflects MCR's outputs; otherwise a terminal is attached: CTS, DSR and DCD asserted.
      if (mcr_ & kMcrLoop)
        return uint32_t(((mcr_ & 0x02) << 3) | ((mcr_ & 0x01) << 5) | ((mcr_ & 0x04) << 4) | ((mcr_ & 0x08) << 4));
      return 0xB0;
    case kOfsScr: return scr_;
    default: return 0xFF;
  }
}

void Uart::portWrite(uint16_t offset, unsigned size, uint32_t value) {
  uint8_t v = uint8_t(value);
  switch (offset) {
    case kOfsData:
      if (lcr_ & kLcrDlab) {
        dll_ = v;
        return;
      }
      if (mcr_ & kMcrLoop) {
        if (rx_.size() < kRxLimit) rx_.push_back(v);
      } else {
        tx_(v);
      }
      thrIrq_ = true;  // the byte left at once: THR is empty again
      updateIrq();
      return;
    case kOfsIer:
      if (lcr_ & kLcrDlab) {
        dlm_ = v;
        return;
      }
      // Enabling the THR-empty interrupt with THR empty raises it at once (as the 16550 does).
      if ((v & kIerThr) && !(ier_ & kIerThr)) thrIrq_ = true;
      ier_ = v & 0x0F;
      updateIrq();
      return;
    case kOfsIirFcr:
      fcr_ = v & 0xC9;
      if (v & 0x02) rx_.clear();
      updateIrq();
      return;
    case kOfsLcr: lcr_ = v; return;
    case kOfsMcr:
      mcr_ = v & 0x1F;
      updateIrq();
      return;
    case kOfsScr: scr_ = v; return;
    default: return;
  }
}

void Uart::save(SnapshotWriter& w) const {
  w.section("uart");
  w.blob(std::vector<uint8_t>(rx_.begin(), rx_.end()));
  uint8_t b[] = {ier_, lcr_, mcr_, scr_, fcr_, dll_, dlm_, lsrErrors_};
  w.bytes(b, sizeof b);
  w.boolean(thrIrq_);
  w.boolean(irqLevel_);
}

bool Uart::load(SnapshotReader& r) {
  r.section("uart");
  std::vector<uint8_t> q = r.blob();
  rx_.assign(q.begin(), q.end());
  uint8_t b[8];
  r.bytes(b, sizeof b);
  ier_ = b[0], lcr_ = b[1], mcr_ = b[2], scr_ = b[3], fcr_ = b[4], dll_ = b[5], dlm_ = b[6], lsrErrors_ = b[7];
  thrIrq_ = r.boolean();
  irqLevel_ = r.boolean();
  return r.ok();
}

}  // namespace bv
