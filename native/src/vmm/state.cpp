#include "bootvisor/state.h"
#include "bootvisor/exit.h"

namespace bv {

namespace {
SegState realSeg(uint16_t sel, bool code) {
  SegState s;
  s.selector = sel;
  s.base = uint64_t(sel) << 4;
  s.limit = 0xFFFF;
  s.attrib.type = code ? 0xB : 0x3;  // accessed execute/read code, accessed read/write data
  s.attrib.s = 1;
  s.attrib.p = 1;
  return s;
}
}  // namespace

CpuState resetState() {
  CpuState st;
  for (int i = 0; i < 6; ++i) st.segs[i] = realSeg(0, i == SEG_CS);
  st.segs[SEG_CS].selector = 0xF000;
  st.segs[SEG_CS].base = 0xFFFF0000;
  st.segs[SEG_GDT].limit = 0xFFFF;
  st.segs[SEG_IDT].limit = 0xFFFF;
  st.segs[SEG_LDT].attrib.type = 0x2;
  st.segs[SEG_LDT].attrib.p = 1;
  st.segs[SEG_LDT].limit = 0xFFFF;
  st.segs[SEG_TR].attrib.type = 0x3;  // busy 16-bit TSS, as after reset
  st.segs[SEG_TR].attrib.p = 1;
  st.segs[SEG_TR].limit = 0xFFFF;
  st.gprs[GPR_RIP] = 0xFFF0;
  st.gprs[GPR_RFLAGS] = 0x2;
  st.gprs[GPR_RDX] = 0x600;
  st.crs[CR_CR0] = 0x60000010;
  st.crs[CR_XCR0] = 1;
  st.drs[DR_DR6] = 0xFFFF0FF0;
  st.drs[DR_DR7] = 0x400;
  st.msrs[MSR_PAT] = 0x0007040600070406ull;
  return st;
}

CpuState bootState(uint8_t bootDrive) {
  // What SeaBIOS leaves at the jump to 0000:7C00: flat real-mode segments at 0, DL = boot drive,
  // interrupts enabled, a stack just below the boot sector.
  CpuState st = resetState();
  for (int i = 0; i < 6; ++i) st.segs[i] = realSeg(0, i == SEG_CS);
  st.gprs[GPR_RIP] = 0x7C00;
  st.gprs[GPR_RDX] = bootDrive;
  st.gprs[GPR_RSP] = 0x7C00;
  st.gprs[GPR_RFLAGS] = 0x202;
  st.segs[SEG_IDT].base = 0;
  st.segs[SEG_IDT].limit = 0x3FF;
  return st;
}

const char* Exit::reasonName() const {
  switch (reason) {
    case ExitReason::None: return "none";
    case ExitReason::Io: return "io";
    case ExitReason::Memory: return "memory";
    case ExitReason::Halted: return "halted";
    case ExitReason::Shutdown: return "shutdown";
    case ExitReason::Invalid: return "invalid";
    case ExitReason::Stopped: return "stopped";
    case ExitReason::InterruptWindow: return "interrupt window";
    case ExitReason::Exception: return "exception";
    case ExitReason::Debug: return "debug";
    case ExitReason::SystemEvent: return "system event";
  }
  return "unknown";
}

}  // namespace bv
