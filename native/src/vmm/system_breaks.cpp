// The debugger's system-event breaks: arming the vCPU's hooks, filtering what they report (which control
// register, which vector and AH, which IRQ line), port ranges (checked at the machine's port dispatch, so
// they work on every backend), and each stop in words: "CR0 0x00000010 -> 0x00000011 (set PE)".
#include <cstdio>

#include "bootvisor/software_vcpu.h"
#include "vmm/machine_impl.h"

namespace bv {

namespace {

std::string hexText(uint64_t v, int width) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%0*llX", width, static_cast<unsigned long long>(v));
  return b;
}

// Bit names of CR0 and CR4, for "set PE, cleared PG".
struct BitName {
  int bit;
  const char* name;
};
constexpr BitName kCr0Bits[] = {{0, "PE"},  {1, "MP"},  {2, "EM"},  {3, "TS"},  {4, "ET"}, {5, "NE"},
                                {16, "WP"}, {18, "AM"}, {29, "NW"}, {30, "CD"}, {31, "PG"}};
constexpr BitName kCr4Bits[] = {{0, "VME"}, {1, "PVI"}, {2, "TSD"}, {3, "DE"},     {4, "PSE"},        {5, "PAE"},
                                {6, "MCE"}, {7, "PGE"}, {8, "PCE"}, {9, "OSFXSR"}, {10, "OSXMMEXCPT"}};

template <size_t N>
std::string bitChanges(uint32_t before, uint32_t after, const BitName (&names)[N]) {
  std::string set, cleared;
  for (const BitName& b : names) {
    const uint32_t m = 1u << b.bit;
    if ((before ^ after) & m) {
      std::string& to = (after & m) ? set : cleared;
      to += (to.empty() ? "" : " ") + std::string(b.name);
    }
  }
  std::string out;
  if (!set.empty()) out = "set " + set;
  if (!cleared.empty()) out += (out.empty() ? "cleared " : ", cleared ") + cleared;
  return out.empty() ? "no bit changed" : out;
}

const char* modeName(uint32_t mode) {
  switch (mode) {
    case MODE_REAL: return "real mode";
    case MODE_V86: return "virtual-8086 mode";
    case MODE_PM16: return "16-bit protected mode";
    default: return "32-bit protected mode";
  }
}

const char* irqName(int line) {
  static const char* const names[16] = {"timer",      "keyboard", "cascade",     "COM2",         "COM1", "LPT2",
                                        "floppy",     "LPT1",     "RTC",         "free",         "free", "free",
                                        "PS/2 mouse", "FPU",      "primary ATA", "secondary ATA"};
  return line >= 0 && line < 16 ? names[line] : "?";
}

const char* taskSource(uint8_t src) {
  static const char* const names[4] = {"JMP", "CALL", "IRET", "an interrupt through a task gate"};
  return src < 4 ? names[src] : "?";
}

}  // namespace

bool Machine::setSystemBreaks(const SystemBreaks& breaks, std::string& error) {
  Impl& m = *impl_;
  uint8_t bits = 0;
  if (breaks.controlRegisters) bits |= SB_CONTROL_REGISTER;
  if (breaks.gdt || breaks.idt) bits |= SB_DESCRIPTOR_TABLE;
  if (breaks.modeSwitch) bits |= SB_MODE_SWITCH;
  if (breaks.taskSwitch) bits |= SB_TASK_SWITCH;
  if (!breaks.interrupts.empty()) bits |= SB_INTERRUPT;
  if (breaks.irqLines) bits |= SB_IRQ;
  SoftwareVcpu* s = m.soft();
  if (bits && !s) {
    error = std::string("the ") + m.backendName +
            " backend cannot stop on CR writes, LGDT/LIDT, INT n, mode or task switches or IRQs (only on port "
            "ranges); run with the software backend to use them";
    return false;
  }
  if (s) s->setSystemBreaks(bits);
  m.systemBreaks = breaks;
  m.systemBreakBits = bits;
  m.portBreaks = !breaks.ports.empty();
  return true;
}

// Line of the vector the PIC just handed over, from its vector bases (-1: not an IRQ's).
static int irqLineOf(DualPic& pic, uint8_t vector) {
  const int master = int(vector) - pic.master().vectorBase();
  if (master >= 0 && master < 8 && master != 2) return master;
  const int slave = int(vector) - pic.slave().vectorBase();
  if (slave >= 0 && slave < 8) return 8 + slave;
  return master >= 0 && master < 8 ? master : -1;
}

bool Machine::Impl::systemEventStop(const Exit& e, StopRecord& stop) {
  const auto& x = e.u.sys;
  const SystemBreaks& b = systemBreaks;
  std::string kind, words;
  switch (x.kind) {
    case SystemEvent::ControlRegister: {
      if (!(b.controlRegisters & (1u << x.which))) return false;
      kind = "control-register";
      words = "CR" + std::to_string(x.which) + " " + hexText(x.a, 8) + " -> " + hexText(x.b, 8) + " (";
      if (x.which == 0) words += bitChanges(x.a, x.b, kCr0Bits);
      else if (x.which == 4) words += bitChanges(x.a, x.b, kCr4Bits);
      else words += "page directory at " + hexText(x.b & 0xFFFFF000u, 8);
      words += ")";
      break;
    }
    case SystemEvent::DescriptorTable: {
      const bool gdt = x.which == 0;
      if (!(gdt ? b.gdt : b.idt)) return false;
      kind = "descriptor-table";
      const unsigned entries = (x.b + 1) / 8;
      words = std::string(gdt ? "LGDT: GDT" : "LIDT: IDT") + " base " + hexText(x.a, 8) + ", limit " + hexText(x.b, 4) +
              " (" + std::to_string(entries) + (gdt ? " descriptors" : " gates") + "); was base " + hexText(x.c, 8) +
              ", limit " + hexText(x.d, 4);
      break;
    }
    case SystemEvent::ModeSwitch:
      if (!b.modeSwitch) return false;
      kind = "mode-switch";
      words = std::string("mode switch: ") + modeName(x.a) + " -> " + modeName(x.b) + " (CS = " + hexText(x.c, 4) + ")";
      break;
    case SystemEvent::TaskSwitch:
      if (!b.taskSwitch) return false;
      kind = "task-switch";
      words =
          std::string("task switch by ") + taskSource(x.which) + ": TR " + hexText(x.a, 4) + " -> " + hexText(x.b, 4);
      break;
    case SystemEvent::Interrupt: {
      const int ah = int((x.a >> 8) & 0xFF);
      bool wanted = false;
      for (const SystemBreaks::Interrupt& i : b.interrupts)
        wanted = wanted || ((i.vector < 0 || i.vector == x.which) && (i.ah < 0 || i.ah == ah));
      if (!wanted) return false;
      kind = "interrupt";
      char at[32];
      std::snprintf(at, sizeof at, "%04X:%0*X", x.b, x.c > 0xFFFF ? 8 : 4, x.c);
      words = "INT " + hexText(x.which, 2) + " (AH=" + hexText(ah, 2) + ") from " + at;
      break;
    }
    case SystemEvent::Irq: {
      const int line = irqLineOf(pic, x.which);
      if (line < 0 || !(b.irqLines & (1u << line))) return false;
      kind = "irq";
      words = "IRQ " + std::to_string(line) + " (" + irqName(line) + ") delivered as vector " + hexText(x.which, 2);
      break;
    }
  }
  stop = makeStop(StopReason::SystemEvent);
  stop.systemEvent = kind;
  stop.message = words;
  return true;
}

void Machine::Impl::portBreak(uint16_t port, unsigned size, uint32_t value, bool write) {
  if (stopPending) return;
  for (const SystemBreaks::PortRange& r : systemBreaks.ports) {
    if (port < r.first || port > r.last) continue;
    stopPending = true;
    pendingStop = makeStop(StopReason::SystemEvent);
    pendingStop.systemEvent = "port";
    pendingStop.port = port;
    const char* unit = size == 1 ? "byte" : size == 2 ? "word" : "dword";
    pendingStop.message = std::string(write ? "OUT " : "IN ") + hexText(port, 4) + (write ? " <- " : " -> ") +
                          hexText(value, int(size) * 2) + " (" + unit + ")";
    return;
  }
}

}  // namespace bv
