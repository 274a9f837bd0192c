// The table behind bootvisor/exceptions.h (Intel SDM vol. 3, tables 6-1 and 6-5; AMD APM vol. 2, 8.2 for
// the vectors only AMD defines). Where a triple fault is explained: secondFault() below, which the software
// vCPU asks for each fault it meets while delivering another.
#include "bootvisor/exceptions.h"

namespace bv {

namespace {

using C = ExceptionClass;
using D = DoubleFaultClass;

constexpr ExceptionInfo kTable[kExceptionVectors] = {
    {0, "#DE", "divide error", C::Fault, false, D::Contributory},
    {1, "#DB", "debug", C::FaultOrTrap, false, D::Benign},
    {2, "NMI", "non-maskable interrupt", C::Interrupt, false, D::Benign},
    {3, "#BP", "breakpoint (INT3)", C::Trap, false, D::Benign},
    {4, "#OF", "overflow (INTO)", C::Trap, false, D::Benign},
    {5, "#BR", "BOUND range exceeded", C::Fault, false, D::Benign},
    {6, "#UD", "invalid opcode", C::Fault, false, D::Benign},
    {7, "#NM", "device not available", C::Fault, false, D::Benign},
    {8, "#DF", "double fault", C::Abort, true, D::Benign},
    {9, "CSO", "coprocessor segment overrun", C::Abort, false, D::Benign},
    {10, "#TS", "invalid TSS", C::Fault, true, D::Contributory},
    {11, "#NP", "segment not present", C::Fault, true, D::Contributory},
    {12, "#SS", "stack-segment fault", C::Fault, true, D::Contributory},
    {13, "#GP", "general protection", C::Fault, true, D::Contributory},
    {14, "#PF", "page fault", C::Fault, true, D::PageFault},
    {15, "#15", "reserved", C::Reserved, false, D::Benign},
    {16, "#MF", "x87 floating-point error", C::Fault, false, D::Benign},
    {17, "#AC", "alignment check", C::Fault, true, D::Benign},
    {18, "#MC", "machine check", C::Abort, false, D::Benign},
    {19, "#XM", "SIMD floating-point", C::Fault, false, D::Benign},
    {20, "#VE", "virtualization exception", C::Fault, false, D::PageFault},
    {21, "#CP", "control protection", C::Fault, true, D::Contributory},
    {22, "#22", "reserved", C::Reserved, false, D::Benign},
    {23, "#23", "reserved", C::Reserved, false, D::Benign},
    {24, "#24", "reserved", C::Reserved, false, D::Benign},
    {25, "#25", "reserved", C::Reserved, false, D::Benign},
    {26, "#26", "reserved", C::Reserved, false, D::Benign},
    {27, "#27", "reserved", C::Reserved, false, D::Benign},
    {28, "#28", "reserved", C::Reserved, false, D::Benign},
    {29, "#29", "reserved", C::Reserved, false, D::Benign},
    {30, "#SX", "security exception", C::Fault, true, D::Benign},
    {31, "#31", "reserved", C::Reserved, false, D::Benign},
};

constexpr bool tableInOrder() {
  for (unsigned i = 0; i < kExceptionVectors; ++i) {
    if (kTable[i].vector != i) return false;
  }
  return true;
}
static_assert(tableInOrder(), "kTable is indexed by vector");

constexpr ExceptionInfo kInterrupt = {0, "INT", "interrupt", C::Interrupt, false, D::Benign};

// Rows: the exception being delivered; columns: the fault raised meanwhile (SDM table 6-5).
constexpr SecondFault kMatrix[3][3] = {
    //               benign               contributory              page fault
    /* benign */ {SecondFault::Serial, SecondFault::Serial, SecondFault::Serial},
    /* contributory */ {SecondFault::Serial, SecondFault::DoubleFault, SecondFault::Serial},
    /* page fault */ {SecondFault::Serial, SecondFault::DoubleFault, SecondFault::DoubleFault},
};

}  // namespace

const ExceptionInfo& exceptionInfo(uint8_t vector) { return vector < kExceptionVectors ? kTable[vector] : kInterrupt; }

SecondFault secondFault(uint8_t first, uint8_t second) {
  if (first == 8) return SecondFault::TripleFault;
  return kMatrix[int(exceptionInfo(first).doubleFault)][int(exceptionInfo(second).doubleFault)];
}

const char* exceptionClassName(ExceptionClass c) {
  switch (c) {
    case C::Fault: return "fault";
    case C::Trap: return "trap";
    case C::FaultOrTrap: return "fault or trap";
    case C::Abort: return "abort";
    case C::Interrupt: return "interrupt";
    case C::Reserved: return "reserved";
  }
  return "reserved";
}

const char* doubleFaultClassName(DoubleFaultClass c) {
  switch (c) {
    case D::Benign: return "benign";
    case D::Contributory: return "contributory";
    case D::PageFault: return "page fault";
  }
  return "benign";
}

}  // namespace bv
