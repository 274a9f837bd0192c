// A PS/2 mouse behind the 8042's auxiliary port, as the IBM PS/2 Mouse Technical Reference describes it:
// commands arrive through the controller's 0xD4 (or from the BIOS directly), each answered with 0xFA and its
// result bytes; in stream mode with reporting on, each movement is a 3-byte packet (buttons and sign bits,
// X, Y with up positive). The controller keeps the bytes it has not delivered yet.
#pragma once
#include <cstdint>
#include <vector>

namespace bv {

class SnapshotWriter;
class SnapshotReader;

class Ps2Mouse {
 public:
  // A command byte (or a command's argument); returns the bytes the mouse answers with.
  std::vector<uint8_t> command(uint8_t byte);
  // The host moved the mouse (dx right, dy down, in mouse counts) with these buttons held (bit 0 left,
  // bit 1 right, bit 2 middle). Returns the packets to send (none while reporting is off or in remote mode;
  // remote mode keeps the movement for the next 0xEB read).
  std::vector<uint8_t> move(int dx, int dy, uint8_t buttons);
  bool reporting() const { return reporting_; }
  void save(SnapshotWriter& w) const;
  bool load(SnapshotReader& r);

 private:
  void defaults();
  // One packet of at most ±255 counts per axis from the movement kept so far (which it takes).
  void packet(std::vector<uint8_t>& out);

  uint8_t pending_ = 0;  // a command waiting for its argument (0xF3 sample rate, 0xE8 resolution)
  bool reporting_ = false;
  bool remote_ = false;
  bool wrap_ = false;
  bool scaling21_ = false;
  uint8_t rate_ = 100;
  uint8_t resolution_ = 2;
  uint8_t buttons_ = 0;
  int32_t dx_ = 0, dy_ = 0;  // movement not yet reported (PS/2 axes: Y up)
};

}  // namespace bv
