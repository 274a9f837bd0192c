// The code an interrupt or exception stopped, seen from its handler: gdb's unwinding ends in the asm stub
// (no call-frame information), but the CPU left an iret frame (EIP, CS, EFLAGS; a CPU-pushed error code
// below it changes nothing) above the stub's stack pointer. The interrupted code's registers are rebuilt
// from it, from the general registers a `pusha` in the stub saved when one is found, and otherwise from
// what gdb unwound for the stub (the callee-saved ones the C handler preserved): gdb is then shown that
// register set and unwinds and reads the interrupted code's variables as at its own stop.
import type { Registers } from '../common/api';
import { hex } from '../common/expression';
import type { CDebugger, FrameRef } from './c-debugger';
import { readWhatIsReadable } from './memory';
import type { Runtime } from './runtime';
import type { Frame } from './stack';

/** How far above an interrupt stub's stack pointer the CPU's iret frame is looked for. */
const IRET_SCAN_BYTES = 256;
/** At most this much (vector, error code, segment pushes) between a stub's `pusha` and the iret frame. */
const PUSHA_GAP_BYTES = 32;

type General = Pick<Registers, 'eax' | 'ecx' | 'edx' | 'ebx' | 'ebp' | 'esi' | 'edi'>;
const GENERAL = ['eax', 'ecx', 'edx', 'ebx', 'ebp', 'esi', 'edi'] as const;

/**
 * A `pusha` block below the iret frame at offset `iret` of `data` (read from `sp`): found by its saved
 * ESP, which is the address just above the block (a value that names its own place, not a coincidence).
 */
export function pushaBlock(data: Uint8Array, sp: number, iret: number): { regs: General; at: number } | undefined {
  const word = (i: number): number => (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
  // Memory upwards from the block's start: EDI ESI EBP ESP EBX EDX ECX EAX; ESP's slot is the fourth.
  for (let slot = iret - 20; slot >= 12; slot -= 4) {
    const above = (sp + slot + 20) >>> 0;
    if (iret - (slot + 20) > PUSHA_GAP_BYTES) break;
    if (word(slot) !== above) continue;
    return {
      regs: {
        edi: word(slot - 12),
        esi: word(slot - 8),
        ebp: word(slot - 4),
        ebx: word(slot + 4),
        edx: word(slot + 8),
        ecx: word(slot + 12),
        eax: word(slot + 16),
      },
      at: (sp + slot - 12) >>> 0,
    };
  }
  return undefined;
}

/** The exceptions' mnemonics by vector (0-20). */
const EXCEPTIONS = [
  '#DE',
  '#DB',
  'NMI',
  '#BP',
  '#OF',
  '#BR',
  '#UD',
  '#NM',
  '#DF',
  'vector 9',
  '#TS',
  '#NP',
  '#SS',
  '#GP',
  '#PF',
  'vector 15',
  '#MF',
  '#AC',
  '#MC',
  '#XM',
  '#VE',
];
/** Exceptions for which the CPU pushes an error code. */
const WITH_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);

/**
 * What the stub pushed between its `pusha` block and the iret frame, read the way most stubs lay it out
 * (isr.asm, the OSDev and James Molloy stubs): the vector just above the block, then the error code (the
 * CPU's, or the stub's dummy 0). Only a gap of exactly those two words is read; anything else says nothing.
 */
export function stubVector(gap: number[]): { vector: number; error?: number } | undefined {
  if (gap.length !== 2 || gap[0] > 0xff) return undefined;
  return { vector: gap[0], error: WITH_ERROR_CODE.has(gap[0]) ? gap[1] : undefined };
}

/** The marker frame's words: an exception by name and error code, else an interrupt by vector. */
function describe(pushed: { vector: number; error?: number } | undefined): string {
  if (!pushed) return '[interrupt:';
  const { vector, error } = pushed;
  if (vector < EXCEPTIONS.length)
    return `[exception: ${EXCEPTIONS[vector]} (vector ${vector})${error !== undefined ? `, error code ${hex(error, 8)}` : ''},`;
  return `[interrupt: vector ${vector},`;
}

/**
 * The interrupted code past the stub frame `stub` (regs: the registers of the view that frame was found
 * in): a marker frame naming the iret frame, and the interrupted code's registers; undefined when no iret
 * frame of the kernel's code segment is found.
 */
export async function interruptedCode(
  rt: Runtime,
  engine: CDebugger,
  stub: FrameRef,
  regs: Registers,
): Promise<{ marker: Frame; regs: Registers } | undefined> {
  let unwound: Map<string, number | undefined>;
  try {
    unwound = await engine.frameRegisters(stub, ['sp', ...GENERAL]);
  } catch {
    return undefined;
  }
  const sp = unwound.get('sp');
  if (sp === undefined) return undefined;
  const { data } = readWhatIsReadable(rt.currentMachine, (regs.ss.base + sp) >>> 0, IRET_SCAN_BYTES);
  const word = (i: number): number => (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
  for (let off = 0; off + 12 <= data.length; off += 4) {
    const eip = word(off);
    const cs = word(off + 4);
    const eflags = word(off + 8);
    // EFLAGS as the CPU pushes it: bit 1 set, bits 3, 5, 15 and 22-31 clear; CS the kernel's code segment.
    if ((cs & 0xffff) !== regs.cs.selector || cs >>> 16 !== 0 || (eflags & 0xffc08028) !== 0 || !(eflags & 2)) continue;
    if (!rt.elf?.placeOf((regs.cs.base + eip) >>> 0)?.symbol) continue;
    const at = (sp + off) >>> 0;
    const saved = pushaBlock(data, sp, off);
    const general = {} as General;
    for (const name of GENERAL) general[name] = saved?.regs[name] ?? unwound.get(name) ?? regs[name];
    const gap: number[] = [];
    if (saved) for (let i = off - (at - ((saved.at + 32) >>> 0)); i < off; i += 4) gap.push(word(i));
    const marker: Frame = {
      linear: (regs.cs.base + eip) >>> 0,
      cs: regs.cs.selector,
      ip: eip,
      name:
        `${describe(saved ? stubVector(gap) : undefined)} EIP ${hex(eip, 8)} CS ${hex(cs & 0xffff, 4)} EFLAGS ` +
        `${hex(eflags, 8)} pushed at ${hex(at, 8)}` +
        (saved ? `, registers saved by pusha at ${hex(saved.at, 8)}]` : ', registers as the handler left them]'),
    };
    // Same privilege (the CS matched the handler's): no SS:ESP was pushed, so ESP is just above the frame.
    return { marker, regs: { ...regs, ...general, eip, eflags, esp: (at + 12) >>> 0 } };
  }
  return undefined;
}
