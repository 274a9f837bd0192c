// The debugger's requests over the machine's vCPU: the software vCPU serves them all; a hardware backend
// without them says so (the debug adapter then offers fewer features instead of failing silently).
#include "napi/debug_ops.h"

#include "bootvisor/software_vcpu.h"

namespace bv::napi {
namespace {

SoftwareVcpu* softwareVcpu(Machine& m, std::string* error, const char* what) {
  SoftwareVcpu* s = m.softwareVcpu();
  if (!s && error) {
    *error = std::string("the ") + m.backendName() + " backend cannot set " + what +
             "; run with the software backend to use them";
  }
  return s;
}

}  // namespace

int debugAddBreakpoint(Machine& m, uint64_t linear, std::string& error) {
  SoftwareVcpu* s = softwareVcpu(m, &error, "breakpoints");
  return s ? s->addBreakpoint(linear, false) : -1;
}

void debugRemoveBreakpoint(Machine& m, int id) {
  if (SoftwareVcpu* s = softwareVcpu(m, nullptr, "breakpoints")) s->removeBreakpoint(id);
}

int debugAddWatchpoint(Machine& m, uint64_t address, uint32_t length, uint8_t access, std::string& error) {
  SoftwareVcpu* s = softwareVcpu(m, &error, "watchpoints");
  return s ? s->addWatchpoint(address, length, access, false) : -1;
}

void debugRemoveWatchpoint(Machine& m, int id) {
  if (SoftwareVcpu* s = softwareVcpu(m, nullptr, "watchpoints")) s->removeWatchpoint(id);
}

bool debugCatchExceptions(Machine& m, uint32_t vectorMask, std::string& error) {
  SoftwareVcpu* s = softwareVcpu(m, &error, "exception catchpoints");
  if (!s) return false;
  for (uint8_t v = 0; v < 32; v++) s->setCatchException(v, (vectorMask >> v) & 1);
  return true;
}

std::vector<HistoryEntry> debugHistory(Machine& m, size_t count) {
  std::vector<HistoryEntry> out;
  SoftwareVcpu* s = softwareVcpu(m, nullptr, "history");
  if (!s) return out;
  std::vector<InsnRecord> all = s->history(count);
  size_t from = all.size() > count ? all.size() - count : 0;
  for (size_t i = from; i < all.size(); i++) {
    out.push_back({all[i].cs, all[i].eip, all[i].linear, all[i].code32, all[i].bytes});
  }
  return out;
}

}  // namespace bv::napi
