// Data breakpoints: the watched memory, what it held when the guest last stopped, and the words for a hit
// ("write of 2 bytes at 0x07C42 (word [counter]): 0x0003 -> 0x0004"). The values are read at every stop, so
// "old" is what the user last saw; a Variables scope lists every watch with its value and the one before.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Machine, Registers, StopEvent } from '../common/api';
import { hex } from '../common/expression';
import { readRegister } from './registers';
import { hexAddr } from './runtime';

export type WatchKind = 'read' | 'write' | 'access';

export interface DataWatch {
  id: number;
  nativeId: number;
  address: number;
  size: number;
  access: WatchKind;
  label: string;
  /** The watched bytes at the last stop (undefined: unreadable). */
  before?: Uint8Array;
  /** ... and at the stop before it, for "was" in the Variables view. */
  previous?: Uint8Array;
}

export interface WatchSpec {
  address: number;
  size: number;
  access: WatchKind;
  label: string;
}

const ACCESS_WORDS: Record<WatchKind, string> = {
  read: 'reads of',
  write: 'writes to',
  access: 'reads of and writes to',
};

/** The watched bytes as a little-endian number for 1, 2 and 4 bytes, else as hex bytes. */
export function formatWatched(bytes: Uint8Array | undefined): string {
  if (!bytes) return 'unreadable';
  if (bytes.length === 1 || bytes.length === 2 || bytes.length === 4) {
    let v = 0;
    for (let i = bytes.length - 1; i >= 0; i--) v = v * 256 + bytes[i];
    return `0x${hex(v, bytes.length * 2)}`;
  }
  return [...bytes].map((b) => hex(b, 2)).join(' ');
}

function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);
}

export class DataWatches {
  private list: DataWatch[] = [];
  private nextId = 1_000_000;

  get all(): readonly DataWatch[] {
    return this.list;
  }

  /** Replaces every watch (DAP sends the whole set); keeps the values of watches that stay. */
  set(machine: Machine, specs: WatchSpec[]): DataWatch[] {
    const old = this.list;
    for (const w of old) machine.removeWatchpoint(w.nativeId);
    this.list = specs.map((s) => {
      const kept = old.find((w) => w.address === s.address && w.size === s.size);
      const before = kept?.before ?? read(machine, s.address, s.size);
      return {
        ...s,
        id: this.nextId++,
        nativeId: machine.addWatchpoint(s.address, s.size, s.access),
        before,
        previous: kept?.previous,
      };
    });
    return this.list;
  }

  /** The same watches on a new machine (reset). */
  reattach(machine: Machine): void {
    this.set(
      machine,
      this.list.map(({ address, size, access, label }) => ({ address, size, access, label })),
    );
  }

  /** What the user sees in the Breakpoints view for a watch. */
  static describe(w: DataWatch): string {
    return `Stops on ${ACCESS_WORDS[w.access]} ${w.label}: ${w.size} byte${w.size === 1 ? '' : 's'} at ${hexAddr(w.address)} (now ${formatWatched(w.before)})`;
  }

  /** The stop's words and the watches it hit; the values move on to what memory holds now. */
  hit(machine: Machine, stop: StopEvent): { text: string; ids: number[] } {
    const w = stop.watch;
    const hits = w
      ? this.list.filter((x) => x.address < w.address + Math.max(1, w.size) && w.address < x.address + x.size)
      : [];
    // The machine may report the access without its width: then it is the watched range's.
    const size = w && w.size > 0 ? w.size : (hits[0]?.size ?? 0);
    let text = w
      ? `${w.access} of ${size} byte${size === 1 ? '' : 's'} at ${hexAddr(w.address)}${hits[0] ? ` (${hits[0].label})` : ''}`
      : 'watched memory accessed';
    const first = hits[0];
    if (first) {
      const now = read(machine, first.address, first.size);
      text += same(first.before, now)
        ? `: ${formatWatched(now)} (unchanged)`
        : `: ${formatWatched(first.before)} -> ${formatWatched(now)}`;
    }
    return { text, ids: hits.map((h) => h.id) };
  }

  /** At every stop: remember what the watched memory holds, and what it held before. */
  stopped(machine: Machine): void {
    for (const w of this.list) {
      const now = read(machine, w.address, w.size);
      if (!same(now, w.before)) w.previous = w.before;
      w.before = now;
    }
  }

  /** The Variables view's "Data breakpoints" scope: each watch's value, and the value before if it changed. */
  variables(): DebugProtocol.Variable[] {
    return this.list.map((w) => ({
      name: w.label,
      value: `${formatWatched(w.before)}${w.previous && !same(w.previous, w.before) ? ` (was ${formatWatched(w.previous)})` : ''}`,
      variablesReference: 0,
      memoryReference: `0x${(w.address >>> 0).toString(16).toUpperCase()}`,
      presentationHint: { attributes: ['hasDataBreakpoint'] },
    }));
  }
}

/**
 * Why "Break on Value Change" on a register is refused: the machine watches memory, and watching the memory
 * at the register's value instead would silently be something else than what was asked.
 */
export function registerWatchRefusal(regs: Registers, name: string): string | undefined {
  const key = name.toLowerCase();
  if (readRegister(regs, key) === undefined) return undefined;
  const upper = key.toUpperCase();
  const pointer = /^e?(si|di|bx)$/.test(key) ? `ds:${key}` : /^e?(sp|bp)$/.test(key) ? `ss:${key}` : undefined;
  return (
    `${upper} is a register, and data breakpoints watch memory: Bootvisor cannot stop when a register changes. ` +
    `Use a conditional breakpoint (\`${key} != 0x1234\`) instead${pointer ? `, or watch the memory it points at: add \`word [${pointer}]\` to the Watch view and break on its value change there` : ''}.`
  );
}

function read(machine: Machine, address: number, size: number): Uint8Array | undefined {
  try {
    return machine.readMemory(address, Math.min(size, 64));
  } catch {
    return undefined;
  }
}
