// Guest physical memory: one host allocation shared by every backend (the software vCPU reads it directly,
// KVM and NVMM map it into the guest). Every access from the host side is bounds-checked; addresses beyond
// RAM are not memory (the vCPU turns them into MMIO accesses on the monitor).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace bv {

constexpr uint64_t PAGE_SIZE = 4096;
constexpr int PAGE_SHIFT = 12;

// Per-page flags. A write path may skip all bookkeeping when a page's flags are exactly PAGE_WRITE_FAST:
// already dirty for both consumers and holding no decoded code.
enum PageFlag : uint8_t {
  PAGE_DIRTY_SNAPSHOT = 1,  // written since the last snapshot
  PAGE_DIRTY_DISPLAY = 2,   // written since the screen was last rendered
  PAGE_CODE = 4,            // the software vCPU holds decoded instructions from this page
  PAGE_ROM = 8,             // guest writes are ignored (BIOS ROM at 0xF0000)
  PAGE_WATCH = 16,          // a watchpoint or hardware-backend breakpoint covers part of this page
  PAGE_DEVICE = 32,         // device memory (VGA planes): every guest access goes to mmioRead/mmioWrite
};
constexpr uint8_t PAGE_WRITE_FAST = PAGE_DIRTY_SNAPSHOT | PAGE_DIRTY_DISPLAY;

class GuestMemory {
 public:
  explicit GuestMemory(uint64_t bytes);
  ~GuestMemory();
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;

  uint8_t* data() { return ram_; }
  const uint8_t* data() const { return ram_; }
  uint64_t size() const { return size_; }
  bool contains(uint64_t gpa, uint64_t len) const { return gpa < size_ && len <= size_ - gpa; }

  uint8_t* pageFlags() { return flags_.data(); }
  uint8_t pageFlag(uint64_t gpa) const { return gpa < size_ ? flags_[gpa >> PAGE_SHIFT] : 0; }

  // Host-side access (devices, BIOS, debugger): false when out of range, nothing touched.
  bool read(uint64_t gpa, void* dst, uint64_t len) const;
  // Marks dirty, invalidates code. Writes into PAGE_ROM pages land (the BIOS installs its ROM this way) unless
  // ROM protection is on, when those bytes are dropped as the guest's own stores are.
  bool write(uint64_t gpa, const void* src, uint64_t len);
  uint8_t read8(uint64_t gpa) const { return gpa < size_ ? ram_[gpa] : 0xFF; }
  uint16_t read16(uint64_t gpa) const;
  uint32_t read32(uint64_t gpa) const;
  void write8(uint64_t gpa, uint8_t v) { write(gpa, &v, 1); }
  void write16(uint64_t gpa, uint16_t v);
  void write32(uint64_t gpa, uint32_t v);

  void setRom(uint64_t gpa, uint64_t len, bool rom);
  // Device memory: guest accesses to these pages bypass RAM and reach the machine's MMIO handlers. Each change
  // bumps deviceGeneration(), which vCPUs compare at the start of a run to drop cached translations or remap.
  void setDevice(uint64_t gpa, uint64_t len, bool device);
  bool isDevice(uint64_t gpa) const { return gpa < size_ && (flags_[gpa >> PAGE_SHIFT] & PAGE_DEVICE); }
  uint32_t deviceGeneration() const { return deviceGen_; }
  // While on, host writes skip ROM pages: a BIOS service writing a result on the guest's behalf (into a
  // buffer the guest pointed at F000:xxxx) must not corrupt the ROM code its next call runs.
  void setRomProtected(bool on) { romProtected_ = on; }
  bool romProtected() const { return romProtected_; }

  // Called after the host or the guest writes into a page marked PAGE_CODE (the software vCPU registers
  // itself here to drop decoded instructions). Range is [gpa, gpa+len).
  using CodeWriteListener = std::function<void(uint64_t gpa, uint64_t len)>;
  void setCodeWriteListener(CodeWriteListener l) { codeListener_ = std::move(l); }
  // The slow path of every write: marks pages dirty and tells the code listener. Inline fast paths call it
  // only when a page's flags are not PAGE_WRITE_FAST.
  void noteWrite(uint64_t gpa, uint64_t len);

  // Pages written since the last call, for snapshots (clears PAGE_DIRTY_SNAPSHOT).
  std::vector<uint32_t> takeDirtyPages(uint8_t flag);
  void markAllDirty();

 private:
  bool writeSkippingRom(uint64_t gpa, const uint8_t* src, uint64_t len);
  uint8_t* ram_ = nullptr;
  uint64_t size_ = 0;
  std::vector<uint8_t> flags_;
  CodeWriteListener codeListener_;
  bool romProtected_ = false;
  uint32_t deviceGen_ = 0;
};

// Host writes behave like guest stores (ROM bytes dropped) for the guard's lifetime.
class RomProtectScope {
 public:
  explicit RomProtectScope(GuestMemory& m) : m_(m), was_(m.romProtected()) { m_.setRomProtected(true); }
  ~RomProtectScope() { m_.setRomProtected(was_); }
  RomProtectScope(const RomProtectScope&) = delete;
  RomProtectScope& operator=(const RomProtectScope&) = delete;

 private:
  GuestMemory& m_;
  bool was_;
};

}  // namespace bv
