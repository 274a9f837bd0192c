#include "vmm/disk_image.h"

#include <cstring>

namespace bv {

namespace {
constexpr uint64_t kSector = 512;
constexpr uint64_t kMaxImage = 8ull << 30;  // INT 13h CHS tops out far below; LBA images past this are not toy OSes

struct MessageText {
  ImageError error;
  const char* text;  // %SIZE% is replaced with the size in bytes
};
const MessageText kImageErrorText[] = {
    {ImageError::Empty, "the image is empty (0 bytes): give a boot sector of 512 bytes or a disk image"},
    {ImageError::NotSectorMultiple,
     "the image is %SIZE% bytes, not a multiple of 512: a disk image is whole sectors (pad it, e.g. "
     "`times 510-($-$$) db 0` and `dw 0xAA55` at the end of a boot sector)"},
    {ImageError::NoSignature,
     "sector 0 does not end with the boot signature 0x55 0xAA (bytes 510-511), so a BIOS would not boot it: "
     "end the boot sector with `dw 0xAA55`, or waive the check (--no-signature-check)"},
    {ImageError::TooLarge, "the image is %SIZE% bytes; images up to 8 GiB are supported"},
    {ImageError::BadDrive, "the boot drive must be 0x00 (floppy) or 0x80 (hard disk)"},
};

struct FloppyFormat {
  uint64_t kib;
  uint32_t cylinders, heads, sectors;
  uint8_t type;
};
const FloppyFormat kFloppies[] = {
    {160, 40, 1, 8, 1},   {180, 40, 1, 9, 1},   {320, 40, 2, 8, 1},    {360, 40, 2, 9, 1},
    {720, 80, 2, 9, 3},   {1200, 80, 2, 15, 2}, {1440, 80, 2, 18, 4},  {1680, 80, 2, 21, 4},
    {1720, 82, 2, 21, 4}, {2880, 80, 2, 36, 5},
};
constexpr uint64_t k144 = 1440 * 1024;

// QEMU's hd_geometry guess: a partition table whose ending CHS values agree on heads and sectors.
bool geometryFromMbr(const std::vector<uint8_t>& b, uint64_t sectors, Geometry& g) {
  if (b.size() < 512 || b[510] != 0x55 || b[511] != 0xAA) return false;
  for (int i = 0; i < 4; ++i) {
    const uint8_t* p = &b[446 + 16 * i];
    uint32_t nrSects;
    std::memcpy(&nrSects, p + 12, 4);
    uint32_t endHead = p[5], endSector = p[6] & 63;
    if (nrSects && endHead && endSector) {
      uint32_t heads = endHead + 1, secs = endSector;
      uint64_t cyl = sectors / (uint64_t(heads) * secs);
      if (cyl >= 1 && cyl <= 16383) {
        g.heads = heads, g.sectors = secs, g.cylinders = uint32_t(cyl);
        return true;
      }
    }
  }
  return false;
}
}  // namespace

std::string imageErrorMessage(ImageError e, uint64_t size) {
  for (const auto& m : kImageErrorText) {
    if (m.error != e) continue;
    std::string s = m.text;
    size_t at = s.find("%SIZE%");
    if (at != std::string::npos) s.replace(at, 6, std::to_string(size));
    return s;
  }
  return "";
}

ImageError DiskImage::open(const std::vector<uint8_t>& bytes, int bootDrive, bool requireSignature,
                           DiskImage& out) {
  uint64_t size = bytes.size();
  if (size == 0) return ImageError::Empty;
  if (size % kSector) return ImageError::NotSectorMultiple;
  if (size > kMaxImage) return ImageError::TooLarge;
  if (requireSignature && (bytes[510] != 0x55 || bytes[511] != 0xAA)) return ImageError::NoSignature;
  if (bootDrive != -1 && bootDrive != 0x00 && bootDrive != 0x80) return ImageError::BadDrive;

  const FloppyFormat* fmt = nullptr;
  for (const auto& f : kFloppies)
    if (f.kib * 1024 == size) fmt = &f;
  bool floppy = bootDrive == 0x00 || (bootDrive == -1 && (fmt || size < k144));
  out = DiskImage();
  out.bytes_ = bytes;
  if (floppy) {
    if (!fmt) {
      // Smaller images (the few sectors nasm makes) are a 1.44 MiB floppy padded with zeros, as QEMU's -fda.
      // Larger odd sizes forced onto a floppy get the 2.88 MiB format.
      fmt = size <= k144 ? &kFloppies[6] : &kFloppies[9];
      uint64_t want = fmt->kib * 1024;
      if (out.bytes_.size() < want) out.bytes_.resize(want, 0);
    }
    out.drive_ = 0x00;
    out.geo_ = Geometry{fmt->cylinders, fmt->heads, fmt->sectors, fmt->type};
    out.sectors_ = out.bytes_.size() / kSector;
    return ImageError::None;
  }
  out.drive_ = 0x80;
  out.sectors_ = size / kSector;
  Geometry g;
  if (!geometryFromMbr(bytes, out.sectors_, g)) {
    // QEMU: 16 heads, 63 sectors; the BIOS's LBA translation doubles the heads while there are more than
    // 1024 cylinders (SeaBIOS), so INT 13h CHS reaches as far as it can.
    g.heads = 16, g.sectors = 63;
    uint64_t cyl = out.sectors_ / (16 * 63);
    while (cyl > 1024 && g.heads < 255) {
      g.heads = g.heads == 128 ? 255 : g.heads * 2;
      cyl = out.sectors_ / (uint64_t(g.heads) * 63);
    }
    if (cyl == 0) cyl = 1;
    g.cylinders = uint32_t(cyl > 1024 ? 1024 : cyl);
  }
  out.geo_ = g;
  // The last partial cylinder is still addressable by LBA; pad so CHS reads of it see zeros.
  return ImageError::None;
}

bool DiskImage::chsToLba(uint32_t c, uint32_t h, uint32_t s, uint64_t& lba) const {
  if (s < 1 || s > geo_.sectors || h >= geo_.heads || c >= geo_.cylinders) return false;
  lba = (uint64_t(c) * geo_.heads + h) * geo_.sectors + (s - 1);
  return lba < sectors_;
}

bool DiskImage::read(uint64_t lba, uint32_t count, uint8_t* dst) const {
  if (lba > sectors_ || count > sectors_ - lba) return false;
  for (uint32_t i = 0; i < count; ++i) {
    auto w = written_.find(lba + i);
    const uint8_t* src = w != written_.end() ? w->second.data() : &bytes_[(lba + i) * kSector];
    std::memcpy(dst + i * kSector, src, kSector);
  }
  return true;
}

bool DiskImage::write(uint64_t lba, uint32_t count, const uint8_t* src) {
  if (lba > sectors_ || count > sectors_ - lba) return false;
  for (uint32_t i = 0; i < count; ++i) written_[lba + i].assign(src + i * kSector, src + (i + 1) * kSector);
  return true;
}

}  // namespace bv
