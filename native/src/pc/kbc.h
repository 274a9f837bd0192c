// Intel 8042 keyboard controller with a PS/2 keyboard behind it (IBM PC/AT Technical Reference, "Keyboard
// Controller"), set-1 scan codes (the controller's translation on). Offsets: 0 = data (port 0x60),
// 4 = status / command (port 0x64). The host pushes make/break codes into the keyboard's queue; they reach the
// output buffer one at a time, the next one 1 ms of guest time after the previous was read, so that a guest's
// INT 9 handler chaining to the BIOS reads the same byte twice, as on real hardware.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>

#include "base/clock.h"
#include "bootvisor/device.h"
#include "pc/ps2_mouse.h"

namespace bv {

class Kbc : public PortDevice, public Snapshottable {
 public:
  struct Wiring {
    std::function<void(bool)> irq1;
    std::function<void(bool)> irq12;
    std::function<bool()> a20;  // output port bit 1
    std::function<void(bool)> setA20;
    std::function<void()> reset;  // command 0xFE or output port bit 0 cleared
  };
  Kbc(Clock& clock, Wiring wiring);
  const char* deviceName() const override { return "i8042"; }
  uint32_t portRead(uint16_t offset, unsigned size) override;
  void portWrite(uint16_t offset, unsigned size, uint32_t value) override;
  void save(SnapshotWriter& w) const override;
  bool load(SnapshotReader& r) override;

  void pushScanCodes(const uint8_t* codes, size_t n);
  // The host moved the mouse (dx right, dy down) with these buttons held (bit 0 left, 1 right, 2 middle).
  void mouseMove(int dx, int dy, uint8_t buttons);
  // The mouse itself, for the BIOS's INT 15h C2xxh services (which talk to it without the output buffer).
  Ps2Mouse& mouse() { return mouse_; }
  // Enables the auxiliary port and its interrupt, as the BIOS does when a program enables the mouse.
  void enableAux();
  size_t queued() const { return queue_.size(); }
  bool outputFull() const { return status_ & 1; }

 private:
  void refill();
  void pushAux(const std::vector<uint8_t>& bytes);
  void deliver(uint8_t byte, bool aux);
  void updateIrq();
  void keyboardCommand(uint8_t v);
  void reply(uint8_t b) {
    queue_.push_back(b);
    refill();
  }

  Clock& clock_;
  Wiring w_;
  int timer_;
  std::deque<uint8_t> queue_;     // keyboard -> controller, in order
  std::deque<uint8_t> auxQueue_;  // mouse -> controller, in order
  Ps2Mouse mouse_;
  uint8_t out_ = 0;            // output buffer (kept after a read: reading again returns the same byte)
  uint8_t status_ = 0x1C;      // bit 0 OBF, 2 system flag, 3 last write was a command, 4 not inhibited, 5 aux
  uint8_t ccb_ = 0x45;         // command byte: kbd interrupt, system flag, translation
  uint8_t pendingCmd_ = 0;     // controller command waiting for its data byte (0x60, 0xD1, 0xD2, 0xD3, 0xD4)
  uint8_t kbdCmd_ = 0;         // keyboard command waiting for its argument (0xED, 0xF0, 0xF3)
  uint8_t outputPort_ = 0x03;  // bit 0 reset line (active low), bit 1 A20
  bool kbdEnabled_ = true;     // keyboard scanning (0xF4 / 0xF5)
  uint8_t scanSet_ = 2;        // as the keyboard reports it; translation gives set 1 to the guest
  uint8_t leds_ = 0;
  bool refillArmed_ = false;
};

}  // namespace bv
