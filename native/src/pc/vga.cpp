#include "pc/vga.h"

#include <algorithm>
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
constexpr uint64_t kFrameNs = 14268000;  // 70.086 Hz, 400-line modes
constexpr uint64_t kVretraceNs = 63555;  // two lines of vertical sync
constexpr uint64_t kVblankNs = 1430000;  // blanking as programs see it through bit 0
constexpr uint64_t kLineNs = 31778;
constexpr uint64_t kHblankNs = 6356;

const VgaModeInfo kModes[] = {
    {0x00, false, 40, 25, 0, 0, 0, 0xB8000, 16},    {0x01, false, 40, 25, 0, 0, 0, 0xB8000, 16},
    {0x02, false, 80, 25, 0, 0, 0, 0xB8000, 16},    {0x03, false, 80, 25, 0, 0, 0, 0xB8000, 16},
    {0x04, true, 40, 25, 320, 200, 2, 0xB8000, 8},  {0x05, true, 40, 25, 320, 200, 2, 0xB8000, 8},
    {0x06, true, 80, 25, 640, 200, 1, 0xB8000, 8},  {0x07, false, 80, 25, 0, 0, 0, 0xB0000, 16},
    {0x0D, true, 40, 25, 320, 200, 4, 0xA0000, 8},  {0x0E, true, 80, 25, 640, 200, 4, 0xA0000, 8},
    {0x0F, true, 80, 25, 640, 350, 4, 0xA0000, 14}, {0x10, true, 80, 25, 640, 350, 4, 0xA0000, 14},
    {0x11, true, 80, 30, 640, 480, 4, 0xA0000, 16}, {0x12, true, 80, 30, 640, 480, 4, 0xA0000, 16},
    {0x13, true, 40, 25, 320, 200, 8, 0xA0000, 8},
};

// The DAC's power-on tables, one per kind of mode, each entry's 6-bit R, G, B from its index.
// EGA: the 64 colours of the 6-bit rgbRGB code (bits 5-3 add a third, bits 2-0 two thirds).
void egaColor(int i, uint8_t* c) {
  for (int k = 0; k < 3; ++k) c[k] = uint8_t(((i >> (2 - k)) & 1) * 42 + ((i >> (5 - k)) & 1) * 21);
}
// CGA (200-line modes): the 16 CGA colours, bit 4 the intensity, bits 3 and 5 ignored; dark yellow is brown.
void cgaColor(int i, uint8_t* c) {
  int intense = (i >> 4) & 1;
  for (int k = 0; k < 3; ++k) c[k] = uint8_t(((i >> (2 - k)) & 1) * 42 + intense * 21);
  if ((i & 0x17) == 6) c[1] = 21;
}
// Monochrome (mode 7): bit 3 or bit 4 alone is the normal grey, both the intense white.
void monoColor(int i, uint8_t* c) {
  static const uint8_t kGrey[4] = {0, 42, 42, 63};
  c[0] = c[1] = c[2] = kGrey[(i >> 3) & 3];
}

// The attribute controller as the BIOS programs it per mode: 16 palette registers, then mode control,
// overscan, colour plane enable, horizontal panning, colour select.
struct AttrSet {
  uint8_t r[0x15];
};
const AttrSet kAttrText = {{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                            0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00}};
const AttrSet kAttrMono = {{0x00, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x10, 0x18, 0x18,
                            0x18, 0x18, 0x18, 0x18, 0x18, 0x0E, 0x00, 0x0F, 0x08, 0x00}};
// Mode 4/5: palette 1 at high intensity (cyan, magenta, white), as IBM's and SeaBIOS's BIOSes start it.
const AttrSet kAttrCga4 = {{0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12,
                            0x13, 0x14, 0x15, 0x16, 0x17, 0x01, 0x00, 0x03, 0x00, 0x00}};
const AttrSet kAttrCga6 = {{0x00, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17,
                            0x17, 0x17, 0x17, 0x17, 0x17, 0x01, 0x00, 0x01, 0x00, 0x00}};
// The 16-colour planar modes: 200-line ones the CGA's colours (8-15 the intense ones), 350/480-line ones the
// EGA's text palette.
const AttrSet kAttrPlanar200 = {{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x10, 0x11, 0x12,
                                 0x13, 0x14, 0x15, 0x16, 0x17, 0x01, 0x00, 0x0F, 0x00, 0x00}};
const AttrSet kAttrPlanar = {{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                              0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00}};
// Mode 0Fh (monochrome 640x350: black, grey, intense, as the VGA BIOS sets it: plane 0 shown) and 11h (640x480
// in two colours: every odd colour white).
const AttrSet kAttrMono350 = {{0x00, 0x08, 0x00, 0x00, 0x18, 0x18, 0x00, 0x00, 0x00, 0x08, 0x00,
                               0x00, 0x00, 0x18, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00}};
const AttrSet kAttrTwo480 = {{0x00, 0x3F, 0x00, 0x3F, 0x00, 0x3F, 0x00, 0x3F, 0x00, 0x3F, 0x00,
                              0x3F, 0x00, 0x3F, 0x00, 0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00}};
const AttrSet kAttr256 = {{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
                           0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00}};
}  // namespace

const VgaModeInfo* vgaModeInfo(uint8_t mode) {
  for (const auto& m : kModes)
    if (m.mode == (mode & 0x7F)) return &m;
  return nullptr;
}

Vga::Vga(GuestMemory& memory, Clock& clock)
    : mem_(memory), clock_(clock), mode_(vgaModeInfo(3)), planes_(4 * kPlaneSize, 0) {
  loadDefaultRegisters();
  mapWindow();
}

void Vga::mapWindow() { mem_.setDevice(kWindow, kPlaneSize, mode_->mode != 0x13 || unchained()); }

// Mode 13h keeps its pixels in guest RAM while chain-4 is on (CPU address a is plane a & 3 at offset a >> 2, as
// QEMU lays it out, so a picture drawn chained shows unchanged unchained);
// turning chain-4 off ("mode X") moves them into the planes and makes A0000 device memory, turning it on moves
// them back.
void Vga::setChained(bool chained) {
  uint8_t* ram = mem_.data() + kWindow;
  if (!mem_.contains(kWindow, kPlaneSize)) return;
  if (chained) {
    for (uint32_t a = 0; a < kPlaneSize; ++a) ram[a] = plane(int(a & 3))[a >> 2];
    mapWindow();
    mem_.noteWrite(kWindow, kPlaneSize);
  } else {
    for (uint32_t a = 0; a < kPlaneSize; ++a) plane(int(a & 3))[a >> 2] = ram[a];
    planesInUse_ = true;
    mapWindow();
  }
}

void Vga::setDac(int i, uint8_t r, uint8_t g, uint8_t b) {
  dac_[i & 255][0] = r & 0x3F, dac_[i & 255][1] = g & 0x3F, dac_[i & 255][2] = b & 0x3F;
}

bool Vga::cursorVisible() const {
  int start = crtc_[0x0A] & 0x1F, end = crtc_[0x0B] & 0x1F;
  if (end > charHeight() - 1) end = charHeight() - 1;
  return !(crtc_[0x0A] & 0x20) && start <= end;
}

int Vga::cellWidth() const { return seq_[1] & 0x08 ? 16 : (seq_[1] & 0x01 ? 8 : 9); }

uint8_t Vga::dacIndexOf(uint8_t color) const {
  uint8_t v = attr_[color & 15];
  // Mode control bit 7: colour select bits 0-1 replace palette bits 4-5; bits 2-3 always give DAC bits 6-7.
  v = attr_[0x10] & 0x80 ? uint8_t((v & 0x0F) | ((attr_[0x14] & 0x03) << 4)) : uint8_t(v & 0x3F);
  return uint8_t((v | ((attr_[0x14] & 0x0C) << 4)) & dacMask_);
}

void Vga::loadFont(int block, int first, int count, int height, const uint8_t* glyphs) {
  for (int i = 0; i < count && first + i < 256; ++i) {
    uint8_t* dst = plane(2) + fontBlockOffset(block) + (first + i) * 32;
    std::memset(dst, 0, 32);
    std::memcpy(dst, glyphs + size_t(i) * height, size_t(height < 32 ? height : 32));
  }
}

// The registers as the VGA BIOS leaves them after a mode set, and its power-on palettes: in text modes the EGA's
// 64 colours in DAC 0-63 picked by the attribute palette; in 200-line graphics modes the CGA's 16 colours; in
// mode 13h the 16 CGA colours, a grey ramp, then three 72-entry hue wheels at falling brightness and saturation.
void Vga::loadDefaultRegisters() {
  const uint8_t m = mode_->mode;
  const bool planar200 = m == 0x0D || m == 0x0E, planar = mode_->bpp == 4;
  const AttrSet& a = m == 0x07                ? kAttrMono
                     : m == 0x04 || m == 0x05 ? kAttrCga4
                     : m == 0x06              ? kAttrCga6
                     : m == 0x13              ? kAttr256
                     : m == 0x0F              ? kAttrMono350
                     : m == 0x11              ? kAttrTwo480
                     : planar200              ? kAttrPlanar200
                     : planar                 ? kAttrPlanar
                                              : kAttrText;
  std::memcpy(attr_, a.r, sizeof attr_);
  std::memset(dac_, 0, sizeof dac_);
  if (m == 0x13) {
    for (int i = 0; i < 16; ++i) cgaColor((i & 7) | ((i & 8) << 1), dac_[i]);
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
        for (int k = 0; k < 5; ++k) step[k] = (lo * 4 + (hi - lo) * k + 1) / 4;  // nearest, halves down
        for (int h = 0; h < 24; ++h) {
          int seg = h / 4, k = h % 4, r, g, b;
          switch (seg) {
            case 0: r = step[k], g = lo, b = hi; break;       // blue -> magenta
            case 1: r = hi, g = lo, b = step[4 - k]; break;   // magenta -> red
            case 2: r = hi, g = step[k], b = lo; break;       // red -> yellow
            case 3: r = step[4 - k], g = hi, b = lo; break;   // yellow -> green
            case 4: r = lo, g = hi, b = step[k]; break;       // green -> cyan
            default: r = lo, g = step[4 - k], b = hi; break;  // cyan -> blue
          }
          setDac(idx++, uint8_t(r), uint8_t(g), uint8_t(b));
        }
      }
    }
  } else {
    for (int i = 0; i < 64; ++i) {
      if (m == 0x07 || m == 0x0F) monoColor(i, dac_[i]);
      else if (mode_->graphics && !(planar && !planar200)) cgaColor(i, dac_[i]);
      else egaColor(i, dac_[i]);
    }
  }
  dacMask_ = 0xFF;
  // Sequencer: clocking mode (8 or 9 dots, halved dot clock in 40-column and 320-pixel modes), map mask,
  // character map select, memory mode.
  seq_[0] = 0x03;
  seq_[1] = uint8_t((mode_->graphics ? 0x01 : 0x00) | (mode_->columns == 40 ? 0x08 : 0x00));
  seq_[2] = mode_->graphics ? 0x0F : 0x03;
  seq_[3] = 0x00;
  seq_[4] = m == 0x13 ? 0x0E : planar ? 0x06 : 0x02;
  std::memset(gc_, 0, sizeof gc_);
  gc_[5] = m == 0x13 ? 0x40 : m == 0x04 || m == 0x05 ? 0x30 : mode_->graphics ? 0x00 : 0x10;
  gc_[6] = mode_->graphics ? (m == 0x13 || planar ? 0x05 : 0x0D) : (m == 0x07 ? 0x0A : 0x0E);
  gc_[7] = 0x0F, gc_[8] = 0xFF;
  std::memset(crtc_, 0, sizeof crtc_);
  crtc_[0x01] = uint8_t(
      (mode_->graphics ? mode_->width / (m == 0x13 || (mode_->width == 320 && !planar) ? 4 : 8) : mode_->columns) - 1);
  crtc_[0x09] = uint8_t(mode_->graphics ? (m == 0x06 || m == 0x04 || m == 0x05 ? 0xC1
                                           : planar200                         ? 0xC0
                                           : planar                            ? 0x40
                                                                               : 0x41)
                                        : 0x40 | (mode_->charHeight - 1));
  crtc_[0x13] = uint8_t(mode_->graphics ? (m == 0x0D ? 0x14 : 0x28) : mode_->columns / 2);
  crtc_[0x12] = 0x8F, crtc_[0x07] = 0x1F, crtc_[0x18] = 0xFF;  // line compare: no split screen
  if (mode_->graphics) crtc_[0x0A] = 0x20;                     // no cursor in graphics modes
  else if (m == 0x07) crtc_[0x0A] = 0x0B, crtc_[0x0B] = 0x0C;
  else crtc_[0x0A] = 0x0D, crtc_[0x0B] = 0x0E;
  misc_ = m == 0x07 ? 0x66 : m == 0x0F ? 0xA2 : 0x67;
  cgaColor_ = m == 0x06 ? 0x3F : m == 0x04 || m == 0x05 ? 0x30 : 0x00;
  cgaMode_ = 0;
  if (!mode_->graphics) loadFont(0, 0, 256, mode_->charHeight, vgaRomFont(mode_->charHeight));
}

bool Vga::setMode(uint8_t mode, bool clear) {
  const VgaModeInfo* m = vgaModeInfo(mode);
  if (!m) return false;
  mode_ = m;
  loadDefaultRegisters();
  mapWindow();
  if (clear) {
    // The pixel planes; plane 2 too in planar modes (in text modes it holds the font just loaded).
    for (int i = 0; i < 4; ++i)
      if (i != 2 || m->bpp == 4) std::memset(plane(i), 0, kPlaneSize);
    planesInUse_ = false;
  }
  if (clear && m->bpp != 4) {
    // Made once: a guest may set modes in a loop.
    static const std::vector<uint8_t> blankGraphics(0x10000, 0), blankText = [] {
      std::vector<uint8_t> t(0x8000);
      for (size_t i = 0; i < t.size(); i += 2) t[i] = 0x20, t[i + 1] = 0x07;
      return t;
    }();
    uint32_t len = m->mode == 0x13 ? 0x10000 : 0x8000;
    mem_.write(m->base, (m->graphics ? blankGraphics : blankText).data(), len);
  }
  return true;
}

bool Vga::retrace() const { return clock_.now() % kFrameNs >= kFrameNs - kVretraceNs; }

uint64_t Vga::nextStatusChange(uint64_t now) const {
  const uint64_t inFrame = now % kFrameNs, inLine = now % kLineNs;
  // The retrace bit: on at kFrameNs - kVretraceNs, off at the frame's end.
  uint64_t next = now + (inFrame < kFrameNs - kVretraceNs ? kFrameNs - kVretraceNs - inFrame : kFrameNs - inFrame);
  // The blanking bit: vertical blanking holds it on to the frame's end; otherwise each line's blanking.
  uint64_t blank;
  if (inFrame >= kFrameNs - kVblankNs) {
    blank = now + (kFrameNs - inFrame);
  } else {
    blank = now + (inLine < kLineNs - kHblankNs ? kLineNs - kHblankNs - inLine : kLineNs - inLine);
    const uint64_t vblank = now + (kFrameNs - kVblankNs - inFrame);
    if (vblank < blank) blank = vblank;
  }
  return blank < next ? blank : next;
}

uint32_t Vga::portRead(uint16_t offset, unsigned size) {
  switch (offset) {
    case kOfsCrtcIndexMono:
    case kOfsCrtcIndex: return crtcIndex_;
    case kOfsCrtcDataMono:
    case kOfsCrtcData: return crtcIndex_ < sizeof crtc_ ? crtc_[crtcIndex_] : 0xFF;
    case kOfsStatusMono:
    case kOfsStatus: {
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
    case kOfsCrtcIndexMono:
    case kOfsCrtcIndex: crtcIndex_ = v; break;
    case kOfsCrtcDataMono:
    case kOfsCrtcData:
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
    case kOfsSeqData:
      if (seqIndex_ < sizeof seq_) {
        const bool wasUnchained = unchained();
        seq_[seqIndex_] = v;
        if (unchained() != wasUnchained) setChained(!unchained());
      }
      break;
    case kOfsDacMask: dacMask_ = v; break;
    case kOfsDacReadIndex: dacRead_ = v, dacComponent_ = 0, dacReading_ = true; break;
    case kOfsDacWriteIndex: dacWrite_ = v, dacComponent_ = 0, dacReading_ = false; break;
    case kOfsDacData:
      dac_[dacWrite_][dacComponent_] = v & 0x3F;
      if (++dacComponent_ == 3) dacComponent_ = 0, ++dacWrite_;
      break;
    case kOfsGcIndex: gcIndex_ = v; break;
    case kOfsGcData:
      if (gcIndex_ < sizeof gc_) gc_[gcIndex_] = v;
      break;
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
  uint8_t b[] = {crtcIndex_,
                 seqIndex_,
                 gcIndex_,
                 attrIndex_,
                 misc_,
                 dacWrite_,
                 dacRead_,
                 dacComponent_,
                 dacMask_,
                 cgaMode_,
                 cgaColor_,
                 uint8_t(attrFlipFlop_),
                 uint8_t(dacReading_)};
  w.bytes(b, sizeof b);
  w.bytes(latch_, sizeof latch_);
  w.boolean(planesInUse_);
  for (int i = 0; i < 4; ++i)
    if (i == 2 || planesInUse_) w.bytes(plane(i), kPlaneSize);
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
  r.bytes(latch_, sizeof latch_);
  planesInUse_ = r.boolean();
  for (int i = 0; i < 4; ++i) {
    if (i == 2 || planesInUse_) r.bytes(plane(i), kPlaneSize);
    else std::memset(plane(i), 0, kPlaneSize);
  }
  if (!m || !r.ok()) return false;
  mode_ = m;
  mapWindow();
  return true;
}

}  // namespace bv
