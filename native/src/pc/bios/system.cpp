// INT 15h (system services: E820 memory map, A20, extended memory sizes, configuration), INT 11h
// (equipment), INT 12h (conventional memory), INT 18h/19h (boot). INT 15h AH=86h (wait) lives in rom.cpp,
// since it keeps a deadline between calls.
#include <cstring>
#include <vector>

#include "pc/bios/bios.h"

namespace bv {

namespace {
constexpr uint32_t kSmap = 0x534D4150;  // 'SMAP'
constexpr uint8_t kUnsupported = 0x86;

}  // namespace

std::vector<E820Entry> memoryMap(const GuestMemory& m) {
  uint64_t ram = m.size();
  std::vector<E820Entry> map = {
      {0, uint64_t(kEbdaSegment) << 4, 1},
      {uint64_t(kEbdaSegment) << 4, 0xA0000 - (uint64_t(kEbdaSegment) << 4), 2},
      {0xF0000, 0x10000, 2},
  };
  if (ram > 0x100000) map.push_back({0x100000, ram - 0x100000, 1});
  return map;
}

void biosEquipment(BiosCall& c) { c.setAx(c.env.mem.read16(bda::kEquipment)); }

void biosMemorySize(BiosCall& c) { c.setAx(c.env.mem.read16(bda::kMemKiB)); }

void biosSystem(BiosCall& c) {
  GuestMemory& m = c.env.mem;
  uint64_t ram = m.size();
  uint64_t extKiB = ram > 0x100000 ? (ram - 0x100000) / 1024 : 0;
  switch (c.ah()) {
    case 0x24:
      switch (c.al()) {
        case 0x00:
          c.env.setA20(false);
          c.status(0);
          return;
        case 0x01:
          c.env.setA20(true);
          c.status(0);
          return;
        case 0x02:
          c.setAl(c.env.a20() ? 1 : 0);
          c.status(0);
          return;
        case 0x03:
          c.set16(GPR_RBX, 0x0003);
          c.status(0);
          return;  // keyboard controller and port 92h
        default: c.status(kUnsupported); return;
      }
    case 0x88: {
      uint64_t k = extKiB > 0xFFFF ? 0xFFFF : extKiB;
      c.setAx(uint16_t(k));
      c.setCarry(false);
      return;
    }
    case 0xC0:
      c.setSeg(SEG_ES, kBiosSegment);
      c.set16(GPR_RBX, rom::kConfigTable);
      c.status(0);
      return;
    case 0xE8:
      if (c.al() == 0x01) {
        uint64_t below16 = extKiB > 15 * 1024 ? 15 * 1024 : extKiB;
        uint64_t above16 = ram > (16u << 20) ? (ram - (16u << 20)) / 65536 : 0;
        if (above16 > 0xFFFF) above16 = 0xFFFF;
        c.setAx(uint16_t(below16));
        c.set16(GPR_RCX, uint16_t(below16));
        c.set16(GPR_RBX, uint16_t(above16));
        c.set16(GPR_RDX, uint16_t(above16));
        c.setCarry(false);
        return;
      }
      if (c.al() == 0x20 && c.edx() == kSmap) {
        std::vector<E820Entry> map = memoryMap(m);
        uint32_t i = c.ebx();
        if (i >= map.size() || c.ecx() < 20) {
          c.status(kUnsupported);
          return;
        }
        uint8_t e[20];
        std::memcpy(e, &map[i].base, 8);
        std::memcpy(e + 8, &map[i].length, 8);
        std::memcpy(e + 16, &map[i].type, 4);
        m.write(c.addr(SEG_ES, c.di()), e, sizeof e);
        c.set32(GPR_RAX, kSmap);
        c.set32(GPR_RCX, 20);
        c.set32(GPR_RBX, i + 1 < map.size() ? i + 1 : 0);
        c.setCarry(false);
        return;
      }
      c.status(kUnsupported);
      return;
    case 0xC2: biosMouse(c); return;
    case 0x4F: c.setCarry(true); return;  // keyboard intercept: keep the scan code
    case 0x91:
    case 0x90: c.setAh(0); return;  // device busy / post: nothing to wait for
    default: c.status(kUnsupported); return;
  }
}

void biosBoot(BiosCall& c, bool failed) {
  if (failed) {
    const char* msg = "No bootable device.\r\n";
    for (const char* p = msg; *p; ++p) videoTeletype(c, uint8_t(*p), c.env.mem.read8(bda::kPage), 0x07);
    c.setSeg(SEG_CS, kBiosSegment);
    c.st.gprs[GPR_RIP] = rom::kHltLoop;
    return;
  }
  // Load sector 0 again and start it with the register state a BIOS leaves.
  uint8_t sector[512];
  if (!c.env.disk.read(0, 1, sector)) return;
  c.env.mem.write(0x7C00, sector, 512);
  uint8_t drive = c.env.disk.drive();
  CpuState fresh = bootState(drive);
  for (int s = SEG_ES; s <= SEG_GS; ++s) c.st.segs[s] = fresh.segs[s];
  c.st.gprs[GPR_RIP] = 0x7C00;
  c.st.gprs[GPR_RSP] = 0x7C00;
  c.st.gprs[GPR_RDX] = drive;
  c.st.gprs[GPR_RFLAGS] = 0x202;
}

}  // namespace bv
