// The debugger's breakpoints: source lines (through the listing), labels, instruction addresses; with
// conditions, hit counts and logpoints. Several may share an address; the machine gets one native
// breakpoint per address, reference-counted here.
import * as path from 'path';
import type { Machine } from '../common/api';
import { Node, parseExpression } from '../common/expression';
import type { ListingMap } from '../common/listing';
import { breakpointSites } from '../common/breakpoint-sites';
import type { ElfDebugInfo } from '../common/elf-debug-info';

export interface BreakpointSpec {
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export interface Breakpoint {
  id: number;
  kind: 'source' | 'function' | 'instruction';
  /** Linear address (the first, when a %rep line has several), or -1 when unverified. */
  address: number;
  /** Every address it stops at. */
  addresses: number[];
  verified: boolean;
  /** Why it moved or why it is unverified. */
  message?: string;
  file?: string;
  line?: number;
  condition?: Node;
  /** The condition as written: a C condition (c-session.ts) when the breakpoint is in C code. */
  conditionText?: string;
  hitCondition?: (hits: number) => boolean;
  logMessage?: string;
  hits: number;
}

/** VS Code's hit conditions: "5" or ">=5" (from the 5th hit on), ">5", "==5", "%3" (every third). */
export function parseHitCondition(text: string): (hits: number) => boolean {
  const m = /^\s*(>=|>|==|=|<=|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m)
    throw new Error(
      `hit count "${text}" is not understood: use a number (stop from that hit on), ">N", "==N" or "%N" (every Nth hit)`,
    );
  const n = Number(m[2]);
  switch (m[1]) {
    case '>':
      return (h) => h > n;
    case '==':
    case '=':
      return (h) => h === n;
    case '<':
      return (h) => h < n;
    case '<=':
      return (h) => h <= n;
    case '%':
      return (h) => n > 0 && h % n === 0;
    default:
      return (h) => h >= n;
  }
}

export class BreakpointTable {
  private nextId = 1;
  private readonly bySource = new Map<string, Breakpoint[]>();
  private functions: Breakpoint[] = [];
  private instructions: Breakpoint[] = [];
  /** linear address -> native breakpoint id and how many of ours use it */
  private readonly native = new Map<number, { id: number; users: number }>();

  constructor(
    private machine: Machine | undefined,
    private listing: ListingMap | undefined,
    /** A kernel's DWARF lines: breakpoints on the C (and nasm -F dwarf) sources the listing does not know. */
    private elf?: ElfDebugInfo,
  ) {}

  /** After a reset: the new machine gets the same breakpoints. */
  attach(machine: Machine): void {
    this.machine = machine;
    // The use counts stay true across machines: one native breakpoint per address, in one pass.
    for (const [address, n] of this.native) n.id = machine.addBreakpoint(address);
  }

  all(): Breakpoint[] {
    return [...[...this.bySource.values()].flat(), ...this.functions, ...this.instructions];
  }

  at(address: number): Breakpoint[] {
    return this.all().filter((b) => b.verified && b.addresses.includes(address));
  }

  hasAt(address: number): boolean {
    return this.native.has(address);
  }

  private make(kind: Breakpoint['kind'], spec: BreakpointSpec): Breakpoint {
    const bp: Breakpoint = {
      id: this.nextId++,
      kind,
      address: -1,
      addresses: [],
      verified: false,
      hits: 0,
      logMessage: spec.logMessage,
    };
    if (spec.condition?.trim()) bp.conditionText = spec.condition.trim();
    try {
      // A C condition (p->x == 3) is no NASM expression: with a kernel's DWARF it is left to C (at the hit).
      if (spec.condition?.trim()) bp.condition = this.nasmCondition(spec.condition);
      if (spec.hitCondition?.trim()) bp.hitCondition = parseHitCondition(spec.hitCondition);
    } catch (e) {
      bp.message = `Condition: ${e instanceof Error ? e.message : String(e)}`;
      bp.address = -2; // keeps it unverified below
    }
    return bp;
  }

  private nasmCondition(text: string): Node | undefined {
    try {
      return parseExpression(text);
    } catch (e) {
      if (this.elf) return undefined;
      throw e;
    }
  }

  private install(bp: Breakpoint, addresses: number | number[]): void {
    if (bp.address === -2) return;
    bp.addresses = Array.isArray(addresses) ? addresses : [addresses];
    bp.address = bp.addresses[0];
    bp.verified = true;
    for (const address of bp.addresses) {
      const n = this.native.get(address);
      if (n) n.users++;
      else if (this.machine) this.native.set(address, { id: this.machine.addBreakpoint(address), users: 1 });
      else this.native.set(address, { id: -1, users: 1 });
    }
  }

  private uninstall(list: Breakpoint[]): void {
    for (const bp of list) {
      if (!bp.verified) continue;
      for (const address of bp.addresses) {
        const n = this.native.get(address);
        if (!n) continue;
        if (--n.users === 0) {
          if (this.machine && n.id >= 0) this.machine.removeBreakpoint(n.id);
          this.native.delete(address);
        }
      }
    }
  }

  setSourceBreakpoints(file: string, lines: (BreakpointSpec & { line: number })[]): Breakpoint[] {
    const key = path.resolve(file);
    this.uninstall(this.bySource.get(key) ?? []);
    const out: Breakpoint[] = [];
    for (const spec of lines) {
      const bp = this.make('source', spec);
      bp.file = key;
      bp.line = spec.line;
      const dwarf =
        this.elf && bp.address !== -2 && !this.listing?.hasFile(key)
          ? breakpointSites(this.elf, key, spec.line)
          : undefined;
      if (dwarf) {
        this.install(bp, dwarf.addresses);
        if (dwarf.line !== spec.line) {
          bp.line = dwarf.line;
          bp.message = `Line ${spec.line} has no code; the breakpoint moved to line ${dwarf.line}, the next line with code (DWARF line table).`;
        }
      } else if (bp.address !== -2) {
        if (!this.listing) {
          bp.message =
            'No listing for this program, so source lines cannot be mapped to addresses (launch a .asm program, or set "listing" for an image).';
        } else if (!this.listing.hasFile(key)) {
          bp.message = `${path.basename(key)} is not part of the program that is running (the listing does not mention it).`;
        } else {
          const exact = this.listing.addressesOfLine(key, spec.line);
          if (exact.length > 0) this.install(bp, exact);
          else {
            const next = this.listing.nextLineWithCode(key, spec.line);
            if (!next) bp.message = `Line ${spec.line} and the lines after it in ${path.basename(key)} hold no code.`;
            else {
              this.install(bp, this.listing.addressesOfLine(key, next.line));
              bp.line = next.line;
              bp.message = `Line ${spec.line} has no code; the breakpoint moved to line ${next.line}, the next instruction.`;
            }
          }
        }
      }
      out.push(bp);
    }
    this.bySource.set(key, out);
    return out;
  }

  setFunctionBreakpoints(specs: (BreakpointSpec & { name: string })[]): Breakpoint[] {
    this.uninstall(this.functions);
    this.functions = specs.map((spec) => {
      const bp = this.make('function', spec);
      if (bp.address === -2) return bp;
      const label = this.listing?.label(spec.name.trim());
      const fn = !label ? this.elf?.functionEntry(spec.name.trim()) : undefined;
      if (fn) {
        this.install(bp, fn.address);
        bp.file = fn.file;
        bp.line = fn.line;
      } else if (!this.listing && this.elf)
        bp.message = `No function "${spec.name.trim()}" in the ELF's symbols (a C function is named as declared).`;
      else if (!this.listing) bp.message = 'No listing for this program, so labels are unknown.';
      else if (!label) bp.message = `No label "${spec.name}" in the listing (local labels are written parent.local).`;
      else {
        this.install(bp, label.address);
        bp.file = label.file;
        bp.line = this.listing.locate(label.address)?.line ?? label.line;
      }
      return bp;
    });
    return this.functions;
  }

  setInstructionBreakpoints(specs: (BreakpointSpec & { address: number })[]): Breakpoint[] {
    this.uninstall(this.instructions);
    this.instructions = specs.map((spec) => {
      const bp = this.make('instruction', spec);
      if (bp.address === -2) return bp;
      if (!Number.isFinite(spec.address) || spec.address < 0 || spec.address > 0xffffffff)
        bp.message = `Address ${spec.address} is not a 32-bit linear address.`;
      else {
        this.install(bp, spec.address);
        const loc = this.listing?.locate(spec.address);
        if (loc) {
          bp.file = loc.file;
          bp.line = loc.line;
        }
      }
      return bp;
    });
    return this.instructions;
  }
}
