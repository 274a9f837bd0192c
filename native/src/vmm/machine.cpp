// Creating the PC (memory, disk, devices on their ports and IRQ lines, BIOS, vCPU) and the Machine's public
// calls that are not the run loop.
#include <algorithm>
#include <cstring>

#include "bootvisor/snapshot.h"
#include "bootvisor/software_vcpu.h"
#include "pc/keymap.h"
#include "vmm/machine_impl.h"

namespace bv {

namespace {
constexpr uint64_t kMinMemory = 1ull << 20;
constexpr uint64_t kMaxMemory = 3ull << 30;
}  // namespace

const char* stopReasonName(StopReason r) {
  switch (r) {
    case StopReason::Step: return "step";
    case StopReason::Breakpoint: return "breakpoint";
    case StopReason::Watchpoint: return "watchpoint";
    case StopReason::Pause: return "pause";
    case StopReason::Exception: return "exception";
    case StopReason::TripleFault: return "triple-fault";
    case StopReason::HltCli: return "hlt-cli";
    case StopReason::GuestExit: return "guest-exit";
    case StopReason::InstructionLimit: return "instruction-limit";
    case StopReason::UnhandledPort: return "unhandled-port";
    case StopReason::SystemEvent: return "system-event";
    case StopReason::Error: return "error";
  }
  return "error";
}

const char* runEventKindName(RunEventKind k) {
  switch (k) {
    case RunEventKind::UnhandledPort: return "unhandled-port";
    case RunEventKind::UnmappedMemory: return "unmapped-memory";
    case RunEventKind::StackOverflow: return "stack-overflow";
    case RunEventKind::Exception: return "exception";
    case RunEventKind::InvalidOpcode: return "invalid-opcode";
    case RunEventKind::DiskError: return "disk-error";
  }
  return "exception";
}

Machine::Impl::Impl(const MachineConfig& c) : cfg(c), mem(c.memoryBytes) {}
Machine::Impl::~Impl() = default;

uint64_t Machine::Impl::instructions() const {
  uint64_t v = vcpu ? vcpu->instructionCount() : 0;
  return countBase + (v - vcpuBase);
}

void Machine::Impl::resyncCount() {
  countBase = instructions();
  vcpuBase = vcpu ? vcpu->instructionCount() : 0;
}

SoftwareVcpu* Machine::Impl::soft() {
  // Without RTTI (the addon's build): the software backend is the one that calls itself "software".
  // kvm and nvmm always come wrapped in the hybrid (backends/select.cpp), which is a SoftwareVcpu too.
  if (!vcpu || (std::strcmp(vcpu->name(), "software") != 0 && std::strcmp(vcpu->name(), "kvm") != 0 &&
                std::strcmp(vcpu->name(), "nvmm") != 0))
    return nullptr;
  return static_cast<SoftwareVcpu*>(vcpu.get());
}

void Machine::Impl::setA20(bool on) {
  a20 = on;
  if (SoftwareVcpu* s = soft()) s->setA20(on);
}

bool Machine::Impl::init(std::string& error) {
  if (cfg.memoryBytes < kMinMemory || cfg.memoryBytes > kMaxMemory) {
    error =
        "guest memory must be between 1 MiB and 3072 MiB (asked for " + std::to_string(cfg.memoryBytes >> 20) + " MiB)";
    return false;
  }
  if (!mem.data()) {
    error = "could not reserve " + std::to_string(cfg.memoryBytes >> 20) + " MiB of host memory for the guest";
    return false;
  }
  std::shared_ptr<const ImageBytes> bytes;
  if (!cfg.imagePath.empty()) {
    bytes = imageFromFile(cfg.imagePath, error);
    if (!bytes) return false;
  } else {
    bytes = imageFromBytes(cfg.image);
  }
  uint64_t imageSize = bytes->size();
  ImageError ie = DiskImage::open(std::move(bytes), cfg.bootDrive, cfg.requireSignature, disk);
  if (ie != ImageError::None) {
    error = imageErrorMessage(ie, imageSize);
    return false;
  }
  cfg.image.clear();
  cfg.image.shrink_to_fit();  // the disk keeps its own copy

  std::string why;
  vcpu = createVcpu(cfg.backend, mem, *this, why);
  if (!vcpu) {
    error = why;
    return false;
  }
  backendName = vcpu->name();
  backendNote = why;
  clockMode = cfg.clock;
  if (!vcpu->caps().instructionCount) clockMode = ClockMode::Real;
  vcpuBase = vcpu->instructionCount();
  if (virtualTime()) clock = std::make_unique<Clock>([this] { return instructions(); });
  else clock = std::make_unique<Clock>(Clock::Counter());
  wireDevices();
  powerOn();
  return true;
}

void Machine::Impl::wireDevices() {
  using namespace wiring;
  auto irq = [this](int line) { return [this, line](bool level) { pic.setIrq(line, level); }; };
  pit = std::make_unique<Pit>(*clock, irq(kIrqPit));
  port61 = std::make_unique<SpeakerPort>(*pit, *clock);
  Kbc::Wiring kw;
  kw.irq1 = irq(kIrqKbd);
  kw.irq12 = irq(kIrqMouse);
  kw.a20 = [this] { return a20; };
  kw.setA20 = [this](bool on) { setA20(on); };
  kw.reset = [this] { resetPending = "the keyboard controller"; };
  kbc = std::make_unique<Kbc>(*clock, kw);
  cmos = std::make_unique<Cmos>(*clock, irq(kIrqRtc), cfg.rtcEpochSeconds, clockMode == ClockMode::Real);
  // Which timers can wake a sleeping guest depends on these lines (Machine::Impl::wakeIrqs).
  clock->setWakeLine(pit->timerId(), kIrqPit);
  clock->setWakeLine(cmos->timerId(), kIrqRtc);
  vga = std::make_unique<Vga>(mem, *clock);
  vbe = std::make_unique<Vbe>(mem, *vga);
  uart = std::make_unique<Uart>([this](uint8_t b) { outSerial.push_back(b); }, irq(kIrqCom1));
  debugcon = std::make_unique<DebugCon>([this](uint8_t b) { outDebugcon.push_back(b); });
  exitPort = std::make_unique<ExitPort>([this](int status) {
    stopPending = true;
    pendingStop = makeStop(StopReason::GuestExit);
    pendingStop.exitCode = status;
    pendingStop.message = "the guest wrote to the exit port 0xF4";
  });
  fpuErrorPort = std::make_unique<FpuErrorPort>([this] { pic.setIrq(kIrqFpu, false); });
  port92 = std::make_unique<FastA20>([this] { return a20; }, [this](bool on) { setA20(on); },
                                     [this] { resetPending = "port 0x92"; });

  bus.map(kPicMaster, 2, &pic.master());
  bus.map(kPicSlave, 2, &pic.slave());
  bus.map(kPit, 4, pit.get());
  bus.map(kKbc, 5, kbc.get());  // 0x60 and 0x64 (0x61 is mapped over it below; 0x62/0x63 read 0xFF)
  bus.map(kPort61, 1, port61.get());
  bus.map(kCmos, 2, cmos.get());
  bus.map(kPort92, 1, port92.get());
  bus.map(kVga, kVgaLength, vga.get());
  bus.map(Vbe::kPortIndex, 2, vbe.get(), true);
  bus.map(kCom1, 8, uart.get());
  bus.map(kDebugCon, 1, debugcon.get());
  bus.map(kExitPort, 1, exitPort.get());
  bus.map(kFpuError, 2, fpuErrorPort.get());
  bus.ignore(kPostCode);
  bus.ignore(0xED);  // another delay port

  BiosEnv env{mem,
              disk,
              *vga,
              *vbe,
              *uart,
              *cmos,
              *kbc,
              pic,
              *pit,
              *clock,
              [this](uint16_t port) {
                uint32_t v = 0xFF;
                bus.read(port, 1, v);
                return v;
              },
              [this](uint16_t port, uint8_t v) { bus.write(port, 1, v); },
              [this] { return a20; },
              [this](bool on) { setA20(on); },
              [this](const CpuState& st, const std::string& message) { biosFailed(st, message); }};
  bios = std::make_unique<Bios>(env);
}

void Machine::Impl::powerOn() {
  using namespace wiring;
  kbcSkip = false;  // a skip asked for before the reset belongs to the state left behind
  vbe->reset();
  bios->install(mem.size());
  // What the BIOS's POST leaves: PICs at vectors 08h and 70h, IRQ0/1/2 and the RTC/mouse/disk lines unmasked;
  // PIT channel 0 in mode 3 with the full count (18.2 Hz).
  const uint8_t init[][2] = {{0x11, 0x08}, {0x11, 0x70}};
  bus.write(kPicMaster, 1, init[0][0]), bus.write(kPicMaster + 1, 1, init[0][1]);
  bus.write(kPicMaster + 1, 1, 0x04), bus.write(kPicMaster + 1, 1, 0x01);
  bus.write(kPicSlave, 1, init[1][0]), bus.write(kPicSlave + 1, 1, init[1][1]);
  bus.write(kPicSlave + 1, 1, 0x02), bus.write(kPicSlave + 1, 1, 0x01);
  bus.write(kPicMaster + 1, 1, 0xB8);
  bus.write(kPicSlave + 1, 1, 0x8E);
  bus.write(kPit + 3, 1, 0x36);
  bus.write(kPit, 1, 0x00), bus.write(kPit, 1, 0x00);
  setA20(true);

  uint8_t sector[512] = {};
  disk.read(0, 1, sector);
  mem.write(0x7C00, sector, sizeof sector);
  CpuState st = bootState(disk.drive());
  vcpu->setState(st);
  halted = false;
}

// A warm reset as a PC does it: the BIOS runs again (IVT, BDA, PIC and PIT set up, video mode 3), sector 0 is
// loaded again and started with the boot state; the rest of RAM and the CMOS NVRAM keep their contents. A
// guest that resets over and over would spin here for ever, so more than kMaxResets within a second of
// virtual time stops the run.
bool Machine::Impl::warmReset(const char* how, StopRecord& stop) {
  constexpr size_t kMaxResets = 5;
  constexpr uint64_t kWindowNs = 1000000000ull;
  uint64_t now = clock->now();
  std::vector<uint64_t> recent;
  for (uint64_t t : resetTimes)
    if (now - t < kWindowNs) recent.push_back(t);
  recent.push_back(now);
  resetTimes.swap(recent);
  if (resetTimes.size() > kMaxResets) {
    stop = makeStop(StopReason::Error);
    stop.message = "the guest reset the machine " + std::to_string(resetTimes.size()) +
                   " times within 1 s of virtual time (the last through " + how +
                   "): a reset loop, so the run stops here; a reset usually follows a fault the guest could "
                   "not handle";
    CpuState st;
    vcpu->getState(st);
    stop.cs = st.segs[SEG_CS].selector;
    stop.eip = uint32_t(resetRip);
    stop.linear = (st.segs[SEG_CS].base + resetRip) & 0xFFFFFFFFull;
    return true;
  }
  bios->forgetPendingCalls();
  vcpu->requestInterruptWindow(false);
  powerOn();
  return false;
}

// ---- Machine: the public face ----

Machine::Machine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Machine::~Machine() = default;

std::unique_ptr<Machine> Machine::create(const MachineConfig& config, std::string& error) {
  auto impl = std::make_unique<Impl>(config);
  if (!impl->init(error)) return nullptr;
  return std::unique_ptr<Machine>(new Machine(std::move(impl)));
}

const std::string& Machine::backendName() const { return impl_->backendName; }
const std::string& Machine::backendNote() const { return impl_->backendNote; }
uint8_t Machine::bootDrive() const { return impl_->disk.drive(); }
const std::string& Machine::bootDriveReason() const { return impl_->disk.driveReason(); }

StopRecord Machine::run(const RunLimits& limits) { return impl_->run(limits, false); }
StopRecord Machine::step() {
  RunLimits one;
  one.maxInstructions = 1;
  one.returnWhenIdle = true;
  return impl_->run(one, true);
}

void Machine::requestStop() {
  impl_->stopRequested = true;
  impl_->inboxCv.notify_all();
  impl_->vcpu->requestStop();
}

uint64_t Machine::instructionCount() const { return impl_->instructions(); }
uint64_t Machine::virtualTimeNs() const { return impl_->clock->now(); }

void Machine::getState(CpuState& out) {
  impl_->vcpu->getState(out);
  out.halted = impl_->halted;
}

void Machine::setState(const CpuState& in) {
  impl_->vcpu->setState(in);
  impl_->halted = in.halted && (in.gprs[GPR_RFLAGS] & flags::IF);
}

bool Machine::readPhysical(uint64_t gpa, void* dst, uint64_t len) const { return impl_->mem.read(gpa, dst, len); }
bool Machine::writePhysical(uint64_t gpa, const void* src, uint64_t len) { return impl_->mem.write(gpa, src, len); }

ScreenText Machine::screenText() const {
  ScreenText t;
  renderText(*impl_->vga, impl_->mem, t);
  if (impl_->vbe->enabled()) {  // a VBE mode shows no text, whatever the VGA's own mode still holds
    t.graphics = true, t.cursorVisible = false;
    t.lines.clear();
  }
  return t;
}

// Input from any thread: into the inbox, where the run loop stamps, logs and delivers it.
static void post(Machine::Impl& m, InputKind kind, const std::vector<uint8_t>& data) {
  {
    std::lock_guard<std::mutex> lock(m.inboxMu);
    // Consecutive sends of one kind are one event: the guest sees them at the same instant either way.
    if (!m.inbox.empty() && m.inbox.back().kind == kind && kind != InputKind::Reset) {
      m.inbox.back().data.insert(m.inbox.back().data.end(), data.begin(), data.end());
    } else {
      InputEvent e;
      e.kind = kind;
      e.data = data;
      m.inbox.push_back(std::move(e));
    }
    m.inboxReady = true;
  }
  m.inboxCv.notify_all();
}

void Machine::sendScanCodes(const std::vector<uint8_t>& codes) {
  if (!codes.empty()) post(*impl_, InputKind::Keys, codes);
}

size_t Machine::typeText(const std::string& utf8) {
  std::vector<uint8_t> codes;
  size_t skipped = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(utf8[i]);
    if (ch >= 0x80) {  // a multi-byte character: no key types it
      while (i + 1 < utf8.size() && (static_cast<unsigned char>(utf8[i + 1]) & 0xC0) == 0x80) ++i;
      ++skipped;
      continue;
    }
    if (!charToScanCodes(char(ch), codes)) ++skipped;
  }
  sendScanCodes(codes);
  return skipped;
}

void Machine::sendSerial(const std::vector<uint8_t>& bytes) {
  if (!bytes.empty()) post(*impl_, InputKind::Serial, bytes);
}

void Machine::sendReset() { post(*impl_, InputKind::Reset, {}); }

void Machine::sendMouse(int dx, int dy, uint8_t buttons) {
  auto clamp = [](int v) { return uint16_t(int16_t(v < -32767 ? -32767 : v > 32767 ? 32767 : v)); };
  uint16_t x = clamp(dx), y = clamp(dy);
  post(*impl_, InputKind::Mouse, {uint8_t(x), uint8_t(x >> 8), uint8_t(y), uint8_t(y >> 8), uint8_t(buttons & 7)});
}

const std::vector<InputEvent>& Machine::inputLog() const { return impl_->input.events(); }

void Machine::loadInputLog(std::vector<InputEvent> events) {
  impl_->input.load(std::move(events), impl_->instructions(), impl_->clock->now());
}

void Machine::setListener(MachineListener* listener) { impl_->listener = listener; }

std::vector<ExitCount> Machine::exitProfile() const {
  std::vector<ExitCount> v;
  for (const auto& e : impl_->profile) v.push_back(e.second);
  std::sort(v.begin(), v.end(), [](const ExitCount& a, const ExitCount& b) {
    return a.io + a.mmio != b.io + b.mmio ? a.io + a.mmio > b.io + b.mmio : a.rip < b.rip;
  });
  return v;
}

Vcpu& Machine::vcpu() { return *impl_->vcpu; }
SoftwareVcpu* Machine::softwareVcpu() { return impl_->soft(); }
GuestMemory& Machine::memory() { return impl_->mem; }
ExitHandler& Machine::exitHandler() { return *impl_; }

std::unique_ptr<Vcpu> Machine::replaceVcpu(std::unique_ptr<Vcpu> next) {
  Impl& m = *impl_;
  if (!next) return nullptr;
  CpuState st;
  m.vcpu->getState(st);
  next->setState(st);
  m.countBase = m.instructions();
  std::unique_ptr<Vcpu> old = std::move(m.vcpu);
  m.vcpu = std::move(next);
  m.vcpuBase = m.vcpu->instructionCount();
  m.backendName = m.vcpu->name();
  if (m.virtualTime() && !m.vcpu->caps().instructionCount) {
    m.clockMode = ClockMode::Real;
    m.clock->rebase(Clock::Counter());
  }
  m.setA20(m.a20);
  if (SoftwareVcpu* s = m.soft()) s->setSystemBreaks(m.systemBreakBits);
  return old;
}

uint32_t Machine::portRead(uint16_t port, unsigned size) {
  uint32_t v = 0xFFFFFFFF;
  impl_->bus.read(port, size, v);
  impl_->clock->fireDue();
  return v;
}

void Machine::portWrite(uint16_t port, unsigned size, uint32_t value) {
  impl_->bus.write(port, size, value);
  impl_->clock->fireDue();
  impl_->flushOutput(true);
}

void Machine::clockStep(uint64_t ns) {
  Clock& c = *impl_->clock;
  uint64_t target = c.now() + ns;
  // Step from deadline to deadline so that each timer sees the time it was armed for.
  for (;;) {
    uint64_t d = c.nextDeadline();
    if (d > target) break;
    c.advanceTo(d);
    c.fireDue();
  }
  c.advanceTo(target);
  c.fireDue();
  impl_->flushOutput(true);
}

bool Machine::irqLevel(int irq) const { return impl_->pic.line(irq); }

Machine::PicRegisters Machine::picRegisters(bool slave) const {
  const Pic8259& p = slave ? impl_->pic.slave() : impl_->pic.master();
  return {p.irr(), p.isr(), p.imr(), p.vectorBase()};
}

std::vector<Machine::MemoryRange> Machine::memoryMap() const {
  std::vector<MemoryRange> out;
  for (const E820Entry& e : bv::memoryMap(impl_->mem)) out.push_back({e.base, e.length, e.type});
  return out;
}

}  // namespace bv
