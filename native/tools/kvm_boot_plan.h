// A boot plan (test/kvm/kernel-plans.ts): what the multiboot loader, which lives in TypeScript, did to a fresh
// machine (the disk it was created with, memory writes, port writes, the registers it left), replayed here on
// any backend so that the nested KVM run, which has no Node, boots the C test kernels the way `bootvisor run`
// does. One record a line, numbers in hex:
//   image HEX | mem ADDR HEX | zero ADDR LENGTH | port PORT SIZE VALUE | reg NAME VALUE |
//   seg NAME SELECTOR BASE LIMIT ATTRIB | table NAME BASE LIMIT
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bootvisor/machine.h"
#include "bootvisor/state.h"

namespace bv::plan {

struct Record {
  std::string kind, name;
  uint64_t a = 0, b = 0, c = 0, d = 0;
  std::vector<uint8_t> bytes;
};

struct BootPlan {
  std::vector<uint8_t> image;
  std::vector<Record> records;
};

inline bool fromHex(const std::string& text, std::vector<uint8_t>& out) {
  if (text.size() % 2) return false;
  out.clear();
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    unsigned v = 0;
    if (std::sscanf(text.c_str() + i, "%2x", &v) != 1) return false;
    out.push_back(static_cast<uint8_t>(v));
  }
  return true;
}

// Reads a plan; false with `error` on a line it does not understand.
inline bool readPlan(const std::string& path, BootPlan& plan, std::string& error) {
  std::ifstream f(path);
  if (!f) {
    error = "cannot read " + path;
    return false;
  }
  std::string line;
  for (int n = 1; std::getline(f, line); ++n) {
    std::istringstream in(line);
    Record r;
    in >> r.kind;
    std::string data;
    bool ok = true;
    if (r.kind == "image") {
      in >> data;
      ok = fromHex(data, plan.image);
      if (ok) continue;
    } else if (r.kind == "mem") {
      in >> std::hex >> r.a >> data;
      ok = fromHex(data, r.bytes);
    } else if (r.kind == "zero") {
      in >> std::hex >> r.a >> r.b;
    } else if (r.kind == "port") {
      in >> std::hex >> r.a >> r.b >> r.c;
    } else if (r.kind == "reg") {
      in >> r.name >> std::hex >> r.a;
    } else if (r.kind == "seg") {
      in >> r.name >> std::hex >> r.a >> r.b >> r.c >> r.d;
    } else if (r.kind == "table") {
      in >> r.name >> std::hex >> r.a >> r.b;
    } else if (r.kind.empty()) {
      continue;
    } else {
      ok = false;
    }
    if (!ok || in.fail()) {
      error = path + ":" + std::to_string(n) + ": not a boot plan record";
      return false;
    }
    plan.records.push_back(std::move(r));
  }
  return true;
}

// Replays the plan's records on a machine created from its image; false with `error` if a record cannot be.
inline bool applyPlan(const BootPlan& plan, Machine& m, std::string& error) {
  static const char* const kGprs[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
  static const char* const kSegs[] = {"es", "cs", "ss", "ds", "fs", "gs"};
  CpuState s;
  m.getState(s);
  for (const Record& r : plan.records) {
    bool ok = true;
    if (r.kind == "mem") {
      ok = m.writePhysical(r.a, r.bytes.data(), r.bytes.size());
    } else if (r.kind == "zero") {
      const std::vector<uint8_t> zeros(r.b, 0);
      ok = m.writePhysical(r.a, zeros.data(), zeros.size());
    } else if (r.kind == "port") {
      m.portWrite(static_cast<uint16_t>(r.a), static_cast<unsigned>(r.b), static_cast<uint32_t>(r.c));
      m.getState(s);  // a port write may touch the CPU (a reset line): registers come after it
    } else if (r.kind == "reg") {
      uint64_t* target = nullptr;
      for (int i = 0; i < 8; ++i) {
        if (r.name == kGprs[i]) target = &s.gprs[i];
      }
      if (r.name == "eip") target = &s.gprs[GPR_RIP];
      if (r.name == "eflags") target = &s.gprs[GPR_RFLAGS];
      if (r.name == "cr0") target = &s.crs[CR_CR0];
      if (target) *target = r.a;
      ok = target != nullptr;
    } else if (r.kind == "seg") {
      ok = false;
      for (int i = 0; i < 6; ++i) {
        if (r.name != kSegs[i]) continue;
        s.segs[i].selector = static_cast<uint16_t>(r.a);
        s.segs[i].base = r.b;
        s.segs[i].limit = static_cast<uint32_t>(r.c);
        s.segs[i].attrib = unpackSegAttrib(static_cast<uint32_t>(r.d));
        ok = true;
      }
    } else if (r.kind == "table") {
      ok = r.name == "gdtr";
      s.segs[SEG_GDT].base = r.a;
      s.segs[SEG_GDT].limit = static_cast<uint32_t>(r.b);
    }
    if (!ok) {
      error = "cannot apply the plan's " + r.kind + " record" + (r.name.empty() ? "" : " " + r.name);
      return false;
    }
  }
  m.setState(s);
  return true;
}

}  // namespace bv::plan
