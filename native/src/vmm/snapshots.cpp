// Machine snapshots: the state blob (vCPU registers, the machine's own flags, the clock, every device, the
// BIOS, the disk's written sectors) plus memory through the SnapshotStore (dirty pages only).
#include "bootvisor/snapshot.h"
#include "vmm/machine_impl.h"

namespace bv {

namespace {
constexpr uint32_t kFormat = 4;
}

uint32_t Machine::snapshot() {
  Impl& m = *impl_;
  SnapshotWriter w;
  w.reserve(m.snapshots.lastStateBytes() + 4096);  // the disk's written sectors may have grown a little
  w.section("machine");
  w.u32(kFormat);
  if (m.virtualTime()) m.syncTsc();  // the TSC saved holds the time skipped so far
  CpuState st;
  m.vcpu->getState(st);
  w.pod(st);
  w.u64(m.instructions());
  w.boolean(m.a20);
  w.boolean(m.halted);
  w.u64(m.input.cursor());  // the log itself outlives snapshots; where in it this state stands
  m.polls.save(w);
  m.spin.save(w);
  m.pitPoll.save(w);
  m.kbcPoll.save(w);
  w.boolean(m.kbcSkip);
  m.clock->save(w);
  m.pic.save(w);
  m.pit->save(w);
  m.port61->save(w);
  m.kbc->save(w);
  m.cmos->save(w);
  m.vga->save(w);
  m.vbe->save(w);
  m.uart->save(w);
  m.bios->save(w);
  w.section("disk");
  const auto& written = m.disk.written();
  w.u64(written.size());
  for (const auto& s : written) {
    w.u64(s.first);
    w.bytes(s.second.data(), 512);
  }
  return m.snapshots.take(m.mem, w.take());
}

bool Machine::restore(uint32_t id, std::string& error) {
  Impl& m = *impl_;
  if (!m.snapshots.has(id)) {
    error = "no snapshot " + std::to_string(id) + " (dropped, or never taken)";
    return false;
  }
  const std::vector<uint8_t>* blob = m.snapshots.restore(id, m.mem);
  SnapshotReader r(*blob);
  r.section("machine");
  if (r.u32() != kFormat) {
    error = "snapshot " + std::to_string(id) + " has another format";
    return false;
  }
  CpuState st;
  r.pod(st);
  uint64_t count = r.u64();
  m.a20 = r.boolean();
  m.halted = r.boolean();
  uint64_t cursor = r.u64();
  m.polls.load(r);
  m.spin.load(r);
  m.pitPoll.load(r);
  m.kbcPoll.load(r);
  m.kbcSkip = r.boolean();
  m.pitSkipTo = 0;
  m.vcpu->setState(st);
  m.countBase = count;
  m.vcpuBase = m.vcpu->instructionCount();
  m.setA20(m.a20);
  bool ok = m.clock->load(r) && m.pic.load(r) && m.pit->load(r) && m.port61->load(r) && m.kbc->load(r) &&
            m.cmos->load(r) && m.vga->load(r) && m.vbe->load(r) && m.uart->load(r) && m.bios->load(r);
  r.section("disk");
  std::map<uint64_t, std::vector<uint8_t>> written;
  uint64_t n = r.u64();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    uint64_t lba = r.u64();
    std::vector<uint8_t> sec(512);
    r.bytes(sec.data(), 512);
    written[lba] = std::move(sec);
  }
  m.disk.setWritten(std::move(written));
  if (!ok || !r.ok()) {
    error = "snapshot " + std::to_string(id) + " could not be read back" +
            (r.failedAt().empty() ? std::string() : " (at " + r.failedAt() + ")");
    return false;
  }
  // Inputs logged after this state are replayed at their stamps as execution passes them again.
  m.input.seek(size_t(cursor));
  m.tscSkipped = m.virtualTime() ? m.skippedTicks() : 0;
  m.idleSent = false;
  m.biosCall = false;
  m.stopPending = false;
  m.resetPending = nullptr;  // a reset pulsed by a host write since belongs to the state left behind
  m.pendingEvents.clear();
  m.outSerial.clear();
  m.outDebugcon.clear();
  m.vcpu->requestInterruptWindow(false);
  return true;
}

void Machine::dropSnapshot(uint32_t id) { impl_->snapshots.drop(id, impl_->mem); }
size_t Machine::snapshotBytes() const { return impl_->snapshots.bytes(); }

Machine::SnapshotCounts Machine::snapshotCounts() const {
  const SnapshotStore::Stats s = impl_->snapshots.stats();
  SnapshotCounts c;
  c.snapshots = s.snapshots;
  c.pageVersions = s.pageVersions;
  c.lastRestorePages = s.lastRestorePages;
  return c;
}

}  // namespace bv
