// Conversions between the Machine's C++ records and the JavaScript objects of common/api.ts. Pure functions
// of their arguments, called on the JavaScript thread only. Readers return false after throwing a JS error
// (NAPI_DISABLE_CPP_EXCEPTIONS: the caller returns at once).
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "bootvisor/machine.h"

namespace bv::napi {

Napi::Object stopToJs(Napi::Env env, const StopRecord& stop);
// A stop with nothing but its place and count (a step, a breakpoint, a limit, a pause: what a debugger's round
// trip gets) as numbers in a fixed order (common/machine.ts unpackStop), for a caller that builds the object
// itself: cs, eip, linear, instructions, breakpointId (-1: none), idle (0/1). False for any other stop.
constexpr size_t kPackedStop = 6;
bool stopToArray(const StopRecord& stop, double* out);
Napi::Object registersToJs(Napi::Env env, const CpuState& s);
// The same registers as numbers in a fixed order (common/machine.ts REGISTER_LAYOUT), for a caller that builds
// the object itself: one typed-array write instead of some seventy property sets through N-API.
constexpr size_t kPackedRegisters = 59;
void registersToArray(const CpuState& s, double* out);
// Applies the fields present in a Partial<Registers> onto s.
bool registersFromJs(Napi::Env env, const Napi::Object& regs, CpuState& s);
Napi::Object screenTextToJs(Napi::Env env, const ScreenText& t);
Napi::Object screenFrameToJs(Napi::Env env, const ScreenFrame& f);
Napi::Object runEventToJs(Napi::Env env, const RunEvent& e);
// The input log as [{ at, timeNs, kind, data }]; the parser refuses (and throws) on any malformed event.
Napi::Array inputLogToJs(Napi::Env env, const std::vector<InputEvent>& log);
bool inputLogFromJs(Napi::Env env, const Napi::Value& v, std::vector<InputEvent>& out);
bool machineConfigFromJs(Napi::Env env, const Napi::Value& v, MachineConfig& out);
// { controlRegisters: [0, 3, 4], gdt, idt, modeSwitch, taskSwitch, interrupts: [{ vector?, ah? }],
//   irqLines: [1], ports: [{ first, last }] } (every field optional).
bool systemBreaksFromJs(Napi::Env env, const Napi::Value& v, SystemBreaks& out);

// An integer argument in [min, max]; throws a TypeError or RangeError naming `what` otherwise.
bool uintArg(const Napi::CallbackInfo& info, size_t i, const char* what, double max, uint64_t& out);
// A Uint8Array (or Buffer) argument.
bool bytesArg(const Napi::CallbackInfo& info, size_t i, const char* what, const uint8_t*& data, size_t& len);

// Throws an Error (or a TypeError / RangeError) with the message and returns undefined, for `return throwX(...)`.
Napi::Value throwError(Napi::Env env, const std::string& message);
Napi::Value throwTypeError(Napi::Env env, const std::string& message);
Napi::Value throwRangeError(Napi::Env env, const std::string& message);

std::string hex(uint64_t v);

}  // namespace bv::napi
