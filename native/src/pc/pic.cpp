#include "pc/pic.h"

#include "bootvisor/snapshot.h"

namespace bv {

namespace {
constexpr uint8_t kIcw1Init = 0x10;  // command bit 4: ICW1
constexpr uint8_t kIcw1Icw4 = 0x01;  // ICW4 follows
constexpr uint8_t kIcw1Single = 0x02;
constexpr uint8_t kOcw3Select = 0x08;  // command bit 3 (with bit 4 clear): OCW3, else OCW2
constexpr uint8_t kOcw3ReadReg = 0x02;
constexpr uint8_t kOcw3ReadIsr = 0x01;
constexpr uint8_t kOcw3Poll = 0x04;
constexpr uint8_t kOcw3SetSmm = 0x40;
constexpr uint8_t kOcw3Smm = 0x20;
}  // namespace

void Pic8259::reset() {
  irr_ = isr_ = imr_ = 0;
  icw3_ = icw4_ = 0;
  initStep_ = 0;
  readIsr_ = poll_ = specialMask_ = rotateAutoEoi_ = false;
  lowest_ = 7;
}

void Pic8259::setLine(int line, bool level) {
  uint8_t bit = uint8_t(1u << line);
  if (level && !(lines_ & bit)) irr_ |= bit;  // rising edge latches a request
  // Edge mode: a latched request stays until INTA even if the line drops (devices pulse their lines, and a
  // guest with IF=0 must not lose the tick; QEMU's i8259 does the same).
  lines_ = level ? (lines_ | bit) : (lines_ & ~bit);
}

uint8_t Pic8259::openLines() const {
  // The highest-priority in-service line blocks equal and lower priorities (unless special mask mode).
  int blockPrio = 8;
  if (!specialMask_) {
    for (int l = 0; l < 8; ++l)
      if ((isr_ >> l) & 1) blockPrio = priorityOf(l) < blockPrio ? priorityOf(l) : blockPrio;
  }
  // On the master, IR2 with the slave in service does not block the slave's own higher lines (fully
  // nested mode is not used by PC BIOSes; treat the cascade line like any other).
  uint8_t open = 0;
  for (int l = 0; l < 8; ++l) {
    if ((imr_ >> l) & 1) continue;
    if (specialMask_ && ((isr_ >> l) & 1)) continue;
    if (priorityOf(l) >= blockPrio) continue;
    open |= uint8_t(1u << l);
  }
  return open;
}

int Pic8259::highestPending() const {
  uint8_t req = irr_ & ~imr_;
  if (!req) return -1;
  req &= openLines();
  int best = -1;
  for (int l = 0; l < 8; ++l) {
    if (!((req >> l) & 1)) continue;
    if (best < 0 || priorityOf(l) < priorityOf(best)) best = l;
  }
  return best;
}

int Pic8259::acknowledge() {
  int l = highestPending();
  if (l < 0) return 7;  // spurious IRQ 7 (15 on the slave): no ISR bit set
  irr_ &= ~uint8_t(1u << l);
  if (autoEoi()) {
    if (rotateAutoEoi_) lowest_ = uint8_t(l);
  } else {
    isr_ |= uint8_t(1u << l);
  }
  return l;
}

void Pic8259::eoi(int line) { isr_ &= ~uint8_t(1u << line); }

uint32_t Pic8259::portRead(uint16_t offset, unsigned size) {
  if (offset == 0) {
    if (poll_) {
      poll_ = false;
      int l = highestPending();
      if (l < 0) return 0;
      acknowledge();
      return 0x80u | unsigned(l);
    }
    return readIsr_ ? isr_ : irr_;
  }
  return imr_;
}

void Pic8259::portWrite(uint16_t offset, unsigned size, uint32_t value) {
  uint8_t v = uint8_t(value);
  if (offset == 0) {
    if (v & kIcw1Init) {
      reset();
      initStep_ = 2;
      expectIcw4_ = v & kIcw1Icw4;
      single_ = v & kIcw1Single;
      return;
    }
    if (v & kOcw3Select) {
      if (v & kOcw3ReadReg) readIsr_ = v & kOcw3ReadIsr;
      if (v & kOcw3Poll) poll_ = true;
      if (v & kOcw3SetSmm) specialMask_ = v & kOcw3Smm;
      return;
    }
    // OCW2: R SL EOI in bits 7..5, level in 2..0.
    int cmd = v >> 5, level = v & 7;
    int inService = -1;
    for (int l = 0; l < 8; ++l)
      if ((isr_ >> l) & 1 && (inService < 0 || priorityOf(l) < priorityOf(inService))) inService = l;
    switch (cmd) {
      case 1:  // non-specific EOI
        if (inService >= 0) eoi(inService);
        break;
      case 3:  // specific EOI
        eoi(level);
        break;
      case 5:  // rotate on non-specific EOI
        if (inService >= 0) {
          eoi(inService);
          lowest_ = uint8_t(inService);
        }
        break;
      case 4: rotateAutoEoi_ = true; break;
      case 0: rotateAutoEoi_ = false; break;
      case 7:  // rotate on specific EOI
        eoi(level);
        lowest_ = uint8_t(level);
        break;
      case 6: lowest_ = uint8_t(level); break;  // set priority
      default: break;
    }
    return;
  }
  switch (initStep_) {
    case 2:
      icw2_ = v;
      initStep_ = single_ ? (expectIcw4_ ? 4 : 0) : 3;
      return;
    case 3:
      icw3_ = v;
      initStep_ = expectIcw4_ ? 4 : 0;
      return;
    case 4:
      icw4_ = v;
      initStep_ = 0;
      return;
    default: imr_ = v;
  }
}

void Pic8259::save(SnapshotWriter& w) const {
  w.section(deviceName());
  uint8_t b[] = {irr_, isr_, imr_, lines_, icw2_, icw3_, icw4_, initStep_, lowest_};
  w.bytes(b, sizeof b);
  w.boolean(expectIcw4_), w.boolean(single_), w.boolean(readIsr_), w.boolean(poll_);
  w.boolean(specialMask_), w.boolean(rotateAutoEoi_);
}

bool Pic8259::load(SnapshotReader& r) {
  r.section(deviceName());
  uint8_t b[9];
  r.bytes(b, sizeof b);
  irr_ = b[0], isr_ = b[1], imr_ = b[2], lines_ = b[3], icw2_ = b[4], icw3_ = b[5], icw4_ = b[6];
  initStep_ = b[7], lowest_ = b[8];
  expectIcw4_ = r.boolean(), single_ = r.boolean(), readIsr_ = r.boolean(), poll_ = r.boolean();
  specialMask_ = r.boolean(), rotateAutoEoi_ = r.boolean();
  return r.ok();
}

void DualPic::cascade() { master_.setLine(2, slave_.highestPending() >= 0); }

void DualPic::setIrq(int irq, bool level) {
  if (irq < 0 || irq > 15) return;
  if (irq < 8) master_.setLine(irq, level);
  else slave_.setLine(irq - 8, level);
  cascade();
}

bool DualPic::line(int irq) const {
  if (irq < 0 || irq > 15) return false;
  return irq < 8 ? (const_cast<Pic8259&>(master_).lines() >> irq) & 1
                 : (const_cast<Pic8259&>(slave_).lines() >> (irq - 8)) & 1;
}

bool DualPic::canEverInterrupt(uint16_t wired) const { return pending() || (openIrqs() & wired) != 0; }

uint16_t DualPic::openIrqs() const {
  const uint8_t master = master_.openLines();
  const uint8_t slave = (master & 0x04) ? slave_.openLines() : 0;
  return uint16_t(master | (slave << 8));
}

bool DualPic::pending() const {
  const_cast<DualPic*>(this)->cascade();
  return master_.highestPending() >= 0;
}

uint8_t DualPic::acknowledge() {
  cascade();
  int l = master_.acknowledge();
  uint8_t vec;
  if (l == 2) {
    int s = slave_.acknowledge();
    vec = uint8_t(slave_.vectorBase() + s);
  } else {
    vec = uint8_t(master_.vectorBase() + l);
  }
  cascade();
  return vec;
}

void DualPic::save(SnapshotWriter& w) const {
  master_.save(w);
  slave_.save(w);
}

bool DualPic::load(SnapshotReader& r) {
  bool ok = master_.load(r) && slave_.load(r);
  return ok;
}

}  // namespace bv
