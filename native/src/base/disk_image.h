// Disk images as a PC BIOS sees them: validation with messages a user can act on, the boot drive (from what
// the image is: a partition table, a BPB, a floppy size), and the CHS geometry (floppies from their size;
// hard disks from the MBR's partition table, else QEMU's guess). The image's bytes are either given (copied)
// or mapped from its file, so a large image costs host memory only for the sectors the guest reads.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bv {

struct Geometry {
  uint32_t cylinders = 0, heads = 0, sectors = 0;  // sectors per track, 1-based on the wire
  uint8_t floppyType = 0;  // CMOS / INT 13h AH=08h drive type: 1 360K, 2 1.2M, 3 720K, 4 1.44M, 5/6 2.88M
};

// Why an image was refused; the text is in kImageErrorText.
enum class ImageError { None, Empty, NotSectorMultiple, NoSignature, TooLarge, BadDrive, Unreadable };
std::string imageErrorMessage(ImageError e, uint64_t size);

// The image's bytes, read-only: a copy in memory, or a private read-only mapping of the file.
class ImageBytes {
 public:
  virtual ~ImageBytes() = default;
  virtual const uint8_t* data() const = 0;
  virtual uint64_t size() const = 0;
};
// The bytes as given (copied).
std::shared_ptr<const ImageBytes> imageFromBytes(const std::vector<uint8_t>& bytes);
// The file's bytes: small files are read (so rewriting the file during a run cannot disturb it), large ones
// mapped MAP_PRIVATE read-only. nullptr and a message for the user when it is not a readable regular file.
std::shared_ptr<const ImageBytes> imageFromFile(const std::string& path, std::string& error);

class DiskImage {
 public:
  // bootDrive: 0x00, 0x80 or -1 to choose from what the image is. Guest writes stay in memory (written()),
  // the bytes (and the file behind them) are never written.
  static ImageError open(std::shared_ptr<const ImageBytes> bytes, int bootDrive, bool requireSignature, DiskImage& out);
  static ImageError open(const std::vector<uint8_t>& bytes, int bootDrive, bool requireSignature, DiskImage& out) {
    return open(imageFromBytes(bytes), bootDrive, requireSignature, out);
  }

  uint8_t drive() const { return drive_; }
  // Why this drive, in words ("a partition table", "a floppy BPB", "the size of a 1.44 MB floppy", ...).
  const std::string& driveReason() const { return driveReason_; }
  bool driveChosen() const { return driveChosen_; }  // false when the caller forced it
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
  std::shared_ptr<const ImageBytes> bytes_;  // the image as given; sectors past its end (floppy padding) read 0
  std::map<uint64_t, std::vector<uint8_t>> written_;
  std::string driveReason_;
  bool driveChosen_ = true;
  uint64_t sectors_ = 0;
  uint8_t drive_ = 0;
  Geometry geo_;
};

}  // namespace bv
