#include "pc/vbe.h"

#include <algorithm>
#include <cstring>

#include "bootvisor/snapshot.h"
#include "pc/vga.h"

namespace bv {

namespace {
constexpr uint16_t kIdFirst = 0xB0C0, kIdLast = 0xB0C5;
constexpr uint32_t kGrowStep = 1u << 20;  // video memory is allocated a MiB at a time, as far as written
}  // namespace

void Vbe::reset() {
  const bool was = banked();
  std::memset(regs_, 0, sizeof regs_);
  regs_[kId] = kIdLast;
  index_ = 0, lineBytes_ = 0, startByte_ = 0, biosMode_ = 0;
  ++changes_;
  if (was) mapWindow();
}

// While banked, every access to A0000-AFFFF is device memory that reaches this memory; otherwise the VGA decides.
void Vbe::mapWindow() {
  if (banked()) mem_.setDevice(Vga::kWindow, Vga::kPlaneSize, true);
  else vga_.remapWindow();
}

uint16_t Vbe::reg(Index i) const {
  if (i == kVideoMemory64k) return uint16_t(kMemorySize >> 16);
  if (i >= kCount) return 0;
  if (regs_[kEnable] & kGetCaps) {
    if (i == kXres) return kMaxXres;
    if (i == kYres) return kMaxYres;
    if (i == kBpp) return kMaxBpp;
  }
  return regs_[i];
}

// The checks QEMU makes whenever the geometry changes while enabled: they keep every line the screen shows
// inside the video memory.
void Vbe::fixup() {
  if (!enabled()) return;
  uint16_t* r = regs_;
  switch (r[kBpp]) {
    case 4:
    case 8:
    case 15:
    case 16:
    case 24:
    case 32: break;
    default: r[kBpp] = 8; break;
  }
  const uint32_t bits = uint32_t(storedBits(r[kBpp]));
  r[kXres] = uint16_t(r[kXres] & ~7u);
  if (r[kXres] == 0) r[kXres] = 8;
  if (r[kXres] > kMaxXres) r[kXres] = kMaxXres;
  r[kVirtWidth] = uint16_t(r[kVirtWidth] & ~7u);
  if (r[kVirtWidth] > kMaxXres) r[kVirtWidth] = kMaxXres;
  if (r[kVirtWidth] < r[kXres]) r[kVirtWidth] = r[kXres];
  const uint32_t line = std::max<uint32_t>(1, r[kVirtWidth] * bits / 8);
  const uint32_t maxY = kMemorySize / line;
  if (r[kYres] == 0) r[kYres] = 1;
  if (r[kYres] > kMaxYres) r[kYres] = kMaxYres;
  if (r[kYres] > maxY) r[kYres] = uint16_t(maxY);
  if (r[kXOffset] > kMaxXres) r[kXOffset] = kMaxXres;
  if (r[kYOffset] > kMaxYres) r[kYOffset] = kMaxYres;
  uint32_t start = r[kXOffset] * bits / 8 + r[kYOffset] * line;
  if (uint64_t(start) + uint64_t(r[kYres]) * line > kMemorySize) {
    r[kYOffset] = 0;
    start = r[kXOffset] * bits / 8;
    if (uint64_t(start) + uint64_t(r[kYres]) * line > kMemorySize) r[kXOffset] = 0, start = 0;
  }
  r[kVirtHeight] = uint16_t(std::min<uint32_t>(maxY, 0xFFFF));
  lineBytes_ = line;
  startByte_ = start & ~3u;  // QEMU keeps the start address in 32-bit units
}

void Vbe::setReg(Index i, uint16_t v) {
  const bool wasBanked = banked();
  switch (i) {
    case kId:
      if (v >= kIdFirst && v <= kIdLast) regs_[kId] = v;
      break;
    case kXres:
    case kYres:
    case kBpp:
    case kVirtWidth:
    case kXOffset:
    case kYOffset:
      regs_[i] = v;
      fixup();
      break;
    case kBank: regs_[kBank] = uint16_t(v & ((kMemorySize >> 16) - 1)); break;
    case kEnable:
      if ((v & kEnabled) && !enabled()) {
        regs_[kVirtWidth] = regs_[kXOffset] = regs_[kYOffset] = 0;
        regs_[kEnable] |= kEnabled;
        fixup();
        if (!(v & kNoClear)) fill(0, uint32_t(regs_[kYres]) * lineBytes_, 0);
      }
      if (!(v & kEnabled)) biosMode_ = 0;
      regs_[kEnable] = v;
      break;
    default: break;  // VIRT_HEIGHT and the memory size are read-only
  }
  if (banked() != wasBanked) mapWindow();
  ++changes_;
  mem_.noteWrite(Vga::kWindow, 1);  // the picture may have changed: tell the screen
}

uint32_t Vbe::portRead(uint16_t offset, unsigned size) {
  if (offset == 0) return index_;
  return index_ <= kVideoMemory64k ? reg(Index(index_)) : 0;
}

void Vbe::portWrite(uint16_t offset, unsigned size, uint32_t value) {
  if (offset == 0) index_ = uint16_t(value);
  else if (index_ <= kVideoMemory64k) setReg(Index(index_), uint16_t(value));
}

void Vbe::grow(uint32_t end) {
  if (end <= vram_.size()) return;
  const uint32_t want = std::min(kMemorySize, (end + kGrowStep - 1) / kGrowStep * kGrowStep);
  vram_.resize(want, 0);
}

void Vbe::write(uint32_t offset, uint8_t v) {
  if (offset >= kMemorySize) return;
  if (offset >= vram_.size()) {
    if (v == 0) return;  // unwritten memory reads as zero already
    grow(offset + 1);
  }
  vram_[offset] = v;
  memoryWritten();
}

void Vbe::memoryWritten() {
  ++changes_;
  // The screen looks for written display pages in the VGA window; one flag there stands for this memory too.
  if (!(mem_.pageFlag(Vga::kWindow) & PAGE_DIRTY_DISPLAY)) mem_.noteWrite(Vga::kWindow, 1);
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "readWide/writeWide copy the host's bytes as the guest's");

uint64_t Vbe::readWide(uint32_t offset, unsigned size) const {
  uint64_t v = 0;
  if (size <= 8 && offset < vram_.size() && size <= vram_.size() - offset) {
    std::memcpy(&v, vram_.data() + offset, size);
    return v;
  }
  for (unsigned i = 0; i < size && i < 8; ++i) v |= uint64_t(read(offset + i)) << (8 * i);
  return v;
}

void Vbe::writeWide(uint32_t offset, unsigned size, uint64_t value) {
  if (size <= 8 && offset < vram_.size() && size <= vram_.size() - offset) {
    std::memcpy(vram_.data() + offset, &value, size);
    memoryWritten();
    return;
  }
  // Past what was written (the memory grows here) or past its end (the bytes beyond are dropped).
  for (unsigned i = 0; i < size && i < 8; ++i) write(offset + i, uint8_t(value >> (8 * i)));
}

bool Vbe::fill(uint32_t offset, uint32_t len, uint8_t v) {
  if (offset > kMemorySize || len > kMemorySize - offset) return false;
  if (v != 0) grow(offset + len);
  const uint32_t end = std::min<uint32_t>(offset + len, uint32_t(vram_.size()));
  if (offset < end) std::memset(vram_.data() + offset, v, end - offset);
  ++changes_;
  mem_.noteWrite(Vga::kWindow, 1);
  return true;
}

void Vbe::save(SnapshotWriter& w) const {
  w.section("vbe");
  w.u16(index_);
  w.bytes(regs_, sizeof regs_);
  w.u32(lineBytes_);
  w.u32(startByte_);
  w.u16(biosMode_);
  // Only as far as the memory was ever written (nothing at all for a guest that never used it).
  uint32_t used = uint32_t(vram_.size());
  while (used > 0 && vram_[used - 1] == 0) --used;
  w.u32(used);
  if (used) w.bytes(vram_.data(), used);  // an empty vector's data() may be null
}

bool Vbe::load(SnapshotReader& r) {
  r.section("vbe");
  const bool wasBanked = banked();
  index_ = r.u16();
  r.bytes(regs_, sizeof regs_);
  lineBytes_ = r.u32();
  startByte_ = r.u32();
  biosMode_ = r.u16();
  const uint32_t used = r.u32();
  if (!r.ok() || used > kMemorySize) return false;
  vram_.clear();
  grow(used);
  if (used) r.bytes(vram_.data(), used);
  ++changes_;
  if (banked() != wasBanked) mapWindow();
  return r.ok();
}

}  // namespace bv
