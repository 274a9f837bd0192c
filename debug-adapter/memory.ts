// Guest memory as the debugger sees it: memory references (linear addresses as "0x..." strings), reads
// that report unreadable bytes instead of failing, and the descriptor tables read out of memory.
import type { Machine, Registers } from '../common/api';
import { isRealMode } from './registers';

export const MAX_READ = 1 << 20;

export function memoryReference(linear: number): string {
  return `0x${(linear >>> 0).toString(16).toUpperCase()}`;
}

/** "0x7C00", "7C00h", "31744" -> a linear address; throws a message for the user. */
export function parseMemoryReference(ref: string, offset = 0): number {
  const t = ref.trim();
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^[0-9a-f]+h$/i.test(t)) n = parseInt(t.slice(0, -1), 16);
  else if (/^\d+$/.test(t)) n = Number(t);
  else throw new Error(`"${ref}" is not a memory reference (expected a linear address such as 0x7C00)`);
  const a = n + offset;
  if (!Number.isFinite(a) || a < 0 || a > 0xffffffff)
    throw new Error(
      `address ${memoryReference(n)}${offset ? ` + ${offset}` : ''} is outside the 32-bit linear address space`,
    );
  return a;
}

/** Reads what can be read: the readable prefix and how many bytes after it could not be. */
export function readWhatIsReadable(
  machine: Machine,
  address: number,
  count: number,
): { data: Uint8Array; unreadable: number } {
  const length = Math.min(count, MAX_READ, 0x100000000 - address);
  try {
    return { data: machine.readMemory(address, length), unreadable: count - length };
  } catch {
    // Find the readable prefix page by page: memory ends, or a page is not mapped.
    const chunks: Uint8Array[] = [];
    let done = 0;
    while (done < length) {
      const pageEnd = Math.min(length, done + (4096 - ((address + done) % 4096)));
      try {
        chunks.push(machine.readMemory(address + done, pageEnd - done));
        done = pageEnd;
      } catch {
        break;
      }
    }
    const data = new Uint8Array(done);
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      at += c.length;
    }
    return { data, unreadable: count - done };
  }
}

export function readUint(machine: Machine, linear: number, size: number): number {
  const bytes = machine.readMemory(linear, size);
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + bytes[i];
  return v;
}

export interface Descriptor {
  index: number;
  selector: number;
  base: number;
  limit: number;
  /** packed like SegmentRegister.attrib: type:4 s:1 dpl:2 p:1 avl:1 l:1 def:1 g:1 */
  attrib: number;
  raw: [number, number];
}

export function decodeDescriptor(lo: number, hi: number, index: number): Descriptor {
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  const attrib = ((hi >>> 8) & 0xff) | (((hi >>> 20) & 0xf) << 8);
  if ((attrib >> 11) & 1) limit = ((limit << 12) | 0xfff) >>> 0;
  return { index, selector: index * 8, base, limit, attrib, raw: [lo >>> 0, hi >>> 0] };
}

/** Descriptors of a table (GDT or LDT) at base/limit, at most `max`. */
export function readDescriptorTable(machine: Machine, base: number, limit: number, max = 256): Descriptor[] {
  const count = Math.min(max, Math.floor((limit + 1) / 8));
  if (count <= 0) return [];
  const bytes = machine.readMemory(base, count * 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Descriptor[] = [];
  for (let i = 0; i < count; i++)
    out.push(decodeDescriptor(view.getUint32(i * 8, true), view.getUint32(i * 8 + 4, true), i));
  return out;
}

/** The base a selector value stands for now: value*16 in real mode, else its GDT/LDT descriptor's base. */
export function selectorBase(machine: Machine, regs: Registers, selector: number): number {
  if (isRealMode(regs) || regs.eflags & (1 << 17)) return (selector & 0xffff) * 16;
  const table = selector & 4 ? regs.ldtr : regs.gdtr;
  const index = selector >> 3;
  if (index * 8 + 7 > table.limit)
    throw new Error(
      `selector 0x${selector.toString(16)} is beyond the ${selector & 4 ? 'LDT' : 'GDT'} limit 0x${table.limit.toString(16)}`,
    );
  const lo = readUint(machine, table.base + index * 8, 4);
  const hi = readUint(machine, table.base + index * 8 + 4, 4);
  return decodeDescriptor(lo, hi, index).base;
}
