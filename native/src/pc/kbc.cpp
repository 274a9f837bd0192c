#include "pc/kbc.h"

#include "bootvisor/snapshot.h"

namespace bv {

namespace {
constexpr uint8_t kStatOutFull = 0x01;
constexpr uint8_t kStatSystem = 0x04;
constexpr uint8_t kStatCommand = 0x08;
constexpr uint8_t kStatAuxData = 0x20;
constexpr uint8_t kCcbKbdInt = 0x01;
constexpr uint8_t kCcbAuxInt = 0x02;
constexpr uint8_t kCcbKbdDisabled = 0x10;
constexpr uint8_t kCcbAuxDisabled = 0x20;
constexpr size_t kMaxQueued = 4096;
constexpr uint64_t kRefillNs = 1000000;  // 1 ms

constexpr uint8_t kCmdReadCcb = 0x20, kCmdWriteCcb = 0x60, kCmdAuxDisable = 0xA7, kCmdAuxEnable = 0xA8,
                  kCmdAuxTest = 0xA9, kCmdSelfTest = 0xAA, kCmdKbdTest = 0xAB, kCmdKbdDisable = 0xAD,
                  kCmdKbdEnable = 0xAE, kCmdReadInput = 0xC0, kCmdReadOutput = 0xD0, kCmdWriteOutput = 0xD1,
                  kCmdWriteKbdOut = 0xD2, kCmdWriteAuxOut = 0xD3, kCmdWriteAux = 0xD4, kCmdDisableA20 = 0xDD,
                  kCmdEnableA20 = 0xDF, kCmdReadTest = 0xE0, kCmdReset = 0xFE;
constexpr uint8_t kAck = 0xFA;
}  // namespace

Kbc::Kbc(Clock& clock, Wiring wiring) : clock_(clock), w_(std::move(wiring)) {
  timer_ = clock_.addTimer([this] {
    refillArmed_ = false;
    refill();
  });
}

void Kbc::updateIrq() {
  bool full = status_ & kStatOutFull;
  bool aux = status_ & kStatAuxData;
  if (w_.irq1) w_.irq1(full && !aux && (ccb_ & kCcbKbdInt));
  if (w_.irq12) w_.irq12(full && aux && (ccb_ & kCcbAuxInt));
}

void Kbc::deliver(uint8_t byte, bool aux) {
  out_ = byte;
  status_ = uint8_t((status_ | kStatOutFull) & ~kStatAuxData) | (aux ? kStatAuxData : 0);
  updateIrq();
}

// Moves the next queued byte into the output buffer (the keyboard's first, then the mouse's), unless the
// buffer is full, that device is disabled by the command byte, or the previous byte was read less than
// kRefillNs ago.
void Kbc::refill() {
  if ((status_ & kStatOutFull) || refillArmed_) return;
  if (!queue_.empty() && !(ccb_ & kCcbKbdDisabled)) {
    uint8_t b = queue_.front();
    queue_.pop_front();
    deliver(b, false);
  } else if (!auxQueue_.empty() && !(ccb_ & kCcbAuxDisabled)) {
    uint8_t b = auxQueue_.front();
    auxQueue_.pop_front();
    deliver(b, true);
  }
}

void Kbc::pushAux(const std::vector<uint8_t>& bytes) {
  for (uint8_t b : bytes)
    if (auxQueue_.size() < kMaxQueued) auxQueue_.push_back(b);
  refill();
}

void Kbc::mouseMove(int dx, int dy, uint8_t buttons) { pushAux(mouse_.move(dx, dy, buttons)); }

void Kbc::enableAux() {
  ccb_ = uint8_t((ccb_ & ~kCcbAuxDisabled) | kCcbAuxInt);
  updateIrq();
  refill();
}

void Kbc::pushScanCodes(const uint8_t* codes, size_t n) {
  if (!kbdEnabled_) return;
  // A real keyboard buffers 16 keys; ours keeps what the host types (bounded so a runaway host cannot grow it).
  for (size_t i = 0; i < n && queue_.size() < kMaxQueued; ++i) queue_.push_back(codes[i]);
  refill();
}

uint32_t Kbc::portRead(uint16_t offset, unsigned size) {
  if (offset == 4) return status_;
  if (offset != 0) return 0xFF;
  uint8_t v = out_;
  if (status_ & kStatOutFull) {
    status_ &= ~kStatOutFull;
    updateIrq();
    if ((!queue_.empty() || !auxQueue_.empty()) && !refillArmed_) {
      refillArmed_ = true;
      clock_.arm(timer_, clock_.now() + kRefillNs);
    }
  }
  return v;
}

void Kbc::keyboardCommand(uint8_t v) {
  if (kbdCmd_) {
    uint8_t cmd = kbdCmd_;
    kbdCmd_ = 0;
    if (cmd == 0xED) leds_ = v & 7;
    if (cmd == 0xF0) {
      if (v == 0) {
        reply(kAck);
        reply(scanSet_);
        return;
      }
      if (v <= 3) scanSet_ = v;
    }
    reply(kAck);
    return;
  }
  switch (v) {
    case 0xED:
    case 0xF0:
    case 0xF3:
      kbdCmd_ = v;
      reply(kAck);
      break;
    case 0xEE: reply(0xEE); break;  // echo
    case 0xF2:
      reply(kAck);
      reply(0xAB);
      reply(0x41);
      break;  // identify (MF2, translated)
    case 0xF4:
      kbdEnabled_ = true;
      reply(kAck);
      break;
    case 0xF5:
      kbdEnabled_ = false;
      queue_.clear();
      reply(kAck);
      break;
    case 0xF6:
      scanSet_ = 2;
      leds_ = 0;
      reply(kAck);
      break;
    case 0xFF:
      queue_.clear();
      kbdEnabled_ = true;
      scanSet_ = 2;
      reply(kAck);
      reply(0xAA);  // self-test passed
      break;
    default: reply(kAck); break;
  }
}

void Kbc::portWrite(uint16_t offset, unsigned size, uint32_t value) {
  uint8_t v = uint8_t(value);
  if (offset == 4) {
    status_ |= kStatCommand;
    pendingCmd_ = 0;
    switch (v) {
      case kCmdReadCcb: deliver(ccb_, false); break;
      case kCmdWriteCcb:
      case kCmdWriteOutput:
      case kCmdWriteKbdOut:
      case kCmdWriteAuxOut:
      case kCmdWriteAux: pendingCmd_ = v; break;
      case kCmdAuxDisable: ccb_ |= kCcbAuxDisabled; break;
      case kCmdAuxEnable:
        ccb_ &= ~kCcbAuxDisabled;
        refill();
        break;
      case kCmdAuxTest: deliver(0x00, false); break;
      case kCmdSelfTest:
        status_ |= kStatSystem;
        deliver(0x55, false);
        break;
      case kCmdKbdTest: deliver(0x00, false); break;
      case kCmdKbdDisable: ccb_ |= kCcbKbdDisabled; break;
      case kCmdKbdEnable:
        ccb_ &= ~kCcbKbdDisabled;
        refill();
        break;
      case kCmdReadInput: deliver(0x80, false); break;  // keyboard not inhibited
      case kCmdReadOutput:
        outputPort_ = uint8_t((outputPort_ & ~0x02) | (w_.a20 && w_.a20() ? 0x02 : 0));
        deliver(outputPort_, false);
        break;
      case kCmdDisableA20:
        if (w_.setA20) w_.setA20(false);
        break;
      case kCmdEnableA20:
        if (w_.setA20) w_.setA20(true);
        break;
      case kCmdReadTest: deliver(0x00, false); break;
      default:
        // 0xF0-0xFF pulse output port lines; bit 0 low is the CPU reset.
        if (v >= 0xF0 && !(v & 1) && w_.reset) w_.reset();
        break;
    }
    return;
  }
  if (offset != 0) return;
  status_ &= ~kStatCommand;
  uint8_t cmd = pendingCmd_;
  pendingCmd_ = 0;
  switch (cmd) {
    case kCmdWriteCcb:
      ccb_ = v;
      status_ = uint8_t((status_ & ~kStatSystem) | (v & kStatSystem));
      updateIrq();
      refill();
      break;
    case kCmdWriteOutput:
      outputPort_ = v;
      if (w_.setA20) w_.setA20(v & 0x02);
      if (!(v & 0x01) && w_.reset) w_.reset();
      break;
    case kCmdWriteKbdOut: deliver(v, false); break;
    case kCmdWriteAuxOut: deliver(v, true); break;
    case kCmdWriteAux: pushAux(mouse_.command(v)); break;
    default: keyboardCommand(v); break;
  }
}

void Kbc::save(SnapshotWriter& w) const {
  w.section("i8042");
  std::vector<uint8_t> q(queue_.begin(), queue_.end());
  w.blob(q);
  uint8_t b[] = {out_, status_, ccb_, pendingCmd_, kbdCmd_, outputPort_, scanSet_, leds_};
  w.bytes(b, sizeof b);
  w.boolean(kbdEnabled_);
  w.boolean(refillArmed_);
  std::vector<uint8_t> aux(auxQueue_.begin(), auxQueue_.end());
  w.blob(aux);
  mouse_.save(w);
}

bool Kbc::load(SnapshotReader& r) {
  r.section("i8042");
  std::vector<uint8_t> q = r.blob();
  queue_.assign(q.begin(), q.end());
  uint8_t b[8];
  r.bytes(b, sizeof b);
  out_ = b[0], status_ = b[1], ccb_ = b[2], pendingCmd_ = b[3], kbdCmd_ = b[4], outputPort_ = b[5];
  scanSet_ = b[6], leds_ = b[7];
  kbdEnabled_ = r.boolean();
  refillArmed_ = r.boolean();
  std::vector<uint8_t> aux = r.blob();
  auxQueue_.assign(aux.begin(), aux.end());
  return mouse_.load(r) && r.ok();
}

}  // namespace bv
