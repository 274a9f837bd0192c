// The disassemble request: instructions around a linear address in the current mode, NASM syntax, with
// seg:off and labels, and their source lines. Going backwards on x86 has no single answer: every byte
// before the address is decoded once, the chains of instructions that end exactly on the address are
// followed back, and the longest one whose instruction starts agree with the listing wins (data and
// padding decode as anything, so agreement with the listing is what tells code from noise).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Machine, Registers } from '../common/api';
import { Bitness, DecodedInstruction, decodeOne, disassemble } from '../common/disasm';
import { hex } from '../common/expression';
import type { ListingMap } from '../common/listing';
import { memoryReference, readWhatIsReadable } from './memory';
import { codeBitness, isRealMode } from './registers';

interface Placed extends DecodedInstruction {
  linear: number;
}

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

function place(list: DecodedInstruction[], start: number): Placed[] {
  let at = start;
  return list.map((i) => {
    const p = { ...i, linear: at >>> 0 };
    at += i.length;
    return p;
  });
}

function forward(machine: Machine, start: number, count: number, segBase: number, bitness: Bitness): Placed[] {
  const { data } = readWhatIsReadable(machine, start >>> 0, count * 15);
  return place(disassemble(data, (start - segBase) >>> 0, bitness, count), start);
}

/** Up to `count` instructions ending exactly at `target`. */
function backward(machine: Machine, target: number, count: number, segBase: number, bitness: Bitness, listing?: ListingMap): Placed[] {
  const span = Math.min(target, count * 8 + 16);
  const start = target - span;
  const { data } = readWhatIsReadable(machine, start, span);
  if (data.length < span) return [];
  // One decode per byte position: where the instruction there ends, and whether it agrees with the listing.
  const decoded: (DecodedInstruction | undefined)[] = [];
  const reach = new Array<number>(span + 1).fill(0); // instructions from here that end exactly on target
  const agrees = new Array<boolean>(span + 1).fill(false);
  agrees[span] = true;
  const startsInsideListed = (linear: number, length: number): boolean => {
    if (!listing) return false;
    const e = listing.entryAt(linear);
    if (e && e.address !== linear) return true;
    for (let k = 1; k < length; k++) if (listing.entryAt(linear + k)?.address === linear + k) return true;
    return false;
  };
  for (let p = span - 1; p >= 0; p--) {
    const ins = decodeOne(data.subarray(p, Math.min(span, p + 15)), (start + p - segBase) >>> 0, bitness);
    decoded[p] = ins;
    if (!ins || ins.invalid) continue;
    const next = p + ins.length;
    if (next > span) continue;
    if (next === span) reach[p] = 1;
    else if (reach[next] > 0) reach[p] = reach[next] + 1;
    else continue;
    agrees[p] = agrees[next] && !startsInsideListed(start + p, ins.length);
  }
  // The chain start: exactly `count` back if one agrees, else the longest agreeing one, else the longest.
  let best = -1;
  const better = (p: number) => {
    if (best < 0) return true;
    const score = (q: number) => (agrees[q] ? 2 : 0) + (reach[q] >= count ? 1 : 0);
    if (score(p) !== score(best)) return score(p) > score(best);
    return reach[p] < count ? reach[p] > reach[best] : reach[p] < reach[best];
  };
  for (let p = 0; p < span; p++) if (reach[p] > 0 && better(p)) best = p;
  if (best < 0) return [];
  const out: Placed[] = [];
  for (let p = best; p < span; p += decoded[p]!.length) out.push({ ...decoded[p]!, linear: start + p });
  return out.slice(-count);
}

export function disassembleRequest(
  machine: Machine,
  regs: Registers,
  listing: ListingMap | undefined,
  address: number,
  instructionOffset: number,
  count: number,
): DebugProtocol.DisassembledInstruction[] {
  count = Math.max(0, Math.min(count, 10000));
  const bitness = codeBitness(regs);
  const seg = segmentFor(regs, address);
  let list: (Placed | undefined)[];
  if (instructionOffset < 0) {
    const back = Math.min(-instructionOffset, 10000);
    const prev = backward(machine, address, back, seg.base, bitness, listing);
    const pad: undefined[] = new Array(back - prev.length).fill(undefined);
    const after = count > back ? forward(machine, address, count - back, seg.base, bitness) : [];
    list = [...pad, ...prev, ...after];
  } else {
    list = forward(machine, address, instructionOffset + count, seg.base, bitness).slice(instructionOffset);
  }
  list = list.slice(0, count);
  // DAP wants exactly `count` entries with rising addresses: what cannot be decoded is marked invalid.
  const firstReal = list.findIndex((i) => i !== undefined);
  const out: DebugProtocol.DisassembledInstruction[] = [];
  let next = address;
  for (let k = 0; k < count; k++) {
    const i = list[k];
    if (!i) {
      const at = k < firstReal || firstReal < 0 ? (list[firstReal]?.linear ?? address) - (firstReal - k) : next;
      out.push({ address: memoryReference(Math.max(0, at)), instruction: '??', presentationHint: 'invalid' });
      next = at + 1;
      continue;
    }
    const loc = listing?.locate(i.linear);
    const label = listing?.symbolize(i.linear);
    const offset = (i.linear - seg.base) >>> 0;
    out.push({
      address: memoryReference(i.linear),
      instructionBytes: [...i.bytes].map((b) => hex(b, 2)).join(' '),
      instruction: i.text,
      symbol: `${hex(seg.selector, 4)}:${hex(offset, bitness === 32 ? 8 : 4)}${label ? ` ${label}` : ''}`,
      location: loc ? { path: loc.file, name: loc.file.split(/[\\/]/).pop() } : undefined,
      line: loc?.line,
      presentationHint: i.invalid ? 'invalid' : undefined,
    });
    next = i.linear + i.length;
  }
  return out;
}
