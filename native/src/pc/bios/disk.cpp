// INT 13h: disk services for the one boot drive (IBM PC/AT BIOS; Phoenix Enhanced Disk Drive spec 3.0
// for 41h-48h). Transfers are bounds-checked against RAM and never write into the BIOS ROM.
#include <cstdio>
#include <cstring>
#include <vector>

#include "pc/bios/bios.h"

namespace bv {

namespace {
constexpr uint8_t kOk = 0x00, kBadCommand = 0x01, kSectorNotFound = 0x04, kDmaBoundary = 0x09, kBadDap = 0x01,
                  kTimeout = 0x80;  // status codes

std::string hex(uint64_t v, int width) {
  char b[24];
  std::snprintf(b, sizeof b, "%0*llX", width, static_cast<unsigned long long>(v));
  return b;
}

const char* statusName(uint8_t s) {
  switch (s) {
    case kBadCommand: return "invalid function or parameter";
    case kSectorNotFound: return "sector not found";
    case kDmaBoundary: return "the transfer crosses a 64 KiB boundary";
    case kTimeout: return "no such drive (timeout)";
    default: return "error";
  }
}

uint32_t statusAddr(const DiskImage& d) { return d.isFloppy() ? bda::kFloppyStatus : bda::kDiskStatus; }

void finish(BiosCall& c, uint8_t s) {
  c.env.mem.write8(statusAddr(c.env.disk), s);
  c.status(s);
}

// A guest buffer [addr, addr+len) must be RAM below the ROM.
bool bufferOk(BiosCall& c, uint64_t addr, uint64_t len) {
  if (!c.env.mem.contains(addr, len)) return false;
  return addr + len <= kRomBase || addr >= 0x100000;
}

void transfer(BiosCall& c, uint64_t lba, uint32_t count, uint64_t buf, bool write, bool verify, uint32_t& done) {
  done = 0;
  DiskImage& d = c.env.disk;
  if (lba >= d.sectorCount()) return;
  if (count > d.sectorCount() - lba) count = uint32_t(d.sectorCount() - lba);
  if (verify) {
    done = count;
    return;
  }
  std::vector<uint8_t> tmp(size_t(count) * 512);
  if (!bufferOk(c, buf, tmp.size())) {
    c.failure =
        "the buffer at 0x" + hex(buf, 5) + " (" + std::to_string(tmp.size()) + " bytes) is not RAM below the BIOS ROM";
    return;
  }
  if (write) {
    c.env.mem.read(buf, tmp.data(), tmp.size());
    if (d.write(lba, count, tmp.data())) done = count;
  } else if (d.read(lba, count, tmp.data())) {
    c.env.mem.write(buf, tmp.data(), tmp.size());
    done = count;
  }
}

void chsTransfer(BiosCall& c, bool write, bool verify) {
  DiskImage& d = c.env.disk;
  uint32_t count = c.al();
  uint32_t cyl = c.ch() | ((uint32_t(c.cl()) & 0xC0) << 2), sec = c.cl() & 0x3F, head = c.dh();
  uint64_t lba;
  if (count == 0 || !d.chsToLba(cyl, head, sec, lba)) {
    const Geometry& g = d.geometry();
    c.failure = count == 0 ? "AL=0: no sectors to transfer"
                           : "sector not found: C/H/S " + std::to_string(cyl) + "/" + std::to_string(head) + "/" +
                                 std::to_string(sec) + " is outside the disk's " + std::to_string(g.cylinders) +
                                 " cylinders, " + std::to_string(g.heads) + " heads, " + std::to_string(g.sectors) +
                                 " sectors per track";
    c.setAl(0);
    finish(c, kSectorNotFound);
    return;
  }
  uint64_t buf = c.addr(SEG_ES, c.bx());
  // A transfer may not wrap around the segment (offset + bytes > 64 KiB): the DMA boundary error.
  if (uint32_t(c.bx()) + count * 512 > 0x10000) {
    c.failure = "the buffer ES:BX = " + hex(c.st.segs[SEG_ES].selector, 4) + ":" + hex(c.bx(), 4) + " with " +
                std::to_string(count) + " sectors runs past the end of its 64 KiB segment (DMA boundary)";
    c.setAl(0);
    finish(c, kDmaBoundary);
    return;
  }
  uint32_t done;
  transfer(c, lba, count, buf, write, verify, done);
  c.setAl(uint8_t(done));
  finish(c, done == count ? kOk : (done ? kSectorNotFound : kBadCommand));
}

void extTransfer(BiosCall& c, bool write, bool verify) {
  GuestMemory& m = c.env.mem;
  uint64_t dap = c.addr(SEG_DS, c.si());
  uint8_t size = m.read8(dap);
  if (size < 0x10) {
    finish(c, kBadDap);
    return;
  }
  uint16_t count = m.read16(dap + 2);
  uint16_t off = m.read16(dap + 4), seg = m.read16(dap + 6);
  uint64_t lba = uint64_t(m.read32(dap + 8)) | (uint64_t(m.read32(dap + 12)) << 32);
  uint64_t buf = (uint64_t(seg) << 4) + off;
  if (size >= 0x18 && off == 0xFFFF && seg == 0xFFFF)
    buf = uint64_t(m.read32(dap + 16)) | (uint64_t(m.read32(dap + 20)) << 32);
  uint32_t done = 0;
  if (count) transfer(c, lba, count, buf, write, verify, done);
  if (done != count && c.failure.empty())
    c.failure = "sector not found: LBA " + std::to_string(lba) + " + " + std::to_string(count) +
                " sectors runs past the end of the disk (" + std::to_string(c.env.disk.sectorCount()) + " sectors)";
  m.write16(dap + 2, uint16_t(done));
  finish(c, done == count ? kOk : kSectorNotFound);
}

void driveParams(BiosCall& c) {
  DiskImage& d = c.env.disk;
  const Geometry& g = d.geometry();
  uint32_t maxCyl = g.cylinders - 1;
  c.setHigh(GPR_RCX, uint8_t(maxCyl));
  c.setLow(GPR_RCX, uint8_t((g.sectors & 0x3F) | ((maxCyl >> 2) & 0xC0)));
  c.setHigh(GPR_RDX, uint8_t(g.heads - 1));
  c.setLow(GPR_RDX, 1);  // one drive of this kind
  if (d.isFloppy()) {
    c.setLow(GPR_RBX, g.floppyType);
    c.setHigh(GPR_RBX, 0);
    c.setSeg(SEG_ES, kBiosSegment);
    c.set16(GPR_RDI, rom::kDiskParams);
  }
  c.setAl(0);
  finish(c, kOk);
}

void extParams(BiosCall& c) {
  GuestMemory& m = c.env.mem;
  DiskImage& d = c.env.disk;
  const Geometry& g = d.geometry();
  uint64_t buf = c.addr(SEG_DS, c.si());
  uint16_t size = m.read16(buf);
  if (size < 0x1A) {
    finish(c, kBadCommand);
    return;
  }
  uint8_t p[0x1A] = {};
  uint16_t len = 0x1A, info = d.isFloppy() ? 0x0006 : 0x0002;  // CHS valid (+ removable)
  uint32_t cyl = g.cylinders, heads = g.heads, spt = g.sectors;
  uint64_t total = d.sectorCount();
  uint16_t bps = 512;
  std::memcpy(p, &len, 2), std::memcpy(p + 2, &info, 2), std::memcpy(p + 4, &cyl, 4), std::memcpy(p + 8, &heads, 4);
  std::memcpy(p + 12, &spt, 4), std::memcpy(p + 16, &total, 8), std::memcpy(p + 24, &bps, 2);
  m.write(buf, p, sizeof p);
  finish(c, kOk);
}

// Why a call for a drive that does not exist failed, and what to do about it.
std::string noSuchDrive(const DiskImage& d, uint8_t dl) {
  std::string kind = d.isFloppy() ? "a floppy" : "a hard disk";
  std::string why = "no such drive; this image booted as " + kind + " (drive " + hex(d.drive(), 2) + "h";
  if (d.driveChosen()) why += ", because " + d.driveReason();
  why += ")";
  if (bool(dl & 0x80) != !d.isFloppy()) return why + ", try --boot-drive " + (d.isFloppy() ? "hdd" : "floppy");
  return why + ", the only drive there is: use the DL the BIOS passed at boot";
}

void diskService(BiosCall& c) {
  DiskImage& d = c.env.disk;
  // Only the boot drive exists. Asking about another drive is a normal probe, not an error worth a stop.
  if (c.dl() != d.drive()) {
    if (c.ah() == 0x15) {  // get disk type: no such drive
      c.setAh(0);
      c.setCarry(false);
      return;
    }
    c.failure = noSuchDrive(d, c.dl());
    if (c.ah() == 0x08 && (c.dl() & 0x80) == (d.drive() & 0x80)) {
      c.status(kBadCommand);
      return;
    }
    c.status(d.isFloppy() == !(c.dl() & 0x80) ? kBadCommand : kTimeout);
    return;
  }
  switch (c.ah()) {
    case 0x00: finish(c, kOk); break;
    case 0x01: c.status(c.env.mem.read8(statusAddr(d))); break;
    case 0x02: chsTransfer(c, false, false); break;
    case 0x03: chsTransfer(c, true, false); break;
    case 0x04: chsTransfer(c, false, true); break;
    case 0x08: driveParams(c); break;
    case 0x0C:
    case 0x0D:
    case 0x10:
    case 0x11:
    case 0x14: finish(c, kOk); break;  // seek, reset, ready...
    case 0x15:
      if (d.isFloppy()) {
        c.setAh(0x02);  // floppy with change-line support
      } else {
        c.setAh(0x03);
        c.set16(GPR_RCX, uint16_t(d.sectorCount() >> 16));
        c.set16(GPR_RDX, uint16_t(d.sectorCount()));
      }
      c.setCarry(false);
      break;
    case 0x16: finish(c, kOk); break;  // disk not changed
    case 0x41:
      if (c.bx() != 0x55AA) {
        c.status(kBadCommand);
        break;
      }
      c.set16(GPR_RBX, 0xAA55);
      c.setAh(0x30);             // EDD 3.0
      c.set16(GPR_RCX, 0x0001);  // the extended disk access functions (42h-44h, 47h, 48h)
      c.setCarry(false);
      break;
    case 0x42: extTransfer(c, false, false); break;
    case 0x43: extTransfer(c, true, false); break;
    case 0x44: extTransfer(c, false, true); break;
    case 0x47: finish(c, kOk); break;
    case 0x48: extParams(c); break;
    default:
      c.failure = "function AH=" + hex(c.ah(), 2) + "h is not offered by this BIOS";
      finish(c, kBadCommand);
      break;
  }
}
}  // namespace

void biosDisk(BiosCall& c) {
  const uint8_t ah = c.ah(), dl = c.dl();
  diskService(c);
  if (!(c.env.mem.read16(c.flagsAddr()) & flags::CF) || !c.env.failed) return;
  std::string why = c.failure.empty() ? statusName(c.ah()) : c.failure;
  c.env.failed(c.st, "INT 13h AH=" + hex(ah, 2) + "h from drive " + hex(dl, 2) + "h failed: " + why);
}

}  // namespace bv
