// What the debugger knows about how code at an address is decoded, best evidence first: the listing (nasm's
// BITS and its instruction boundaries), the CPU's own mode for the instruction about to run, and the mode in
// which each address last executed (the software vCPU's history, gathered at every stop). Code that crossed a
// mode switch (`jmp CODE_SEL:pm_start` into `[bits 32]`) thus decodes in the size it actually runs in, on
// both sides of the switch, whatever mode the CPU is in now.
import type { HistoryEntry, Machine } from '../common/api';
import type { Bitness } from '../common/disasm';

/** How many executed instructions to keep (by address): enough for a boot sector and its loader, bounded. */
const MAX_ADDRESSES = 1 << 16;
/** History entries read at each stop: the native ring keeps the newest 64. */
const HISTORY_PER_STOP = 64;

export interface ExecutedAt {
  bits: Bitness;
  length: number;
  /** CS:IP as it ran. */
  cs: number;
  ip: number;
}

export class ExecutedModes {
  private readonly at = new Map<number, ExecutedAt>();
  /** The instruction count at the last gather: only what ran since then is read again (one entry after a step). */
  private gatheredAt = -1;

  /** Reads the machine's recent history; harmless on a backend without one. */
  gather(machine: Machine): void {
    let entries: HistoryEntry[];
    try {
      const now = machine.instructionCount();
      const fresh =
        this.gatheredAt >= 0 && now >= this.gatheredAt
          ? Math.min(HISTORY_PER_STOP, now - this.gatheredAt)
          : HISTORY_PER_STOP;
      this.gatheredAt = now;
      if (fresh === 0) return;
      entries = machine.history(fresh);
    } catch {
      return;
    }
    for (const e of entries) this.note(e);
  }

  /** A step's one instruction, already read by the stepper: the next gather() need not read it again. */
  noteStep(e: HistoryEntry, instructions: number): void {
    this.note(e);
    if (this.gatheredAt === instructions - 1) this.gatheredAt = instructions;
  }

  note(e: HistoryEntry): void {
    if (e.bits === undefined || e.bytes.length === 0) return;
    const linear = e.linear >>> 0;
    // Re-inserted so the map's order is recency: the oldest are dropped first.
    this.at.delete(linear);
    this.at.set(linear, { bits: e.bits, length: e.bytes.length, cs: e.cs, ip: e.eip });
    if (this.at.size > MAX_ADDRESSES) this.at.delete(this.at.keys().next().value!);
  }

  /** How the instruction starting at `linear` last ran, if it did. */
  get(linear: number): ExecutedAt | undefined {
    return this.at.get(linear >>> 0);
  }

  /** An executed instruction that ends exactly at `linear` (for walking backwards). */
  endingAt(linear: number): { start: number; bits: Bitness } | undefined {
    for (let len = 1; len <= 15; len++) {
      const e = this.at.get((linear - len) >>> 0);
      if (e && e.length === len) return { start: (linear - len) >>> 0, bits: e.bits };
    }
    return undefined;
  }

  clear(): void {
    this.at.clear();
    this.gatheredAt = -1;
  }
}
