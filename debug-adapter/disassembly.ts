// The disassemble request: instructions around a linear address, NASM syntax, with seg:off and labels, and
// their source lines. Each instruction is decoded in the size it really has (code-modes.ts): the CPU's mode
// for the current one, the mode it last ran in, the listing's BITS; so code on both sides of a switch to
// protected mode reads right. The listing's entries give instruction boundaries (and tell data from code);
// where nothing is known, going backwards on x86 has no single answer: every byte before the address is
// decoded once, the chains of instructions that end exactly on it are followed back, and the longest wins.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Machine, Registers } from '../common/api';
import { Bitness, DecodedInstruction, decodeOne } from '../common/disasm';
import { hex } from '../common/expression';
import { MAX_DISASSEMBLE_INSTRUCTIONS, MAX_DISASSEMBLE_OFFSET } from '../common/limits';
import type { ElfDebugInfo } from '../common/elf-debug-info';
import type { ListingEntry, ListingMap } from '../common/listing';
import type { ExecutedModes } from './code-modes';
import { memoryReference, readWhatIsReadable } from './memory';
import { codeBitness, isRealMode } from './registers';

/** One row of the view: an instruction, or a run of data bytes the listing says are data. */
interface Row {
  linear: number;
  length: number;
  bytes: Uint8Array;
  text: string;
  bits: Bitness;
  invalid: boolean;
  /** CS:IP as it ran, when known. */
  cs?: number;
  ip?: number;
}

export interface CodeKnowledge {
  machine: Machine;
  regs: Registers;
  listing?: ListingMap;
  executed?: ExecutedModes;
}

/** Bytes of a data row shown in instructionBytes (a `times 510 db 0` row would be unreadable). */
const DATA_BYTES_SHOWN = 16;

/** The code segment an address runs in: the current CS when it reaches it, else (real mode) the 64K window holding it. */
function segmentFor(regs: Registers, address: number): { selector: number; base: number } {
  const base = regs.cs.base >>> 0;
  if (address >= base && address - base <= regs.cs.limit) return { selector: regs.cs.selector, base };
  if (isRealMode(regs)) {
    const selector = (address >>> 4) & 0xf000;
    return { selector, base: selector * 16 };
  }
  return { selector: regs.cs.selector, base };
}

const toBitness = (bits: 16 | 32 | 64): Bitness => (bits === 16 ? 16 : 32);

class Decoder {
  private readonly current: number;
  private readonly currentBits: Bitness;

  constructor(private readonly k: CodeKnowledge) {
    this.current = (k.regs.cs.base + k.regs.eip) >>> 0;
    this.currentBits = codeBitness(k.regs);
  }

  /** The best-known size of the code starting at `linear`, or undefined when only a guess is possible. */
  knownBits(linear: number): Bitness | undefined {
    if (linear === this.current) return this.currentBits;
    const ran = this.k.executed?.get(linear);
    if (ran) return ran.bits;
    const e = this.k.listing?.entryAt(linear);
    return e ? toBitness(e.bits) : undefined;
  }

  /** The row that starts at `linear`; `guess` is the size to use when nothing is known there. */
  rowAt(linear: number, guess: Bitness): Row | undefined {
    const known = this.knownBits(linear);
    const ranHere = linear === this.current || this.k.executed?.get(linear) !== undefined;
    const entry = this.k.listing?.entryAt(linear);
    if (entry?.data && !ranHere) return this.dataRow(entry, linear, entry.address + entry.length);
    return this.instruction(linear, known ?? guess);
  }

  instruction(linear: number, bits: Bitness): Row | undefined {
    const { data } = readWhatIsReadable(this.k.machine, linear, 15);
    if (data.length === 0) return undefined;
    const ran = this.k.executed?.get(linear);
    const seg = segmentFor(this.k.regs, linear);
    const cur = linear === this.current;
    const ip = cur ? this.k.regs.eip : (ran?.ip ?? (linear - seg.base) >>> 0);
    const ins: DecodedInstruction | undefined = decodeOne(data, ip, bits);
    if (!ins) return undefined;
    return {
      linear,
      length: ins.length,
      bytes: ins.bytes,
      text: ins.text,
      bits,
      invalid: ins.invalid,
      cs: cur ? this.k.regs.cs.selector : ran?.cs,
      ip: cur || ran ? ip : undefined,
    };
  }

  /** Bytes from `linear` to `end` of a data entry, shown as its source (`msg: db "Hi", 0` -> `db "Hi", 0`). */
  dataRow(entry: ListingEntry, linear: number, end: number): Row | undefined {
    const { data } = readWhatIsReadable(this.k.machine, linear, end - linear);
    if (data.length === 0) return undefined;
    const source = entry.text.replace(/^[A-Za-z._?$@][\w.?$@#~]*:\s*/, '').replace(/\s*;.*$/, '');
    const text =
      linear === entry.address && data.length === entry.length
        ? source
        : `db ${[...data.subarray(0, DATA_BYTES_SHOWN)].map((b) => `0x${hex(b, 2)}`).join(', ')}${data.length > DATA_BYTES_SHOWN ? ', ...' : ''}`;
    return { linear, length: data.length, bytes: data, text, bits: toBitness(entry.bits), invalid: false };
  }

  /** The row that ends exactly at `linear`, when something known says where it starts. */
  rowEndingAt(linear: number): Row | undefined {
    const ran = this.k.executed?.endingAt(linear);
    if (ran) {
      const r = this.instruction(ran.start, ran.bits);
      if (r && r.linear + r.length === linear) return r;
    }
    const e = this.k.listing?.entryAt(linear - 1);
    if (!e) return undefined;
    if (e.data) return this.dataRow(e, e.address, linear);
    const r = this.instruction(e.address, this.knownBits(e.address) ?? toBitness(e.bits));
    if (r && r.linear + r.length === linear) return r;
    // The bytes do not decode as listed in this mode (or were overwritten): show them, do not guess.
    return this.dataRow(e, e.address, linear);
  }
}

function forward(d: Decoder, start: number, count: number, guess: Bitness): Row[] {
  const out: Row[] = [];
  let at = start;
  let bits = d.knownBits(start) ?? guess;
  while (out.length < count && at <= 0xffffffff) {
    const r = d.rowAt(at, bits);
    if (!r) break;
    out.push(r);
    bits = r.bits;
    at += r.length;
  }
  return out;
}

/** Up to `count` rows ending exactly at `target`: known boundaries first, then the chain heuristic. */
function backward(d: Decoder, k: CodeKnowledge, target: number, count: number, guess: Bitness): Row[] {
  const out: Row[] = [];
  let at = target;
  let bits = guess;
  while (out.length < count && at > 0) {
    const r = d.rowEndingAt(at);
    if (!r) break;
    out.unshift(r);
    bits = r.bits;
    at = r.linear;
  }
  if (out.length < count && at > 0) out.unshift(...chainBackward(k, at, count - out.length, bits));
  return out;
}

/** Where nothing says where instructions start: the longest chain of decodes ending exactly at `target`. */
function chainBackward(k: CodeKnowledge, target: number, count: number, bitness: Bitness): Row[] {
  const span = Math.min(target, count * 8 + 16);
  const start = target - span;
  const { data } = readWhatIsReadable(k.machine, start, span);
  if (data.length < span) return [];
  const segBase = segmentFor(k.regs, target).base;
  const decoded: (DecodedInstruction | undefined)[] = [];
  const reach = new Array<number>(span + 1).fill(0); // instructions from here that end exactly on target
  for (let p = span - 1; p >= 0; p--) {
    const ins = decodeOne(data.subarray(p, Math.min(span, p + 15)), (start + p - segBase) >>> 0, bitness);
    decoded[p] = ins;
    if (!ins || ins.invalid) continue;
    const next = p + ins.length;
    if (next === span) reach[p] = 1;
    else if (next < span && reach[next] > 0) reach[p] = reach[next] + 1;
  }
  // Exactly `count` back when a chain is that long (the shortest such), else the longest.
  let best = -1;
  for (let p = 0; p < span; p++) {
    if (reach[p] === 0) continue;
    if (best < 0) best = p;
    else if (reach[best] < count ? reach[p] > reach[best] : reach[p] >= count && reach[p] < reach[best]) best = p;
  }
  if (best < 0) return [];
  const out: Row[] = [];
  for (let p = best; p < span; p += decoded[p]!.length) {
    const i = decoded[p]!;
    out.push({ linear: start + p, length: i.length, bytes: i.bytes, text: i.text, bits: bitness, invalid: i.invalid });
  }
  return out.slice(-count);
}

export function disassembleRequest(
  machine: Machine,
  regs: Registers,
  listing: ListingMap | undefined,
  address: number,
  instructionOffset: number,
  count: number,
  executed?: ExecutedModes,
  elf?: ElfDebugInfo,
): DebugProtocol.DisassembledInstruction[] {
  count = Math.max(0, Math.min(count, MAX_DISASSEMBLE_INSTRUCTIONS));
  const k: CodeKnowledge = { machine, regs, listing, executed };
  const d = new Decoder(k);
  const guess = d.knownBits(address) ?? codeBitness(regs);
  let list: (Row | undefined)[];
  if (instructionOffset < 0) {
    const back = Math.min(-instructionOffset, MAX_DISASSEMBLE_OFFSET);
    const prev = backward(d, k, address, back, guess);
    const pad: undefined[] = new Array(back - prev.length).fill(undefined);
    const after = count > back ? forward(d, address, count - back, guess) : [];
    list = [...pad, ...prev, ...after];
  } else {
    list = forward(d, address, instructionOffset + count, guess).slice(instructionOffset);
  }
  list = list.slice(0, count);
  // DAP wants exactly `count` entries with rising addresses: what cannot be decoded is marked invalid.
  const firstReal = list.findIndex((i) => i !== undefined);
  const out: DebugProtocol.DisassembledInstruction[] = [];
  let next = address;
  for (let n = 0; n < count; n++) {
    const i = list[n];
    if (!i) {
      const at = n < firstReal || firstReal < 0 ? (list[firstReal]?.linear ?? address) - (firstReal - n) : next;
      out.push({ address: memoryReference(Math.max(0, at)), instruction: '??', presentationHint: 'invalid' });
      next = at + 1;
      continue;
    }
    // A kernel's C (and nasm -F dwarf) lines where no listing knows the address: VS Code shows the source
    // line above the instructions it owns.
    const cPlace = listing?.locate(i.linear) ? undefined : elf?.placeOf(i.linear);
    const loc =
      listing?.locate(i.linear) ?? (cPlace?.file && cPlace.line ? { file: cPlace.file, line: cPlace.line } : undefined);
    const label = listing?.symbolize(i.linear) ?? cPlace?.symbol;
    const seg = segmentFor(regs, i.linear);
    const selector = i.cs ?? seg.selector;
    const offset = i.ip ?? (i.linear - seg.base) >>> 0;
    const bytes =
      [...i.bytes.subarray(0, DATA_BYTES_SHOWN)].map((b) => hex(b, 2)).join(' ') +
      (i.bytes.length > DATA_BYTES_SHOWN ? ' ...' : '');
    out.push({
      address: memoryReference(i.linear),
      instructionBytes: bytes,
      instruction: i.text,
      symbol: `${hex(selector, 4)}:${hex(offset, i.bits === 32 ? 8 : 4)}${label ? ` ${label}` : ''}`,
      location: loc ? { path: loc.file, name: loc.file.split(/[\\/]/).pop() } : undefined,
      line: loc?.line,
      presentationHint: i.invalid ? 'invalid' : undefined,
    });
    next = i.linear + i.length;
  }
  return out;
}
