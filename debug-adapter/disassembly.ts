// The disassemble request: instructions around a linear address in the current mode, NASM syntax, with
// seg:off and labels, and their source lines. Going backwards on x86 has no single answer: we use the
// longest decoding that lands exactly on the address.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Machine, Registers } from '../common/api';
import { Bitness, DecodedInstruction, disassemble } from '../common/disasm';
import { hex } from '../common/expression';
import type { ListingMap } from '../common/listing';
import { memoryReference, readWhatIsReadable } from './memory';
import { codeBitness } from './registers';

interface Placed extends DecodedInstruction {
  linear: number;
}

function decodeRange(machine: Machine, start: number, bytes: number, csBase: number, bitness: Bitness): Placed[] {
  const { data } = readWhatIsReadable(machine, start >>> 0, bytes);
  return disassemble(data, (start - csBase) >>> 0, bitness).map((i) => ({ ...i, linear: (start + (i.offset - ((start - csBase) >>> 0))) >>> 0 }));
}

/**
 * `count` instructions ending just before `target`: the longest decoding that lands exactly on it, and
 * with a listing, one whose instruction starts agree with the listed ones (data and padding decode as
 * anything, so agreement is what tells code from noise).
 */
function before(machine: Machine, target: number, count: number, csBase: number, bitness: Bitness, listing?: ListingMap): Placed[] {
  const startsInside = (i: Placed) => {
    for (let k = 1; k < i.length; k++) if (listing!.entryAt(i.linear + k)?.address === i.linear + k) return true;
    return false;
  };
  const agrees = (list: Placed[]) =>
    !listing || list.every((i) => {
      const e = listing.entryAt(i.linear);
      return (!e || e.address === i.linear) && !startsInside(i);
    });
  let fallback: Placed[] = [];
  for (let back = Math.min(target, count * 6 + 16); back >= 1; back--) {
    const start = target - back;
    const list = decodeRange(machine, start, back, csBase, bitness);
    let end = start;
    for (const i of list) end = i.linear + i.length;
    if (end !== target || list.length === 0) continue;
    if (agrees(list)) return list.slice(-count);
    if (fallback.length === 0) fallback = list.slice(-count);
  }
  return fallback;
}

export function disassembleRequest(
  machine: Machine,
  regs: Registers,
  listing: ListingMap | undefined,
  address: number,
  instructionOffset: number,
  count: number,
): DebugProtocol.DisassembledInstruction[] {
  const bitness = codeBitness(regs);
  const csBase = regs.cs.base >>> 0;
  let list: Placed[] = [];
  if (instructionOffset < 0) {
    const back = -instructionOffset;
    const prev = before(machine, address, back, csBase, bitness, listing);
    const pad: Placed[] = Array.from({ length: back - prev.length }, () => ({ linear: -1 }) as Placed);
    const forward = count > back ? decodeRange(machine, address, (count - back) * 15, csBase, bitness) : [];
    list = [...pad, ...prev, ...forward];
  } else {
    list = decodeRange(machine, address, (instructionOffset + count) * 15, csBase, bitness).slice(instructionOffset);
  }
  list = list.slice(0, count);
  const out: DebugProtocol.DisassembledInstruction[] = list.map((i) => {
    if (i.linear < 0) return { address: memoryReference(0), instruction: '??', presentationHint: 'invalid' };
    const loc = listing?.locate(i.linear);
    const label = listing?.symbolize(i.linear);
    const offset = (i.linear - csBase) >>> 0;
    return {
      address: memoryReference(i.linear),
      instructionBytes: [...i.bytes].map((b) => hex(b, 2)).join(' '),
      instruction: i.text,
      symbol: `${hex(regs.cs.selector, 4)}:${hex(offset, bitness === 32 ? 8 : 4)}${label ? ` ${label}` : ''}`,
      location: loc ? { path: loc.file, name: loc.file.split(/[\\/]/).pop() } : undefined,
      line: loc?.line,
      presentationHint: i.invalid ? 'invalid' : undefined,
    };
  });
  // DAP wants exactly `count` entries; past readable memory they are marked invalid.
  let next = list.length ? list[list.length - 1].linear + list[list.length - 1].length : address;
  while (out.length < count) {
    out.push({ address: memoryReference(next), instruction: '??', presentationHint: 'invalid' });
    next++;
  }
  return out;
}
