// The call stack: the current CS:IP, then return addresses found on the stack. A word on the stack is
// trusted as a return address only when a CALL ends exactly there (per the listing, or without one, a
// direct near CALL in memory), so the frames shown are real calls, not stray data.
import type { Machine, Registers } from '../common/api';
import { decodeOne } from '../common/disasm';
import { hex } from '../common/expression';
import type { ListingMap } from '../common/listing';
import { readWhatIsReadable } from './memory';
import { codeBitness } from './registers';

export interface Frame {
  linear: number;
  cs: number;
  ip: number;
  name: string;
  file?: string;
  line?: number;
}

const SCAN_BYTES = 256;

export function callStack(machine: Machine, regs: Registers, listing: ListingMap | undefined, max = 32): Frame[] {
  // A caller's frame is shown at its CALL (the return address is already the next line), as gdb does.
  const frame = (linear: number, cs: number, ip: number, caller = false): Frame => {
    const loc = listing?.locate(caller ? linear - 1 : linear);
    const label = listing?.symbolize(caller ? linear - 1 : linear);
    const where = `${hex(cs, 4)}:${hex(ip, codeBitness(regs) === 32 ? 8 : 4)}`;
    return { linear, cs, ip, name: label ? `${label} (${where})` : where, file: loc?.file, line: loc?.line };
  };
  const frames = [frame((regs.cs.base + regs.eip) >>> 0, regs.cs.selector, regs.eip)];
  const width = codeBitness(regs) === 32 ? 4 : 2;
  const sp = width === 2 ? regs.esp & 0xffff : regs.esp >>> 0;
  const { data } = readWhatIsReadable(machine, (regs.ss.base + sp) >>> 0, SCAN_BYTES);
  for (let at = 0; at + width <= data.length && frames.length < max; at += width) {
    const ret = width === 2 ? data[at] | (data[at + 1] << 8) : (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0;
    const linear = (regs.cs.base + ret) >>> 0;
    if (listing ? isListedCall(machine, listing, linear, regs.cs.base, width) : isDirectCall(machine, linear, regs.cs.base, width)) {
      frames.push(frame(linear, regs.cs.selector, ret, true));
    }
  }
  return frames;
}

/** With a listing: a CALL instruction of the program ends exactly at the return address. */
function isListedCall(machine: Machine, listing: ListingMap, linear: number, csBase: number, width: number): boolean {
  const call = listing.entryAt(linear - 1);
  if (!call || call.address + call.length !== linear) return false;
  const { data } = readWhatIsReadable(machine, call.address, call.length);
  const ins = decodeOne(data, call.address - csBase, width === 2 ? 16 : 32);
  return !!ins && ins.kind === 'call' && ins.length === call.length;
}

/** Without one: only a direct near CALL (E8 rel16/rel32) before it is evidence enough; indirect forms are too short to trust. */
function isDirectCall(machine: Machine, linear: number, csBase: number, width: number): boolean {
  const length = width === 2 ? 3 : 5;
  const { data } = readWhatIsReadable(machine, linear - length, length);
  if (data.length !== length || data[0] !== 0xe8) return false;
  const ins = decodeOne(data, linear - length - csBase, width === 2 ? 16 : 32);
  return !!ins && ins.kind === 'call' && ins.length === length;
}
