#include "base/disk_image.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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
    {ImageError::Unreadable, "the image could not be read"},
};

struct FloppyFormat {
  uint64_t kib;
  uint32_t cylinders, heads, sectors;
  uint8_t type;
};
const FloppyFormat kFloppies[] = {
    {160, 40, 1, 8, 1},   {180, 40, 1, 9, 1},   {320, 40, 2, 8, 1},   {360, 40, 2, 9, 1},   {720, 80, 2, 9, 3},
    {1200, 80, 2, 15, 2}, {1440, 80, 2, 18, 4}, {1680, 80, 2, 21, 4}, {1720, 82, 2, 21, 4}, {2880, 80, 2, 36, 5},
};
constexpr uint64_t k144 = 1440 * 1024;

// QEMU's hd_geometry guess: a partition table whose ending CHS values agree on heads and sectors.
bool geometryFromMbr(const uint8_t* b, uint64_t sectors, Geometry& g) {
  if (b[510] != 0x55 || b[511] != 0xAA) return false;
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
// A partition table as fdisk and friends write it: every entry empty or marked 00h/80h, at least one in
// use, each starting past the MBR. Boot code running into bytes 446-509 almost never passes this.
bool hasPartitionTable(const uint8_t* b) {
  if (b[510] != 0x55 || b[511] != 0xAA) return false;
  int used = 0;
  for (int i = 0; i < 4; ++i) {
    const uint8_t* p = &b[446 + 16 * i];
    uint32_t start, count;
    std::memcpy(&start, p + 8, 4);
    std::memcpy(&count, p + 12, 4);
    bool empty = p[4] == 0 && start == 0 && count == 0;
    if (empty) continue;
    if ((p[0] != 0x00 && p[0] != 0x80) || p[4] == 0 || start == 0 || count == 0) return false;
    ++used;
  }
  return used > 0;
}

// A DOS 2.0+ BIOS parameter block: a jump, 512-byte sectors, a power-of-two cluster, reserved sectors, one
// or two FATs and a media descriptor. Fills the media byte and the total sector count.
bool parseBpb(const uint8_t* b, uint8_t& media, uint32_t& totalSectors, uint32_t& hidden) {
  if (!((b[0] == 0xEB && b[2] == 0x90) || b[0] == 0xE9)) return false;
  uint16_t bytesPerSector = uint16_t(b[11] | (b[12] << 8)), reserved = uint16_t(b[14] | (b[15] << 8));
  uint8_t cluster = b[13], fats = b[16];
  media = b[21];
  if (bytesPerSector != 512 || cluster == 0 || (cluster & (cluster - 1)) || reserved == 0 || fats < 1 || fats > 2 ||
      media < 0xF0)
    return false;
  uint16_t small = uint16_t(b[19] | (b[20] << 8));
  std::memcpy(&totalSectors, b + 32, 4);
  std::memcpy(&hidden, b + 28, 4);
  if (small) totalSectors = small;
  return totalSectors != 0;
}

const FloppyFormat* floppyOfSize(uint64_t bytes) {
  for (const auto& f : kFloppies)
    if (f.kib * 1024 == bytes) return &f;
  return nullptr;
}

std::string sizeName(const FloppyFormat& f) {
  if (f.kib == 1440) return "1.44 MB";
  if (f.kib == 2880) return "2.88 MB";
  if (f.kib == 1200) return "1.2 MB";
  return std::to_string(f.kib) + " KB";
}

// The drive a user expects the image to boot from, as `qemu-system-i386 IMAGE` would (it attaches any image
// as the first IDE disk, so a bare boot sector is a hard disk), except that what the image says it is wins.
int chooseDrive(const uint8_t* sector0, uint64_t size, const FloppyFormat*& fmt, std::string& why) {
  fmt = floppyOfSize(size);
  if (hasPartitionTable(sector0)) {
    why = "it has a partition table";
    return 0x80;
  }
  uint8_t media;
  uint32_t total, hidden;
  if (parseBpb(sector0, media, total, hidden)) {
    const FloppyFormat* byBpb = floppyOfSize(uint64_t(total) * kSector);
    if (media != 0xF8 && hidden == 0 && byBpb) {
      if (!fmt) fmt = byBpb;
      char m[8];
      std::snprintf(m, sizeof m, "%02Xh", media);
      why = "its BPB describes a " + sizeName(*byBpb) + " floppy (media descriptor " + m + ")";
      return 0x00;
    }
    why = media == 0xF8 ? "its BPB describes a hard disk (media descriptor F8h)"
                        : "its BPB describes a disk that is no floppy format";
    return 0x80;
  }
  if (fmt) {
    why = "it is the size of a " + sizeName(*fmt) + " floppy";
    return 0x00;
  }
  why = "no partition table, BPB or floppy size, so the first hard disk, as qemu-system-i386 IMAGE boots it";
  return 0x80;
}

class VectorBytes : public ImageBytes {
 public:
  explicit VectorBytes(std::vector<uint8_t> b) : b_(std::move(b)) {}
  const uint8_t* data() const override { return b_.data(); }
  uint64_t size() const override { return b_.size(); }

 private:
  std::vector<uint8_t> b_;
};

class MappedBytes : public ImageBytes {
 public:
  MappedBytes(void* p, uint64_t n) : p_(static_cast<uint8_t*>(p)), n_(n) {}
  ~MappedBytes() override { munmap(p_, n_); }
  const uint8_t* data() const override { return p_; }
  uint64_t size() const override { return n_; }

 private:
  uint8_t* p_;
  uint64_t n_;
};

// Below this a file is read rather than mapped: it costs little, and a file truncated while mapped (an
// image rebuilt during a debug session) would fault the process on the next read of a vanished page.
constexpr uint64_t kMapThreshold = 16ull << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};
}  // namespace

std::shared_ptr<const ImageBytes> imageFromBytes(const std::vector<uint8_t>& bytes) {
  return std::make_shared<VectorBytes>(bytes);
}

std::shared_ptr<const ImageBytes> imageFromFile(const std::string& path, std::string& error) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a regular file.
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    error = path + ": " + std::strerror(errno);
    return nullptr;
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": not a regular file (a disk image is a file of whole 512-byte sectors)";
    return nullptr;
  }
  uint64_t size = uint64_t(st.st_size);
  if (size > kMaxImage) {
    error = imageErrorMessage(ImageError::TooLarge, size);
    return nullptr;
  }
  if (size == 0) return std::make_shared<VectorBytes>(std::vector<uint8_t>());
  if (size < kMapThreshold) {
    std::vector<uint8_t> b(size);
    uint64_t got = 0;
    while (got < size) {
      ssize_t n = pread(fd.get(), b.data() + got, size - got, off_t(got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += uint64_t(n);
    }
    b.resize(got);  // a file that shrank meanwhile: what was there
    return std::make_shared<VectorBytes>(std::move(b));
  }
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_NORESERVE, fd.get(), 0);
  if (p == MAP_FAILED) {
    error = path + ": cannot map it (" + std::strerror(errno) + ")";
    return nullptr;
  }
  return std::make_shared<MappedBytes>(p, size);
}

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

ImageError DiskImage::open(std::shared_ptr<const ImageBytes> bytes, int bootDrive, bool requireSignature,
                           DiskImage& out) {
  if (!bytes) return ImageError::Unreadable;
  uint64_t size = bytes->size();
  if (size == 0) return ImageError::Empty;
  if (size % kSector) return ImageError::NotSectorMultiple;
  if (size > kMaxImage) return ImageError::TooLarge;
  const uint8_t* b = bytes->data();
  if (requireSignature && (b[510] != 0x55 || b[511] != 0xAA)) return ImageError::NoSignature;
  if (bootDrive != -1 && bootDrive != 0x00 && bootDrive != 0x80) return ImageError::BadDrive;

  const FloppyFormat* fmt = nullptr;
  std::string why;
  int chosen = chooseDrive(b, size, fmt, why);
  out = DiskImage();
  out.bytes_ = std::move(bytes);
  if (bootDrive == -1) {
    out.driveReason_ = why;
  } else {
    out.driveChosen_ = false;
    out.driveReason_ = "asked for";
  }
  bool floppy = bootDrive == -1 ? chosen == 0x00 : bootDrive == 0x00;
  if (floppy) {
    if (!fmt) {
      // Smaller images (the few sectors nasm makes) are a 1.44 MiB floppy padded with zeros, as QEMU's -fda.
      // Larger odd sizes forced onto a floppy get the 2.88 MiB format.
      fmt = size <= k144 ? &kFloppies[6] : &kFloppies[9];
    }
    out.drive_ = 0x00;
    out.geo_ = Geometry{fmt->cylinders, fmt->heads, fmt->sectors, fmt->type};
    uint64_t formatted = fmt->kib * 1024;
    out.sectors_ = (formatted > size ? formatted : size) / kSector;
    return ImageError::None;
  }
  out.drive_ = 0x80;
  out.sectors_ = size / kSector;
  Geometry g;
  if (!geometryFromMbr(b, out.sectors_, g)) {
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
  return ImageError::None;
}

bool DiskImage::chsToLba(uint32_t c, uint32_t h, uint32_t s, uint64_t& lba) const {
  if (s < 1 || s > geo_.sectors || h >= geo_.heads || c >= geo_.cylinders) return false;
  lba = (uint64_t(c) * geo_.heads + h) * geo_.sectors + (s - 1);
  return lba < sectors_;
}

bool DiskImage::read(uint64_t lba, uint32_t count, uint8_t* dst) const {
  if (lba > sectors_ || count > sectors_ - lba) return false;
  const uint64_t have = bytes_->size() / kSector;
  for (uint32_t i = 0; i < count; ++i) {
    auto w = written_.find(lba + i);
    uint8_t* to = dst + uint64_t(i) * kSector;
    if (w != written_.end()) std::memcpy(to, w->second.data(), kSector);
    else if (lba + i < have) std::memcpy(to, bytes_->data() + (lba + i) * kSector, kSector);
    else std::memset(to, 0, kSector);  // the padding of a short floppy image
  }
  return true;
}

bool DiskImage::write(uint64_t lba, uint32_t count, const uint8_t* src) {
  if (lba > sectors_ || count > sectors_ - lba) return false;
  for (uint32_t i = 0; i < count; ++i) written_[lba + i].assign(src + i * kSector, src + (i + 1) * kSector);
  return true;
}

}  // namespace bv
