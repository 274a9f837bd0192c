// The call stack: the current CS:IP, then return addresses found on the stack. A word on the stack is
// trusted as a return address only when a CALL ends exactly there (per the listing, or without one, a
// direct near CALL in memory), so the frames shown are real calls, not stray data. Frames in the BIOS are
// named by service, and the interrupt frame they run on leads to the guest code that called them.
import type { Machine, Registers } from '../common/api';
import { decodeOne } from '../common/disasm';
import { hex } from '../common/expression';
import type { ListingMap } from '../common/listing';
import type { ElfDebugInfo } from '../common/elf-debug-info';
import { biosFrame, CodeContext, contextOf } from './bios-frames';
import { readWhatIsReadable } from './memory';
import { codeBitness } from './registers';

export interface Frame {
  linear: number;
  cs: number;
  ip: number;
  name: string;
  file?: string;
  line?: number;
  /** A caller found by its return address on the stack: its stack pointer once that CALL returns. */
  sp?: number;
}

const SCAN_BYTES = 256;
/** BIOS frames followed at most (an IRQ taken while a service waits is two). */
const MAX_BIOS_FRAMES = 4;

export function callStack(
  machine: Machine,
  regs: Registers,
  listing: ListingMap | undefined,
  max = 32,
  elf?: ElfDebugInfo,
): Frame[] {
  const bits = codeBitness(regs);
  // A caller's frame is shown at its CALL (the return address is already the next line), as gdb does.
  const frame = (linear: number, cs: number, ip: number, caller = false): Frame => {
    const loc = listing?.locate(caller ? linear - 1 : linear);
    // Only addresses in the program get its labels: a ROM address is not `start+0xf62a0`.
    const label = loc ? listing?.symbolize(caller ? linear - 1 : linear) : undefined;
    const where = `${hex(cs, 4)}:${hex(ip, bits === 32 ? 8 : 4)}`;
    const place = !loc ? elf?.placeOf(caller ? linear - 1 : linear) : undefined;
    if (place)
      return {
        linear,
        cs,
        ip,
        name: place.symbol ? `${place.symbol} (${where})` : where,
        file: place.file,
        line: place.line,
      };
    return { linear, cs, ip, name: label ? `${label} (${where})` : where, file: loc?.file, line: loc?.line };
  };
  const frames: Frame[] = [];
  let at: CodeContext = contextOf(regs);
  let ip = regs.eip >>> 0;
  let sp = bits === 32 ? regs.esp >>> 0 : regs.esp & 0xffff;
  let callerOfBios: boolean | undefined;
  for (let n = 0; n < MAX_BIOS_FRAMES; n++) {
    const bios = biosFrame(machine, regs, at);
    if (!bios) break;
    frames.push({ linear: (at.csBase + at.ip) >>> 0, cs: at.cs, ip: at.ip, name: bios.name });
    at = bios.caller;
    ip = at.ip;
    sp = at.sp;
    callerOfBios = bios.callerIsInt;
  }
  // The guest's own frame: after a BIOS frame, the INT that called it (or the instruction an IRQ interrupted).
  if (callerOfBios)
    frames.push(frame((at.csBase + ip - 2) >>> 0, at.cs, (ip - 2) & 0xffff)); // the `int n` itself
  else frames.push(frame((at.csBase + ip) >>> 0, at.cs, ip));
  const width = bits === 32 && callerOfBios === undefined ? 4 : 2;
  const { data } = readWhatIsReadable(machine, (at.ssBase + sp) >>> 0, SCAN_BYTES);
  for (let off = 0; off + width <= data.length && frames.length < max; off += width) {
    const ret =
      width === 2
        ? data[off] | (data[off + 1] << 8)
        : (data[off] | (data[off + 1] << 8) | (data[off + 2] << 16) | (data[off + 3] << 24)) >>> 0;
    const linear = (at.csBase + ret) >>> 0;
    if (
      listing
        ? isListedCall(machine, listing, linear, at.csBase, width)
        : isDirectCall(machine, linear, at.csBase, width)
    ) {
      frames.push({
        ...frame(linear, at.cs, ret, true),
        sp: width === 2 ? (sp + off + width) & 0xffff : (sp + off + width) >>> 0,
      });
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
