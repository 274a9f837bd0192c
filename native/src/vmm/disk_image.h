// Disk images as a PC BIOS sees them: validation with messages a user can act on, the boot drive, and the
// CHS geometry (floppies from their size; hard disks from the MBR's partition table, else QEMU's guess).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bv {

struct Geometry {
  uint32_t cylinders = 0, heads = 0, sectors = 0;  // sectors per track, 1-based on the wire
  uint8_t floppyType = 0;  // CMOS / INT 13h AH=08h drive type: 1 360K, 2 1.2M, 3 720K, 4 1.44M, 5/6 2.88M
};

// Why an image was refused; the text is in kImageErrorText.
enum class ImageError { None, Empty, NotSectorMultiple, NoSignature, TooLarge, BadDrive };
std::string imageErrorMessage(ImageError e, uint64_t size);

class DiskImage {
 public:
  // bootDrive: 0x00, 0x80 or -1 to choose from the size. The bytes are copied; guest writes stay in memory.
  static ImageError open(const std::vector<uint8_t>& bytes, int bootDrive, bool requireSignature, DiskImage& out);

  uint8_t drive() const { return drive_; }
  bool isFloppy() const { return drive_ < 0x80; }
  const Geometry& geometry() const { return geo_; }
  uint64_t sectorCount() const { return sectors_; }
  // false when the range is outside the disk.
  bool read(uint64_t lba, uint32_t count, uint8_t* dst) const;
  bool write(uint64_t lba, uint32_t count, const uint8_t* src);
  // CHS -> LBA with this disk's geometry; false when out of range.
  bool chsToLba(uint32_t c, uint32_t h, uint32_t s, uint64_t& lba) const;

  // Sectors the guest wrote (snapshots keep only these).
  const std::map<uint64_t, std::vector<uint8_t>>& written() const { return written_; }
  void setWritten(std::map<uint64_t, std::vector<uint8_t>> w) { written_ = std::move(w); }

 private:
  std::vector<uint8_t> bytes_;  // the image as given, padded to the geometry
  std::map<uint64_t, std::vector<uint8_t>> written_;
  uint64_t sectors_ = 0;
  uint8_t drive_ = 0;
  Geometry geo_;
};

}  // namespace bv
