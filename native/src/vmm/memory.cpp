#include "bootvisor/memory.h"

#include <sys/mman.h>

#include <cstring>

namespace bv {

GuestMemory::GuestMemory(uint64_t bytes) {
  size_ = (bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
  // mmap rather than new[]: pages are zero and only cost host memory once touched, and the region is
  // page-aligned as KVM and NVMM require for mapping it into a guest. An inaccessible guard page on each
  // side turns a stray access just past the RAM (which no sanitizer tracks in mmap'd memory) into a fault.
  void* p = mmap(nullptr, size_ + 2 * PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    size_ = 0;
    return;
  }
  uint8_t* ram = static_cast<uint8_t*>(p) + PAGE_SIZE;
  if (mprotect(ram, size_, PROT_READ | PROT_WRITE) != 0) {
    munmap(p, size_ + 2 * PAGE_SIZE);
    size_ = 0;
    return;
  }
  ram_ = ram;
  flags_.assign(size_ >> PAGE_SHIFT, 0);
}

GuestMemory::~GuestMemory() {
  if (ram_) munmap(ram_ - PAGE_SIZE, size_ + 2 * PAGE_SIZE);
}

bool GuestMemory::read(uint64_t gpa, void* dst, uint64_t len) const {
  if (!contains(gpa, len)) return false;
  std::memcpy(dst, ram_ + gpa, len);
  return true;
}

bool GuestMemory::write(uint64_t gpa, const void* src, uint64_t len) {
  if (!contains(gpa, len)) return false;
  if (len == 0) return true;
  if (romProtected_) return writeSkippingRom(gpa, static_cast<const uint8_t*>(src), len);
  std::memcpy(ram_ + gpa, src, len);
  noteWrite(gpa, len);
  return true;
}

bool GuestMemory::writeSkippingRom(uint64_t gpa, const uint8_t* src, uint64_t len) {
  uint64_t end = gpa + len;
  for (uint64_t at = gpa; at < end;) {
    uint64_t pageEnd = (at & ~(PAGE_SIZE - 1)) + PAGE_SIZE;
    uint64_t n = (pageEnd < end ? pageEnd : end) - at;
    if (!(flags_[at >> PAGE_SHIFT] & PAGE_ROM)) {
      std::memcpy(ram_ + at, src + (at - gpa), n);
      noteWrite(at, n);
    }
    at += n;
  }
  return true;
}

uint16_t GuestMemory::read16(uint64_t gpa) const {
  uint16_t v = 0xFFFF;
  read(gpa, &v, 2);
  return v;
}

uint32_t GuestMemory::read32(uint64_t gpa) const {
  uint32_t v = 0xFFFFFFFF;
  read(gpa, &v, 4);
  return v;
}

void GuestMemory::write16(uint64_t gpa, uint16_t v) { write(gpa, &v, 2); }
void GuestMemory::write32(uint64_t gpa, uint32_t v) { write(gpa, &v, 4); }

void GuestMemory::setRom(uint64_t gpa, uint64_t len, bool rom) {
  if (!contains(gpa, len) || len == 0) return;
  for (uint64_t p = gpa >> PAGE_SHIFT; p <= (gpa + len - 1) >> PAGE_SHIFT; ++p) {
    if (rom) flags_[p] |= PAGE_ROM;
    else flags_[p] &= ~PAGE_ROM;
  }
}

void GuestMemory::setDevice(uint64_t gpa, uint64_t len, bool device) {
  if (!contains(gpa, len) || len == 0) return;
  bool changed = false;
  for (uint64_t p = gpa >> PAGE_SHIFT; p <= (gpa + len - 1) >> PAGE_SHIFT; ++p) {
    uint8_t f = device ? uint8_t(flags_[p] | PAGE_DEVICE) : uint8_t(flags_[p] & ~PAGE_DEVICE);
    changed |= f != flags_[p];
    flags_[p] = f;
  }
  if (changed) ++deviceGen_;
}

void GuestMemory::noteWrite(uint64_t gpa, uint64_t len) {
  if (len == 0 || !contains(gpa, len)) return;
  bool code = false;
  for (uint64_t p = gpa >> PAGE_SHIFT; p <= (gpa + len - 1) >> PAGE_SHIFT; ++p) {
    flags_[p] |= PAGE_WRITE_FAST;
    code |= (flags_[p] & PAGE_CODE) != 0;
  }
  if (code && codeListener_) codeListener_(gpa, len);
}

std::vector<uint32_t> GuestMemory::takeDirtyPages(uint8_t flag) {
  std::vector<uint32_t> out;
  for (uint32_t p = 0; p < flags_.size(); ++p) {
    if (flags_[p] & flag) {
      out.push_back(p);
      flags_[p] &= ~flag;
    }
  }
  return out;
}

void GuestMemory::markAllDirty() {
  for (auto& f : flags_) f |= PAGE_WRITE_FAST;
}

}  // namespace bv
