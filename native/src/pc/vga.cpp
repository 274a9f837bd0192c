#include "pc/vga.h"

#include <cstring>

#include "bootvisor/snapshot.h"

namespace bv {

namespace {
// Offsets from 0x3B0.
constexpr uint16_t kOfsCrtcIndexMono = 0x04, kOfsCrtcDataMono = 0x05, kOfsStatusMono = 0x0A, kOfsAttr = 0x10,
                   kOfsAttrRead = 0x11, kOfsMiscWrite = 0x12, kOfsSeqIndex = 0x14, kOfsSeqData = 0x15,
                   kOfsDacMask = 0x16, kOfsDacReadIndex = 0x17, kOfsDacWriteIndex = 0x18, kOfsDacData = 0x19,
                   kOfsMiscRead = 0x1C, kOfsGcIndex = 0x1E, kOfsGcData = 0x1F, kOfsCrtcIndex = 0x24,
                   kOfsCrtcData = 0x25, kOfsCgaMode = 0x28, kOfsCgaColor = 0x29, kOfsStatus = 0x2A;
constexpr uint8_t kStatusDisplayDisabled = 0x01, kStatusVretrace = 0x08;
constexpr uint64_t kFrameNs = 14268000;    // 70.086 Hz, 400-line modes
constexpr uint64_t kVretraceNs = 63555;    // two lines of vertical sync
constexpr uint64_t kVblankNs = 1430000;    // blanking as programs see it through bit 0
constexpr uint64_t kLineNs = 31778;
constexpr uint64_t kHblankNs = 6356;

const VgaModeInfo kModes[] = {
    {0x00, false, 40, 25, 360, 400, 0, 0xB8000}, {0x01, false, 40, 25, 360, 400, 0, 0xB8000},
    {0x02, false, 80, 25, 720, 400, 0, 0xB8000}, {0x03, false, 80, 25, 720, 400, 0, 0xB8000},
    {0x04, true, 40, 25, 320, 200, 2, 0xB8000},  {0x05, true, 40, 25, 320, 200, 2, 0xB8000},
    {0x06, true, 80, 25, 640, 200, 1, 0xB8000},  {0x07, false, 80, 25, 720, 400, 0, 0xB0000},
    {0x13, true, 40, 25, 320, 200, 8, 0xA0000},
};

uint8_t ega(int i, int bit2, int bit1) { return uint8_t(((i >> bit2) & 1) * 42 + ((i >> bit1) & 1) * 21); }
}  // namespace

const VgaModeInfo* vgaModeInfo(uint8_t mode) {
  for (const auto& m : kModes)
    if (m.mode == (mode & 0x7F)) return &m;
  return nullptr;
}

Vga::Vga(GuestMemory& memory, Clock& clock) : mem_(memory), clock_(clock), mode_(vgaModeInfo(3)) {
  loadDefaultPalettes();
  crtc_[0x0A] = 0x0D, crtc_[0x0B] = 0x0E;
}

void Vga::setDac(int i, uint8_t r, uint8_t g, uint8_t b) {
  dac_[i & 255][0] = r & 0x3F, dac_[i & 255][1] = g & 0x3F, dac_[i & 255][2] = b & 0x3F;
}

// The VGA BIOS's power-on palettes: the EGA's 64 colours in DAC 0-63 with the attribute palette picking the
// 16 text colours; in mode 13h the 16 CGA colours, a grey ramp, then three 72-entry hue wheels at falling
// brightness and saturation.
void Vga::loadDefaultPalettes() {
  static const uint8_t kAttr[16] = {0, 1, 2, 3, 4, 5, 0x14, 7, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F};
  std::memcpy(attr_, kAttr, 16);
  attr_[0x10] = 0x0C;  // text, line graphics enable, blink
  attr_[0x12] = 0x0F;
  if (mode_->mode == 0x13) {
    for (int i = 0; i < 16; ++i) attr_[i] = uint8_t(i);
    attr_[0x10] = 0x41;
    for (int i = 0; i < 16; ++i) {
      int c = kAttr[i];
      setDac(i, ega(c, 2, 5), ega(c, 1, 4), ega(c, 0, 3));
    }
    static const uint8_t kGrey[16] = {0, 5, 8, 11, 14, 17, 20, 24, 28, 32, 36, 40, 45, 50, 56, 63};
    for (int i = 0; i < 16; ++i) setDac(16 + i, kGrey[i], kGrey[i], kGrey[i]);
    // Each wheel: 24 hues going blue, magenta, red, yellow, green, cyan, in 4 steps between each pair.
    const int kHi[3] = {63, 28, 16};
    const int kLo[3][3] = {{0, 31, 45}, {0, 14, 20}, {0, 8, 11}};
    int idx = 32;
    for (int v = 0; v < 3; ++v) {
      for (int s = 0; s < 3; ++s) {
        int hi = kHi[v], lo = kLo[v][s];
        int step[5];
        for (int k = 0; k < 5; ++k) step[k] = lo + (hi - lo) * k / 4;
        for (int h = 0; h < 24; ++h) {
          int seg = h / 4, k = h % 4, r, g, b;
          switch (seg) {
            case 0: r = step[k], g = lo, b = hi; break;      // blue -> magenta
            case 1: r = hi, g = lo, b = step[4 - k]; break;  // magenta -> red
            case 2: r = hi, g = step[k], b = lo; break;      // red -> yellow
            case 3: r = step[4 - k], g = hi, b = lo; break;  // yellow -> green
            case 4: r = lo, g = hi, b = step[k]; break;      // green -> cyan
            default: r = lo, g = step[4 - k], b = hi; break; // cyan -> blue
          }
          setDac(idx++, uint8_t(r), uint8_t(g), uint8_t(b));
        }
      }
    }
    for (; idx < 256; ++idx) setDac(idx, 0, 0, 0);
  } else {
    for (int i = 0; i < 64; ++i) setDac(i, ega(i, 2, 5), ega(i, 1, 4), ega(i, 0, 3));
    for (int i = 64; i < 256; ++i) setDac(i, 0, 0, 0);
    if (mode_->mode == 0x07) {  // monochrome: normal and intense green-less grey
      for (int i = 0; i < 16; ++i) attr_[i] = i == 0 ? 0 : (i & 8 ? 0x3F : 0x07);
    }
  }
}

bool Vga::setMode(uint8_t mode, bool clear) {
  const VgaModeInfo* m = vgaModeInfo(mode);
  if (!m) return false;
  mode_ = m;
  loadDefaultPalettes();
  dacMask_ = 0xFF;
  setStartAddress(0);
  setCursorAddress(0);
  if (m->graphics) setCursorShape(0x20, 0x00);  // no cursor in graphics modes
  else if (m->mode == 0x07) setCursorShape(0x0B, 0x0C);
  else setCursorShape(0x0D, 0x0E);
  gc_[6] = m->graphics ? 0x01 : 0x0E;
  misc_ = m->mode == 0x07 ? 0x66 : 0x67;
  cgaColor_ = m->mode == 0x06 ? 0x0F : 0x00;
  cgaMode_ = 0;
  if (clear) {
    uint32_t len = m->mode == 0x13 ? 0x10000 : (m->mode == 0x07 ? 0x8000 : 0x8000);
    std::vector<uint8_t> fill(len, 0);
    if (!m->graphics)
      for (uint32_t i = 0; i < len; i += 2) fill[i] = 0x20, fill[i + 1] = 0x07;
    mem_.write(m->base, fill.data(), len);
  }
  return true;
}

bool Vga::retrace() const { return clock_.now() % kFrameNs >= kFrameNs - kVretraceNs; }

uint8_t Vga::pixelDacIndex(uint8_t v) const {
  switch (mode_->mode) {
    case 0x13: return v;
    case 0x06: return v ? attr_[cgaColor_ & 0x0F] : 0;
    case 0x04: case 0x05: {
      if (v == 0) return attr_[cgaColor_ & 0x0F];
      // Palette 0: green, red, brown; palette 1: cyan, magenta, white; bit 4 selects the intense set.
      static const uint8_t kPal[2][3] = {{2, 4, 6}, {3, 5, 7}};
      uint8_t c = kPal[(cgaColor_ >> 5) & 1][(v - 1) % 3];
      if (cgaColor_ & 0x10) c |= 8;
      return attr_[c & 15];
    }
    default: return attr_[v & 15];
  }
}

uint32_t Vga::portRead(uint16_t offset, unsigned size) {
  switch (offset) {
    case kOfsCrtcIndexMono: case kOfsCrtcIndex: return crtcIndex_;
    case kOfsCrtcDataMono: case kOfsCrtcData: return crtcIndex_ < sizeof crtc_ ? crtc_[crtcIndex_] : 0xFF;
    case kOfsStatusMono: case kOfsStatus: {
      attrFlipFlop_ = false;
      uint64_t t = clock_.now();
      uint64_t inFrame = t % kFrameNs;
      uint8_t v = 0;
      if (inFrame >= kFrameNs - kVretraceNs) v |= kStatusVretrace;
      if (inFrame >= kFrameNs - kVblankNs || (t % kLineNs) >= kLineNs - kHblankNs) v |= kStatusDisplayDisabled;
      return v;
    }
    case kOfsAttr: return attrIndex_;
    case kOfsAttrRead: return (attrIndex_ & 0x1F) < sizeof attr_ ? attr_[attrIndex_ & 0x1F] : 0xFF;
    case kOfsMiscRead: return misc_;
    case kOfsSeqIndex: return seqIndex_;
    case kOfsSeqData: return seqIndex_ < sizeof seq_ ? seq_[seqIndex_] : 0xFF;
    case kOfsDacMask: return dacMask_;
    case kOfsDacReadIndex: return dacReading_ ? 0x03 : 0x00;  // DAC state register
    case kOfsDacWriteIndex: return dacWrite_;
    case kOfsDacData: {
      uint8_t v = dac_[dacRead_][dacComponent_];
      if (++dacComponent_ == 3) dacComponent_ = 0, ++dacRead_;
      return v;
    }
    case kOfsGcIndex: return gcIndex_;
    case kOfsGcData: return gcIndex_ < sizeof gc_ ? gc_[gcIndex_] : 0xFF;
    case kOfsCgaMode: return cgaMode_;
    case kOfsCgaColor: return cgaColor_;
    default: return 0xFF;
  }
}

void Vga::portWrite(uint16_t offset, unsigned size, uint32_t value) {
  uint8_t v = uint8_t(value);
  switch (offset) {
    case kOfsCrtcIndexMono: case kOfsCrtcIndex: crtcIndex_ = v; break;
    case kOfsCrtcDataMono: case kOfsCrtcData:
      if (crtcIndex_ < sizeof crtc_) crtc_[crtcIndex_] = v;
      break;
    case kOfsAttr:
      if (!attrFlipFlop_) {
        attrIndex_ = v & 0x3F;
      } else if ((attrIndex_ & 0x1F) < sizeof attr_) {
        attr_[attrIndex_ & 0x1F] = v;
      }
      attrFlipFlop_ = !attrFlipFlop_;
      break;
    case kOfsMiscWrite: misc_ = v; break;
    case kOfsSeqIndex: seqIndex_ = v; break;
    case kOfsSeqData: if (seqIndex_ < sizeof seq_) seq_[seqIndex_] = v; break;
    case kOfsDacMask: dacMask_ = v; break;
    case kOfsDacReadIndex: dacRead_ = v, dacComponent_ = 0, dacReading_ = true; break;
    case kOfsDacWriteIndex: dacWrite_ = v, dacComponent_ = 0, dacReading_ = false; break;
    case kOfsDacData:
      dac_[dacWrite_][dacComponent_] = v & 0x3F;
      if (++dacComponent_ == 3) dacComponent_ = 0, ++dacWrite_;
      break;
    case kOfsGcIndex: gcIndex_ = v; break;
    case kOfsGcData: if (gcIndex_ < sizeof gc_) gc_[gcIndex_] = v; break;
    case kOfsCgaMode: cgaMode_ = v; break;
    case kOfsCgaColor: cgaColor_ = v; break;
    default: break;
  }
  // A palette or register change can change what is on screen without touching video memory.
  mem_.noteWrite(mode_->base, 1);
}

void Vga::save(SnapshotWriter& w) const {
  w.section("vga");
  w.u8(mode_->mode);
  w.bytes(crtc_, sizeof crtc_);
  w.bytes(seq_, sizeof seq_);
  w.bytes(gc_, sizeof gc_);
  w.bytes(attr_, sizeof attr_);
  w.bytes(dac_, sizeof dac_);
  uint8_t b[] = {crtcIndex_, seqIndex_, gcIndex_, attrIndex_, misc_, dacWrite_, dacRead_, dacComponent_,
                 dacMask_, cgaMode_, cgaColor_, uint8_t(attrFlipFlop_), uint8_t(dacReading_)};
  w.bytes(b, sizeof b);
}

bool Vga::load(SnapshotReader& r) {
  r.section("vga");
  const VgaModeInfo* m = vgaModeInfo(r.u8());
  r.bytes(crtc_, sizeof crtc_);
  r.bytes(seq_, sizeof seq_);
  r.bytes(gc_, sizeof gc_);
  r.bytes(attr_, sizeof attr_);
  r.bytes(dac_, sizeof dac_);
  uint8_t b[13];
  r.bytes(b, sizeof b);
  crtcIndex_ = b[0], seqIndex_ = b[1], gcIndex_ = b[2], attrIndex_ = b[3], misc_ = b[4], dacWrite_ = b[5];
  dacRead_ = b[6], dacComponent_ = b[7], dacMask_ = b[8], cgaMode_ = b[9], cgaColor_ = b[10];
  attrFlipFlop_ = b[11], dacReading_ = b[12];
  if (!m || !r.ok()) return false;
  mode_ = m;
  return true;
}

}  // namespace bv
