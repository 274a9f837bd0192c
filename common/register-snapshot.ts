// The registers as they were at one moment, decoded only when asked: the debugger takes one each time the
// guest resumes (the baseline of the Variables view's change marks), and most of them are never looked at.
// Taken as numbers (one native fill, no objects), it costs a fraction of reading the registers as objects.
import type { Registers } from './api';

export interface RegisterSnapshot {
  /** CS base + EIP. */
  readonly linear: number;
  readonly esp: number;
  readonly ssSelector: number;
  /** All of them, decoded at the first call (the same object after). */
  registers(): Registers;
}

/** A snapshot of registers already read (for a machine that cannot take one itself). */
export function snapshotOf(r: Registers): RegisterSnapshot {
  return { linear: (r.cs.base + r.eip) >>> 0, esp: r.esp, ssSelector: r.ss.selector, registers: () => r };
}
